/**
 * The AWS tier's config is refused before anything is registered when it cannot work: a slot IP outside its subnet,
 * a client CIDR open to the world in prod, an existing subnet that is not where the config says, health-check
 * timings the NLB would reject. Its defaults protect prod and take a dead master out within about 15 s.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ConfigError, projectKeys, PROJECT } from "../../infra/config";
import { parseConfig } from "../../infra/platforms";
import { subnetMismatches } from "../../infra/aws/network";
import { awsPlatform } from "../../infra/aws/platform";
import { mockSubnetOverrides } from "../../tools/lib/mockCloud";
import { runUnderMocks } from "../../tools/lib/mockGraph";
import { readStackConfig, REPO_ROOT, stackFilePath } from "../../tools/lib/stackFiles";
import { refusal } from "../support/configRefusal";
import { TSX } from "../support/runTool";

const run = promisify(execFile);
const prodKeys = () => projectKeys(readStackConfig("prod").config);


describe("AWS tier config", () => {
  const cases: { name: string; overrides: Record<string, string>; key: string; mentions: RegExp }[] = [
    { name: "a slot IP outside its subnet", overrides: { masterIps: JSON.stringify(["10.20.0.10", "10.20.16.10", "10.20.48.10", "10.20.0.11", "10.20.16.11"]) }, key: "masterIps[2]", mentions: /none of the master subnets/ },
    { name: "a prod client CIDR of 0.0.0.0/0", overrides: { clientCidrs: JSON.stringify(["10.20.64.0/18", "0.0.0.0/0"]) }, key: "clientCidrs[1]", mentions: /whole internet/ },
    { name: "a public client CIDR in prod", overrides: { clientCidrs: JSON.stringify(["52.0.0.0/8"]) }, key: "clientCidrs[0]", mentions: /not a private range/ },
    { name: "a health-check timeout as long as the interval", overrides: { lbHealthCheckTimeoutSeconds: "5" }, key: "lbHealthCheckTimeoutSeconds", mentions: /shorter than lbHealthCheckIntervalSeconds/ },
    { name: "a health-check interval below the NLB minimum", overrides: { lbHealthCheckIntervalSeconds: "2" }, key: "lbHealthCheckIntervalSeconds", mentions: /at least 5/ },
    { name: "an unhealthy threshold of 1", overrides: { lbUnhealthyThreshold: "1" }, key: "lbUnhealthyThreshold", mentions: /at least 2/ },
    { name: "a private zone name that is not a domain", overrides: { privateZoneName: "Not A Domain" }, key: "privateZoneName", mentions: /DNS domain/ },
    { name: "an attach timeout too short to outlive a terminating instance", overrides: { attachTimeoutSeconds: "5" }, key: "attachTimeoutSeconds", mentions: /at least 30/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, naming ${c.key}`, () => {
      const error = refusal(c.overrides);
      const issue = error.issues.find((i) => i.key === c.key);
      assert.ok(issue, `no issue for ${c.key} in ${error.message}`);
      assert.match(issue.message, c.mentions);
      assert.ok(issue.fix.length > 0);
      assert.match(error.message, new RegExp(`${PROJECT}:${c.key.replace(/[[\]]/g, "\\$&")} = `));
    });
  }

  it("accepts a public client CIDR outside prod (but still never 0.0.0.0/0)", () => {
    assert.doesNotThrow(() => parseConfig({ ...projectKeys(readStackConfig("dev").config), clientCidrs: JSON.stringify(["52.0.0.0/8"]) }));
    assert.equal(refusal({ clientCidrs: JSON.stringify(["0.0.0.0/0"]) }, "dev").issues[0].key, "clientCidrs[0]");
  });

  it("protects prod by default and leaves dev and staging easy to tear down", () => {
    for (const [stack, on] of [["prod", true], ["staging", false], ["dev", false]] as const) {
      const config = parseConfig(projectKeys(readStackConfig(stack).config));
      assert.deepEqual([config.lbDeletionProtection, config.dataProtection], [on, on], stack);
    }
  });

  it("takes a dead master out of the load balancer within about 15 s with the default health check", () => {
    const c = parseConfig(prodKeys());
    assert.ok(c.lbHealthCheckIntervalSeconds * c.lbUnhealthyThreshold + c.lbHealthCheckTimeoutSeconds <= 15);
  });
});

describe("existing subnets", () => {
  const plans = [
    { az: "us-east-1a", id: "subnet-0a", cidr: "10.20.0.0/20" },
    { az: "us-east-1b", id: "subnet-0b", cidr: "10.20.16.0/20" },
  ];
  it("are compared with what EC2 says: VPC, zone and CIDR, each mismatch naming the key to fix", () => {
    const issues = subnetMismatches("vpc-1", plans, [
      { id: "subnet-0a", vpcId: "vpc-1", availabilityZone: "us-east-1a", cidrBlock: "10.20.0.0/20" },
      { id: "subnet-0b", vpcId: "vpc-2", availabilityZone: "us-east-1c", cidrBlock: "10.20.16.0/24" },
    ]);
    assert.deepEqual(issues.map((i) => i.key), ["subnetIds[1]", "subnetIds[1]", "subnetCidrs[1]"]);
    assert.match(issues[2].fix, /10\.20\.16\.0\/24/);
  });

  after(() => {
    for (const id of Object.keys(mockSubnetOverrides)) delete mockSubnetOverrides[id];
  });

  it("stop the program before any resource is registered when one is not where the config says", async () => {
    const engineConfig = readStackConfig("prod").config;
    const config = parseConfig(projectKeys(engineConfig), { stack: "prod" });
    mockSubnetOverrides[config.subnets[1].id!] = { cidrBlock: "10.20.16.0/24" };
    let failure: unknown;
    const recorded = await runUnderMocks(
      async () => {
        try {
          return await awsPlatform(config);
        } catch (error) {
          failure = error;
          return {};
        }
      },
      { project: PROJECT, stack: "prod", config: engineConfig },
    );
    assert.ok(failure instanceof ConfigError, String(failure));
    assert.match(failure.message, /seaweed-infra:subnetCidrs\[1\] = "10\.20\.16\.0\/20": differs from the real CIDR 10\.20\.16\.0\/24/);
    assert.deepEqual(recorded.resources.filter((r) => r.type !== "pulumi:pulumi:Stack"), []);
  });
});

describe("npm run plan on a stack that cannot work", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-config-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function plan(yaml: string): Promise<{ code: number; stderr: string }> {
    fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), yaml);
    try {
      await run(TSX, ["tools/plan.ts", "--stack", "broken", "--stacks-dir", dir, "--json"], { cwd: REPO_ROOT, timeout: 120_000 });
      return { code: 0, stderr: "" };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr };
    }
  }

  it("exits 2 naming masterIps[4] when a slot IP lies outside its subnet, and clientCidrs[0] for 0.0.0.0/0 in prod", async () => {
    const prod = fs.readFileSync(stackFilePath("prod"), "utf8");
    const outside = await plan(prod.replace("    - 10.20.16.11\n", "    - 10.21.16.11\n"));
    assert.equal(outside.code, 2, outside.stderr);
    assert.match(outside.stderr, /seaweed-infra:masterIps\[4\] = "10\.21\.16\.11": lies in none of the master subnets/);
    const open = await plan(prod.replace("    - 10.20.64.0/18\n", "    - 0.0.0.0/0\n"));
    assert.equal(open.code, 2, open.stderr);
    assert.match(open.stderr, /seaweed-infra:clientCidrs\[0\] = "0\.0\.0\.0\/0": opens the master ports to the whole internet/);
  });
});
