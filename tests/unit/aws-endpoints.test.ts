/**
 * A VPC the stack creates has no internet or NAT gateway, so every AWS API a master calls must have a VPC endpoint
 * there, or the call times out (issue #25: `give_up` could never reach Auto Scaling). This reads every AWS CLI call
 * in what a master runs (each slot's user data and every script the stack keeps in SSM: the boot steps, the backup
 * agent, the restore script) and what its daemons call by themselves, and checks each service against the endpoints
 * of the dev stack's created VPC. The docs' prerequisites for an existing VPC must name the same services.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { runStack } from "../../tools/lib/plan";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { plain } from "../support/monitoringGraph";
import { decodeUserData } from "../../infra/aws/userData";

/**
 * The VPC endpoint service each AWS CLI service name is reached through (AWS's names, e.g. CloudWatch's API is
 * `monitoring`). A service missing here fails the test: add it knowingly.
 */
const ENDPOINT_OF_CLI_SERVICE: Record<string, string> = {
  ec2: "ec2",
  ssm: "ssm",
  s3: "s3",
  autoscaling: "autoscaling",
  cloudwatch: "monitoring",
  logs: "logs",
  sts: "sts",
  kms: "kms",
};

/** What runs on a master without an `aws` command line: the endpoints each daemon needs (from AWS's documentation). */
const DAEMONS: Record<string, string[]> = {
  // PutMetricData, the journal and EMF log streams, `fetch-config -c ssm:<parameter>`.
  "CloudWatch agent": ["monitoring", "logs", "ssm"],
  // Run Command (the restore tool) and Session Manager.
  "SSM agent": ["ssm", "ssmmessages", "ec2messages"],
  // Amazon Linux 2023's repositories are S3 buckets in the instance's region.
  "dnf (amazon-cloudwatch-agent)": ["s3"],
};

/**
 * `aws <service> <operation>` however a script spells the command: `aws`, the boot script's retrying `aws_call`, or
 * a variable defaulting to `aws` (`"$AWS"`, `"${SEAWEEDFS_BACKUP_AWS:-aws}"`).
 */
const CLI_CALL = /(?:^|[\s;(&|$]|\$\()(?:aws_call|aws|"\$AWS"|"\$\{[A-Z_]+:-aws\}")[ \t]+([a-z][a-z0-9-]*)[ \t]+([a-z][a-z0-9-]*)/gm;

/** Every `service operation` the text calls. */
function cliCalls(text: string): string[] {
  return [...text.matchAll(CLI_CALL)].map((m) => `${m[1]} ${m[2]}`);
}

/**
 * The script texts a master runs: each slot's user data and every SSM parameter's value (scripts, configs; the
 * provider marks `value` secret, which the recorded inputs keep wrapped).
 */
function masterScripts(resources: readonly RecordedResource[]): { where: string; text: string }[] {
  const userData = resources
    .filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")
    .map((r) => ({ where: `${r.name} user data`, text: decodeUserData(r.inputs.userData) }));
  const parameters = resources
    .filter((r) => r.type === "aws:ssm/parameter:Parameter")
    .map((r) => ({ where: `SSM ${String(r.inputs.name)}`, text: [plain(r.inputs.value), r.inputs.insecureValue].filter((v) => typeof v === "string").join("\n") }));
  return [...userData, ...parameters];
}

describe("the created VPC reaches every AWS API a master calls", () => {
  let resources: RecordedResource[];
  let endpoints: { service: string; type: string }[];
  before(async () => {
    const run = await runStack("dev");
    assert.equal(run.config.vpcId, "", "dev creates its VPC");
    resources = run.resources;
    endpoints = resources
      .filter((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint")
      .map((r) => ({ service: String(r.inputs.serviceName).replace(/^com\.amazonaws\.[a-z0-9-]+\./, ""), type: String(r.inputs.vpcEndpointType) }));
  });

  it("has an endpoint for the service of every AWS CLI call in the boot script, its steps and the agents' scripts", () => {
    const needed = new Map<string, Set<string>>();
    for (const { where, text } of masterScripts(resources)) {
      for (const call of cliCalls(text)) {
        const service = call.split(" ")[0];
        const endpoint = ENDPOINT_OF_CLI_SERVICE[service];
        assert.ok(endpoint, `${where} calls \`aws ${call}\`: which VPC endpoint serves ${service}? (add it to ENDPOINT_OF_CLI_SERVICE)`);
        needed.set(endpoint, new Set([...(needed.get(endpoint) ?? []), `aws ${call} (${where.replace(/slot-\d+/, "slot-<n>").replace(/master-\d+-lt/, "master-<n>-lt")})`]));
      }
    }
    for (const [daemon, services] of Object.entries(DAEMONS)) for (const s of services) needed.set(s, new Set([...(needed.get(s) ?? []), daemon]));
    // Not vacuous: the calls the boot path is known to make were found.
    for (const call of ["ec2 attach-network-interface", "ssm get-parameter", "s3 cp", "autoscaling set-instance-health", "cloudwatch put-metric-data"]) {
      assert.ok(masterScripts(resources).some(({ text }) => cliCalls(text).includes(call)), `found no \`aws ${call}\` (is the call pattern still right?)`);
    }
    const available = new Set(endpoints.map((e) => e.service));
    const missing = [...needed].filter(([service]) => !available.has(service)).map(([service, by]) => `${service}: needed by ${[...by].join(", ")}`);
    assert.deepEqual(missing, [], `the created VPC has endpoints for ${[...available].join(", ")}`);
  });

  it("serves S3 through a gateway endpoint and the rest through interface endpoints", () => {
    assert.deepEqual(endpoints.filter((e) => e.type === "Gateway").map((e) => e.service), ["s3"]);
    assert.ok(endpoints.filter((e) => e.type === "Interface").every((e) => e.service !== "s3"));
  });

  it("lists the same services in the existing-VPC prerequisites of docs/architecture.md", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs/architecture.md"), "utf8");
    const bullet = doc.split("\n").find((l) => l.startsWith("- **Existing VPC**"));
    assert.ok(bullet, "the existing-VPC bullet");
    const paragraph = doc.slice(doc.indexOf(bullet)).split("\n- ")[0];
    const unnamed = endpoints.map((e) => e.service).filter((s) => !paragraph.includes(`\`${s}\``));
    assert.deepEqual(unnamed, [], "each endpoint service in backticks, e.g. `autoscaling`");
    assert.match(paragraph, /dnf/, "and the package repositories dnf needs");
  });
});
