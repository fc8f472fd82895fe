/**
 * A `masterCount` change against `--previous` is a raft membership change: the plan reports it with its exact steps
 * (`membershipChange` in --json), and a scale-in is refused, before any resource is registered, until the leaving
 * slots were taken out of raft (`slotsRemovedFromRaft`).
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { buildPlan } from "../../tools/lib/plan";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const tsx = path.join(REPO_ROOT, "node_modules/.bin/tsx");

/** `npm run plan` as a user runs it; a refusal must come back as exit code 2 with the message on stderr. */
async function plan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, ["tools/plan.ts", ...args], { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** dev's slots as deployed with 3 and with 5 masters (slot i: zone i mod 3, the (10 + i div 3)-th address). */
const DEPLOYED_3 = [
  { slot: 0, az: "us-east-1a", ip: "10.40.0.10" },
  { slot: 1, az: "us-east-1b", ip: "10.40.16.10" },
  { slot: 2, az: "us-east-1c", ip: "10.40.32.10" },
];
const DEPLOYED_5 = [...DEPLOYED_3, { slot: 3, az: "us-east-1a", ip: "10.40.0.11" }, { slot: 4, az: "us-east-1b", ip: "10.40.16.11" }];

describe("plan --previous with a masterCount change", { timeout: 240_000 }, () => {
  let dir: string;
  /** A copy of stacks/Pulumi.dev.yaml with `masterCount` and extra lines, as stack `dev` in a stacks dir of its own. */
  function devStack(masterCount: number, extra = ""): string {
    const stackDir = fs.mkdtempSync(path.join(dir, "stack-"));
    const yaml = fs.readFileSync(path.join(REPO_ROOT, "stacks/Pulumi.dev.yaml"), "utf8").replace(/masterCount: 3/, `masterCount: ${masterCount}`) + extra;
    fs.writeFileSync(path.join(stackDir, "Pulumi.dev.yaml"), yaml);
    return stackDir;
  }
  /** A `--previous` file holding these deployed slots (the stack's `slots` output). */
  function previousFile(slots: unknown[]): string {
    const file = path.join(fs.mkdtempSync(path.join(dir, "previous-")), "outputs.json");
    fs.writeFileSync(file, JSON.stringify({ slots }));
    return file;
  }
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-membership-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reports no membership change when the count is unchanged", async () => {
    const plan = await buildPlan("dev", DEPLOYED_3);
    assert.equal("membershipChange" in plan, false);
  });

  it("reports 3 -> 5 as a scale-out with the exact steps and the new peer list", async () => {
    const plan = await buildPlan("dev", DEPLOYED_3, { stacksDir: devStack(5) });
    const change = plan.membershipChange!;
    assert.equal(change.kind, "scale-out");
    assert.deepEqual([change.from, change.to], [3, 5]);
    assert.equal(change.peers, "10.40.0.10:9333,10.40.16.10:9333,10.40.32.10:9333,10.40.0.11:9333,10.40.16.11:9333");
    assert.deepEqual(change.steps.map((s) => `${s.action} ${s.slot}`), ["start-member 3", "add-voter 3", "start-member 4", "add-voter 4", "roll 0", "roll 1", "roll 2"]);
    assert.match(change.steps[1].description, /cluster\.raft\.add -id 10\.40\.0\.11:9333 -address 10\.40\.0\.11:19333 -voter/);
  });

  it("refuses 5 -> 3 while the leaving slots are raft voters (exit 2), naming the key, both counts and the fix", async () => {
    const { code, stderr } = await plan("--stack", "dev", "--previous", previousFile(DEPLOYED_5));
    assert.equal(code, 2);
    assert.match(stderr, /masterCount = 3: shrinks the deployed 5 masters to 3/);
    assert.match(stderr, /deployed: 5, new: 3/);
    assert.match(stderr, /slotsRemovedFromRaft: \[4, 3\]/);
  });

  it("plans 5 -> 3 once slotsRemovedFromRaft lists the leaving slots, with their raft ids in the steps", async () => {
    const plan = await buildPlan("dev", DEPLOYED_5, { stacksDir: devStack(3, "  seaweed-infra:slotsRemovedFromRaft:\n    - 4\n    - 3\n") });
    const change = plan.membershipChange!;
    assert.equal(change.kind, "scale-in");
    assert.deepEqual(change.steps.map((s) => `${s.action} ${s.slot}`), ["keep-leader 0", "remove-voter 4", "stop-member 4", "remove-voter 3", "stop-member 3", "roll 0", "roll 1", "roll 2"]);
    assert.match(change.steps[1].description, /cluster\.raft\.remove -id 10\.40\.16\.11:9333/);
    assert.match(change.steps[3].description, /cluster\.raft\.remove -id 10\.40\.0\.11:9333/);
  });

  it("refuses slotsRemovedFromRaft naming a slot that stays", async () => {
    const { code, stderr } = await plan("--stack", "dev", "--stacks-dir", devStack(3, "  seaweed-infra:slotsRemovedFromRaft:\n    - 1\n"), "--previous", previousFile(DEPLOYED_3));
    assert.equal(code, 2);
    assert.match(stderr, /slotsRemovedFromRaft = \[1\]: lists slot\(s\) 1, which stay/);
  });
});
