/**
 * The failover gate of `npm run bench` judges what it should: a stack that fails over SeaweedFS-slowly, or whose
 * writes come back late, is over budget; a drill failure is never judged a pass; a broken budget file is refused
 * with the key, the value and the fix. Figures are literal (measured runs of this project), never computed by the
 * code under test. The bench itself (real clusters, ~2 minutes) runs in .ci/run as `npm run bench`.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { BudgetError, checkBudget, FailoverBudget, judge, readBudget, Side, writesBackLimitMs } from "../../tools/lib/bench/budget";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const budget: FailoverBudget = { stack: "dev", runs: 3, newLeaderSpeedupAtLeast: 4, writesBackMargin: { heartbeatIntervals: 2.5, electionTimeouts: 2, slackSeconds: 1 } };
const devRaft = { heartbeatInterval: "300ms", electionTimeout: "2s" };
const side = (raft: Side["raft"], newLeaderMs: number[], writesBackMs: number[], failures: string[] = []): Side => ({ raft, newLeaderMs, writesBackMs, failures });
/** SeaweedFS defaults, leader kill on dev's masters (measured). */
const defaults = side({ heartbeatInterval: "300ms", electionTimeout: "10s" }, [11_360, 12_920, 14_414], [26_410, 27_930, 29_438]);

describe("the failover budget file", () => {
  it("holds the documented thresholds", () => {
    assert.deepEqual(readBudget(), budget);
  });

  it("refuses a bad value or an unknown key, naming the key, the value and the fix", () => {
    const bad = { ...budget, runs: 0, newLeaderSpeedupAtLeast: "4x", writesBackMargin: { heartbeatIntervals: 2.5, slackSeconds: -1 }, speedup: 4 };
    assert.throws(() => checkBudget(bad, "budget.yaml"), (error: Error) => {
      assert.ok(error instanceof BudgetError);
      assert.match(error.message, /runs: 0 is not valid; use a whole number >= 1/);
      assert.match(error.message, /newLeaderSpeedupAtLeast: "4x" is not valid; use a number > 1/);
      assert.match(error.message, /writesBackMargin\.electionTimeouts: undefined is not valid; use a number >= 0/);
      assert.match(error.message, /writesBackMargin\.slackSeconds: -1 is not valid/);
      assert.match(error.message, /speedup: unknown key/);
      return true;
    });
  });
});

describe("the failover gate", () => {
  it("gives writes back 15 s of warm-up plus 2.5 heartbeats, 2 election timeouts and 1 s (dev: 20.75 s)", () => {
    assert.equal(writesBackLimitMs(budget, devRaft), 20_750);
    assert.equal(writesBackLimitMs(budget, { heartbeatInterval: "1s", electionTimeout: "10s" }), 15_000 + 2_500 + 20_000 + 1_000);
  });

  it("passes dev as rendered: new leader ~15x faster than defaults, writes back right after the warm-up", () => {
    const verdict = judge(budget, side(devRaft, [810, 880, 4_100], [15_470, 15_840, 19_500]), defaults);
    assert.equal(verdict.passed, true, JSON.stringify(verdict.checks));
    assert.equal(verdict.newLeaderSpeedup, 12_920 / 880);
  });

  it("fails dev with electionTimeout 10s: split votes make the median new leader SeaweedFS-slow", () => {
    const verdict = judge(budget, side({ heartbeatInterval: "300ms", electionTimeout: "10s" }, [423, 18_943, 15_929], [15_510, 34_002, 30_919]), defaults);
    assert.equal(verdict.passed, false);
    assert.deepEqual(verdict.checks.map((c) => c.passed), [true, false, true]);
  });

  it("fails when writes come back later than the warm-up plus the margin, however fast the election", () => {
    const verdict = judge(budget, side(devRaft, [800, 850, 900], [20_000, 20_800, 21_000]), defaults);
    assert.deepEqual(verdict.checks.map((c) => c.passed), [true, true, false]);
    assert.match(verdict.checks[2].detail, /20800 ms, budget <= 20750 ms/);
  });

  it("fails when a run of either configuration failed the drill, even if the others were fast", () => {
    const failed = judge(budget, side(devRaft, [800, 850], [15_400, 15_500], ["run 3: no new leader within 30000 ms"]), defaults);
    assert.equal(failed.passed, false);
    assert.match(failed.checks[0].detail, /stack: run 3: no new leader/);
    const noBaseline = judge(budget, side(devRaft, [800], [15_400]), side(defaults.raft, [], [], ["run 1: cluster did not start"]));
    assert.equal(noBaseline.passed, false);
    assert.deepEqual(noBaseline.checks.map((c) => c.passed), [false, false, true]);
  });
});

describe("npm run bench, before any cluster starts", () => {
  const run = promisify(execFile);
  const bench = (...args: string[]) => run(process.execPath, ["--import", "tsx", "tools/bench.ts", ...args], { cwd: REPO_ROOT, timeout: 60_000 });

  it("exits 2 naming the key of a bad budget file, and on an unknown stack", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-budget-"));
    try {
      const file = path.join(dir, "budget.yaml");
      fs.writeFileSync(file, fs.readFileSync(path.join(REPO_ROOT, "bench", "failover-budget.yaml"), "utf8").replace(/^runs: 3$/m, "runs: three"));
      await assert.rejects(bench("--budget", file), (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 2);
        assert.match(error.stderr, /runs: "three" is not valid; use a whole number >= 1/);
        return true;
      });
      await assert.rejects(bench("--stack", "nope"), (error: { code: number; stderr: string }) => error.code === 2 && /Pulumi\.nope\.yaml/.test(error.stderr));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
