/**
 * The whole pack against what the program really registers: each committed stack runs under mocks, its recorded
 * graph goes through every resource and stack policy with the stack's pack config (schema defaults merged in), and
 * no stack violates anything. A deliberately broken prod graph (a slot lost so 4 masters sit in 2 zones, a public
 * NLB, IMDSv1, the JWT key pasted into a boot script, a slow health check, an alarm without actions, the backup
 * bucket's encryption removed) yields exactly the expected violations,
 * mandatory under the prod config and advisory under the dev one.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { JWT_SIGNING_KEY_ENV } from "../../infra/seaweed/constants";
import { MOCK_SECRET_VALUE } from "../../tools/lib/mockCloud";
import { runAnyStack } from "../../tools/lib/plan";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { mandatoryViolations, PolicyReport, readPackConfig, runPolicies, toPolicyResources } from "../../tools/lib/policyRun";
import { availableStacks, REPO_ROOT } from "../../tools/lib/stackFiles";

const packConfig = (name: string) => readPackConfig(path.join(REPO_ROOT, "policies", `config.${name}.json`));
const graphs = new Map<string, RecordedResource[]>();

before(async () => {
  for (const stack of availableStacks()) graphs.set(stack, (await runAnyStack(stack)).resources);
});

function verdict(report: PolicyReport, policy: string): string | undefined {
  return report.verdicts.find((v) => v.policy === policy)?.verdict;
}

const MASTER_TIER_POLICIES = [
  "seaweedfs-master-count",
  "seaweedfs-master-zone-failure",
  "seaweedfs-master-peers",
  "seaweedfs-master-no-raft-bootstrap",
  "seaweedfs-lb-internal",
  "seaweedfs-lb-cross-zone",
  "seaweedfs-lb-listeners",
  "seaweedfs-lb-health-check",
  "seaweedfs-encrypted-volumes",
  "seaweedfs-imdsv2-required",
  "seaweedfs-no-world-ingress",
  "seaweedfs-iam-attach-scoped",
  "seaweedfs-no-secrets-in-user-data",
];

describe("the policy pack on each stack's mocked graph", () => {
  for (const stack of ["dev", "staging", "prod"]) {
    it(`${stack}: no violation, and every master-tier policy actually applies`, async () => {
      const report = await runPolicies(toPolicyResources(graphs.get(stack)!), packConfig(stack));
      assert.deepEqual(report.violations, []);
      for (const policy of MASTER_TIER_POLICIES) assert.equal(verdict(report, policy), "pass", `${stack}: ${policy}`);
      assert.equal(verdict(report, "seaweedfs-lb-deletion-protection"), stack === "prod" ? "pass" : "not applicable");
      const has = (type: string) => graphs.get(stack)!.some((r) => r.type === type);
      if (has("aws:cloudwatch/metricAlarm:MetricAlarm")) assert.equal(verdict(report, "seaweedfs-required-alarms"), "pass");
      if (has("aws:s3/bucket:Bucket")) assert.equal(verdict(report, "seaweedfs-backup-bucket-encryption"), "pass");
      if (has("seaweed:aws:Backups")) assert.equal(verdict(report, "seaweedfs-backup-volume-snapshots"), "pass");
    });
  }
});

/** The prod graph broken on purpose; returns it with the violations it must produce, as `policy @ resource name`. */
function brokenProd(): { graph: RecordedResource[]; expected: string[] } {
  // A JSON copy: recorded state may hold values structuredClone refuses, and policies only read plain data.
  let graph = JSON.parse(JSON.stringify(graphs.get("prod")!)) as RecordedResource[];
  const named = (type: string, name: string) => {
    const found = graph.find((r) => r.type === type && r.name === name);
    assert.ok(found, `prod graph has no ${type} ${name}`);
    return found;
  };
  // Slot 2 is prod's only master in us-east-1c: without it, 4 masters sit 2/2 in two zones.
  const lostSlot = graph.filter((r) => r.name.startsWith("seaweedfs-prod-master-2"));
  assert.ok(lostSlot.some((r) => r.type === "aws:ec2/networkInterface:NetworkInterface"));
  graph = graph.filter((r) => !lostSlot.includes(r));
  named("aws:lb/loadBalancer:LoadBalancer", "seaweedfs-prod-lb-nlb").state.internal = false;
  named("aws:ec2/launchTemplate:LaunchTemplate", "seaweedfs-prod-master-0-lt").state.metadataOptions = { httpTokens: "optional", httpPutResponseHopLimit: 1 };
  const leaky = named("aws:ec2/launchTemplate:LaunchTemplate", "seaweedfs-prod-master-1-lt").state;
  const script = `${Buffer.from(String(leaky.userData), "base64").toString("utf8")}\n${JWT_SIGNING_KEY_ENV}=${MOCK_SECRET_VALUE}\n`;
  leaky.userData = Buffer.from(script, "utf8").toString("base64");
  const healthCheck = named("aws:lb/targetGroup:TargetGroup", "seaweedfs-prod-lb-9333").state.healthCheck as Record<string, unknown>;
  healthCheck.interval = 30;
  const expected = [
    "seaweedfs-master-count @ stack",
    "seaweedfs-master-count @ stack",
    "seaweedfs-master-zone-failure @ stack",
    // The remaining masters still list the lost slot's address in -peers.
    ...[0, 1, 3, 4].map((slot) => `seaweedfs-master-peers @ seaweedfs-prod-master-${slot}-lt`),
    "seaweedfs-lb-internal @ seaweedfs-prod-lb-nlb",
    "seaweedfs-lb-health-check @ seaweedfs-prod-lb-9333",
    "seaweedfs-imdsv2-required @ seaweedfs-prod-master-0-lt",
    "seaweedfs-no-secrets-in-user-data @ seaweedfs-prod-master-1-lt",
  ];
  const alarm = graph.find((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
  if (alarm) {
    alarm.state.alarmActions = [];
    expected.push(`seaweedfs-alarm-actions @ ${alarm.name}`);
  }
  const encryption = graph.filter((r) => r.type === "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
  for (const sse of encryption) {
    const bucket = graph.find((b) => b.urn === sse.propertyDependencies.bucket?.[0]);
    assert.ok(bucket, `${sse.name} is not linked to its bucket`);
    expected.push(`seaweedfs-backup-bucket-encryption @ ${bucket.name}`);
  }
  graph = graph.filter((r) => !encryption.includes(r));
  return { graph, expected: expected.sort() };
}

function located(report: PolicyReport, graph: RecordedResource[]): string[] {
  const nameOf = (urn: string) => graph.find((r) => r.urn === urn && r.type !== "pulumi:pulumi:Stack")?.name ?? "stack";
  return report.violations.map((v) => `${v.policy} @ ${nameOf(v.resource)}`).sort();
}

describe("a deliberately broken prod graph", () => {
  it("yields exactly the expected mandatory violations under the prod config", async () => {
    const { graph, expected } = brokenProd();
    const report = await runPolicies(toPolicyResources(graph), packConfig("prod"));
    assert.deepEqual(located(report, graph), expected);
    assert.equal(mandatoryViolations(report).length, expected.length);
    const messages = report.violations.map((v) => v.message).join("\n");
    assert.match(messages, /4 masters: SeaweedFS only runs an odd number of masters/);
    assert.match(messages, /4 master\(s\), fewer than the required 5/);
    assert.match(messages, /losing us-east-1[ab] \(2 masters\) leaves 2 of 4 masters, below the quorum of 3/);
    assert.match(messages, /the load balancer is internet-facing/);
    assert.match(messages, /30s x 2 = 60s, more than maxDetectionSeconds 30/);
  });

  it("only warns under the dev config (advisory)", async () => {
    const { graph, expected } = brokenProd();
    const report = await runPolicies(toPolicyResources(graph), packConfig("dev"));
    assert.equal(mandatoryViolations(report).length, 0);
    // dev asks for 3 masters, so the minimum-count message goes; everything else is still reported.
    assert.deepEqual(located(report, graph), expected.filter((e, i) => !(e === "seaweedfs-master-count @ stack" && expected.indexOf(e) !== i)));
    assert.ok(report.violations.every((v) => v.enforcementLevel === "advisory"));
  });
});
