/**
 * The offline policy check as a new user meets it in `npm run plan`: prod passes with zero mandatory violations; a
 * prod stack that passes config validation but relaxes the zone rule, or whose policy config asks for faster
 * detection than its health check gives, exits 3 naming the policy; the same relaxed stack as dev only warns.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const tsx = path.join(REPO_ROOT, "node_modules/.bin/tsx");

async function plan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, ["tools/plan.ts", ...args], { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", PULUMI_ACCESS_TOKEN: "" } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** 5 masters over 2 zones (3/2) with the documented relaxation: valid config, but one zone's loss breaks quorum. */
function relaxedStack(environment: string): string {
  return `config:
  aws:region: us-east-1
  seaweed-infra:environment: ${environment}
  seaweed-infra:clusterName: seaweedfs-relaxed
  seaweed-infra:masterCount: 5
  seaweed-infra:availabilityZones: [us-east-1a, us-east-1b]
  seaweed-infra:allowQuorumLossOnAzFailure: true
  seaweed-infra:seaweedBinaryUrl: s3://acme-artifacts-prod/seaweedfs/4.44/weed-linux-amd64
  seaweed-infra:seaweedBinarySha256: b392474c1d1f0ee35fbf2a9afe0de367a0fcc907f21bba88483a4a5f31d89ed3
  seaweed-infra:clientCidrs: [10.40.128.0/17]
`;
}

interface PlanJson {
  stack: string;
  masters: unknown[];
  policy: { configFile: string; violations: { policy: string; enforcementLevel: string; resource: string; message: string }[] };
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "seaweed-policy-"));
  fs.writeFileSync(path.join(dir, "Pulumi.prod-relaxed.yaml"), relaxedStack("prod"));
  fs.writeFileSync(path.join(dir, "Pulumi.dev-relaxed.yaml"), relaxedStack("dev"));
  const prodConfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies/config.prod.json"), "utf8"));
  fs.writeFileSync(path.join(dir, "fast-detection.json"), JSON.stringify({ ...prodConfig, "seaweedfs-lb-health-check": { maxDetectionSeconds: 5 } }));
  fs.writeFileSync(path.join(dir, "typo.json"), JSON.stringify({ all: "mandatory", "seaweedfs-lb-healthcheck": { maxDetectionSeconds: 5 } }));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("npm run plan policy verdicts", () => {
  it("prod: zero mandatory violations, every plan field kept, verdicts under policy", async () => {
    const { code, stdout } = await plan("--stack", "prod", "--json");
    assert.equal(code, 0);
    const result = JSON.parse(stdout) as PlanJson & Record<string, unknown>;
    for (const field of ["stack", "environment", "quorum", "toleratedFailures", "masters", "azLoss", "resources", "outputs"]) assert.ok(field in result, field);
    assert.equal(result.policy.configFile, "policies/config.prod.json");
    assert.deepEqual(result.policy.violations.filter((v) => v.enforcementLevel === "mandatory"), []);
  });

  it("a prod stack relaxing the zone rule exits 3 and names seaweedfs-master-zone-failure", async () => {
    const { code, stdout, stderr } = await plan("--stack", "prod-relaxed", "--stacks-dir", dir);
    assert.equal(code, 3, stderr);
    assert.match(stderr, /mandatory policy violation\(s\): seaweedfs-master-zone-failure/);
    assert.match(stdout, /seaweedfs-master-zone-failure\s+mandatory\s+FAIL \(1\)/);
    assert.match(stdout, /\[mandatory\] seaweedfs-master-zone-failure: losing us-east-1a \(3 masters\) leaves 2 of 5 masters, below the quorum of 3/);
  });

  it("the same stack as dev only reports an advisory violation and exits 0", async () => {
    const { code, stdout } = await plan("--stack", "dev-relaxed", "--stacks-dir", dir, "--json");
    assert.equal(code, 0);
    const { policy } = JSON.parse(stdout) as PlanJson;
    assert.equal(policy.configFile, "policies/config.dev.json");
    assert.deepEqual(policy.violations.map((v) => [v.policy, v.enforcementLevel]), [["seaweedfs-master-zone-failure", "advisory"]]);
  });

  it("prod with a policy config demanding faster detection than its health check exits 3 naming seaweedfs-lb-health-check", async () => {
    const { code, stdout, stderr } = await plan("--stack", "prod", "--json", "--policy-config", path.join(dir, "fast-detection.json"));
    assert.equal(code, 3);
    assert.match(stderr, /seaweedfs-lb-health-check/);
    const { policy } = JSON.parse(stdout) as PlanJson;
    assert.ok(policy.violations.length >= 1);
    for (const v of policy.violations) {
      assert.equal(v.policy, "seaweedfs-lb-health-check");
      assert.equal(v.enforcementLevel, "mandatory");
      assert.match(v.resource, /aws:lb\/targetGroup:TargetGroup::/);
      assert.match(v.message, /more than maxDetectionSeconds 5/);
    }
  });

  it("refuses a policy config naming an unknown policy, exit 2", async () => {
    const { code, stderr } = await plan("--stack", "dev", "--policy-config", path.join(dir, "typo.json"));
    assert.equal(code, 2);
    assert.match(stderr, /unknown policies: seaweedfs-lb-healthcheck/);
  });
});
