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
import { runAnyStack } from "../../tools/lib/plan";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { mandatoryViolations, readPackConfig, runPolicies, toPolicyResources } from "../../tools/lib/policyRun";
import { availableStacks, REPO_ROOT } from "../../tools/lib/stackFiles";
import { brokenProd, located } from "../support/brokenProd";

const packConfig = (name: string) => readPackConfig(path.join(REPO_ROOT, "policies", `config.${name}.json`));
const graphs = new Map<string, RecordedResource[]>();

before(async () => {
  for (const stack of availableStacks()) graphs.set(stack, (await runAnyStack(stack)).resources);
});

/** Every policy of the pack, in the pack's order (literal: a policy dropped from the pack or a graph fails here). */
const EVERY_POLICY = [
  "seaweedfs-master-count",
  "seaweedfs-master-zone-failure",
  "seaweedfs-master-peers",
  "seaweedfs-master-no-raft-bootstrap",
  "seaweedfs-master-one-at-a-time",
  "seaweedfs-lb-internal",
  "seaweedfs-lb-cross-zone",
  "seaweedfs-lb-deletion-protection",
  "seaweedfs-lb-listeners",
  "seaweedfs-lb-health-check",
  "seaweedfs-encrypted-volumes",
  "seaweedfs-imdsv2-required",
  "seaweedfs-no-public-ip",
  "seaweedfs-no-world-ingress",
  "seaweedfs-iam-attach-scoped",
  "seaweedfs-no-secrets-in-user-data",
  "seaweedfs-tls-required",
  "seaweedfs-vpc-endpoints",
  "seaweedfs-required-alarms",
  "seaweedfs-alarm-actions",
  "seaweedfs-master-silent-alarm",
  "seaweedfs-backup-bucket-versioning",
  "seaweedfs-backup-bucket-encryption",
  "seaweedfs-backup-bucket-public-access-block",
  "seaweedfs-backup-bucket-tls-only",
  "seaweedfs-backup-bucket-lifecycle",
  "seaweedfs-backup-bucket-object-lock",
  "seaweedfs-backup-volume-snapshots",
];

/** The Kubernetes rules: they find no StatefulSet on an AWS stack, so they do not apply there. */
const KUBERNETES_POLICIES = [
  "seaweedfs-k8s-parallel-pods",
  "seaweedfs-k8s-zone-spread",
  "seaweedfs-k8s-probes",
  "seaweedfs-k8s-disruption-budget",
  "seaweedfs-k8s-peer-service",
  "seaweedfs-k8s-master-args",
  "seaweedfs-k8s-security-context",
  "seaweedfs-k8s-backups",
  "seaweedfs-k8s-protected",
];

describe("the policy pack on each stack's mocked graph", () => {
  for (const stack of ["dev", "staging", "prod"]) {
    it(`${stack}: no violation, and every policy actually applies (deletion protection only to prod, VPC endpoints only to dev's created VPC, TLS required but on dev)`, async () => {
      const report = await runPolicies(toPolicyResources(graphs.get(stack)!), packConfig(stack));
      assert.deepEqual(report.violations, []);
      const expected = [
        ...EVERY_POLICY.map((policy) => [
          policy,
          (policy === "seaweedfs-lb-deletion-protection" && stack !== "prod") || (policy === "seaweedfs-vpc-endpoints" && stack !== "dev") || (policy === "seaweedfs-tls-required" && stack === "dev") ? "not applicable" : "pass",
        ]),
        ...KUBERNETES_POLICIES.map((policy) => [policy, "not applicable"]),
      ];
      assert.deepEqual(report.verdicts.map((v) => [v.policy, v.verdict]), expected);
    });
  }
});

describe("a deliberately broken prod graph", () => {
  it("yields exactly the expected mandatory violations under the prod config", async () => {
    const { graph, expected } = brokenProd(graphs.get("prod")!);
    const report = await runPolicies(toPolicyResources(graph), packConfig("prod"));
    assert.deepEqual(located(report.violations, graph), expected);
    assert.equal(mandatoryViolations(report).length, expected.length);
    const messages = report.violations.map((v) => v.message).join("\n");
    assert.match(messages, /4 masters: SeaweedFS only runs an odd number of masters/);
    assert.match(messages, /4 master\(s\), fewer than the required 5/);
    assert.match(messages, /losing us-east-1[ab] \(2 masters\) leaves 2 of 4 masters, below the quorum of 3/);
    assert.match(messages, /the load balancer is internet-facing/);
    assert.match(messages, /30s x 2 = 60s, more than maxDetectionSeconds 30/);
  });

  it("only warns under the dev config (advisory)", async () => {
    const { graph, expectedUnderDev } = brokenProd(graphs.get("prod")!);
    const report = await runPolicies(toPolicyResources(graph), packConfig("dev"));
    assert.equal(mandatoryViolations(report).length, 0);
    // dev asks for 3 masters, so the minimum-count message goes, and requires no TLS, so the plain-text master goes
    // unjudged; everything else is still reported.
    assert.deepEqual(located(report.violations, graph), expectedUnderDev);
    assert.doesNotMatch(report.violations.map((v) => v.message).join("\n"), /fewer than the required/);
    assert.ok(report.violations.every((v) => v.enforcementLevel === "advisory"));
  });
});
