/**
 * `npm run plan` as a user runs it: the JSON contract for prod, and a clear exit code 2 for a bad stack name.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const run = promisify(execFile);
const tsx = path.join(REPO_ROOT, "node_modules/.bin/tsx");

async function plan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, ["tools/plan.ts", ...args], { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("npm run plan", () => {
  it("shows prod as 5 masters over 3 zones, at most 2 per zone, quorum 3, surviving any zone loss", async () => {
    const { code, stdout } = await plan("--stack", "prod", "--json");
    assert.equal(code, 0);
    const result = JSON.parse(stdout);
    assert.equal(result.stack, "prod");
    assert.equal(result.quorum, 3);
    assert.equal(result.masters.length, 5);
    const perZone = new Map<string, number>();
    for (const m of result.masters) perZone.set(m.az, (perZone.get(m.az) ?? 0) + 1);
    assert.equal(perZone.size, 3);
    assert.ok(Math.max(...perZone.values()) <= 2);
    assert.equal(result.azLoss.length, 3);
    assert.ok(result.azLoss.every((row: { quorumKept: boolean }) => row.quorumKept));
    assert.ok(Array.isArray(result.resources));
    assert.equal(result.outputs.masterAddresses, result.masters.map((m: { ip: string }) => `${m.ip}:9333`).join(","));
  });

  it("prints nothing but the JSON object when run through npm, as other checks consume it", async () => {
    const { stdout } = await run("npm", ["run", "plan", "--", "--stack", "dev", "--json"], { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(JSON.parse(stdout).stack, "dev");
  });

  it("prints a readable summary with the slots and the zone-loss table", async () => {
    const { code, stdout } = await plan("--stack", "dev");
    assert.equal(code, 0);
    assert.match(stdout, /Stack dev \(dev\): 3 masters, quorum 2/);
    assert.match(stdout, /seaweedfs-dev-master-2\s+us-east-1c\s+10\.40\.32\.10/);
    assert.match(stdout, /us-east-1a\s+1\s+2\s+yes/);
  });

  it("exits 2 naming the available stacks when the stack does not exist", async () => {
    const { code, stderr } = await plan("--stack", "prd");
    assert.equal(code, 2);
    assert.match(stderr, /no stack file stacks\/Pulumi\.prd\.yaml; stacks here: .*prod/);
  });

  it("refuses a change that would move a deployed slot, given the last plan", async () => {
    const previous = path.join(REPO_ROOT, "tests/support/fixtures/prod-previous-plan.json");
    const { code, stderr } = await plan("--stack", "prod", "--previous", previous);
    assert.equal(code, 2);
    assert.match(stderr, /seaweed-infra:masterIps = .*moves slot 4 from us-east-1c 10\.20\.32\.11 to us-east-1b 10\.20\.16\.11/);
  });
});
