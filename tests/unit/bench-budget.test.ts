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
import { BudgetError, checkBudget, FailoverBudget, judge, judgeTls, readBudget, Side, writesBackLimitMs } from "../../tools/lib/bench/budget";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const budget: FailoverBudget = { stack: "dev", runs: 3, newLeaderSpeedupAtLeast: 8, writesBackSlackSeconds: 1, tlsNewLeaderRatioAtMost: 2 };
const devRaft = { heartbeatInterval: "300ms", electionTimeout: "2s" };
const side = (raft: Side["raft"], newLeaderMs: number[], writesBackMs: number[], failures: string[] = []): Side => ({ raft, newLeaderMs, writesBackMs, failures });
/** SeaweedFS defaults, leader kill on dev's masters (measured beside the committed dev run below). */
const defaults = side({ heartbeatInterval: "300ms", electionTimeout: "10s" }, [10_487, 10_285, 10_445, 13_128, 13_613], [25_577, 25_302, 25_546, 28_246, 28_642]);

describe("the failover budget file", () => {
  it("holds the documented thresholds", () => {
    assert.deepEqual(readBudget(), budget);
  });

  it("refuses a bad value or an unknown key, naming the key, the value and the fix", () => {
    const bad = { ...budget, runs: 0, newLeaderSpeedupAtLeast: "4x", writesBackSlackSeconds: -1, speedup: 4 };
    assert.throws(() => checkBudget(bad, "budget.yaml"), (error: Error) => {
      assert.ok(error instanceof BudgetError);
      assert.match(error.message, /runs: 0 is not valid; use a whole number >= 1/);
      assert.match(error.message, /newLeaderSpeedupAtLeast: "4x" is not valid; use a number > 1/);
      assert.match(error.message, /writesBackSlackSeconds: -1 is not valid; use a number of seconds >= 0/);
      assert.match(error.message, /speedup: unknown key/);
      return true;
    });
  });
});

// Every figure below is one measured run of `npm run bench -- --runs 5` (5 leader kills per side, side by side).
describe("the failover gate", () => {
  it("gives writes back the new leader's median time, the 15 s warm-up and 1 s, whatever the stack's raft settings", () => {
    assert.equal(writesBackLimitMs(budget, 848), 848 + 15_000 + 1_000);
    const slowSettings = judge(budget, side({ heartbeatInterval: "5s", electionTimeout: "10s" }, [800, 850, 900], [16_900, 17_000, 17_100]), defaults);
    assert.equal(slowSettings.writesBackLimitMs, 16_850, "a slower configuration does not buy a looser writes-back limit");
    assert.equal(slowSettings.checks[2].passed, false);
  });

  it("passes dev as committed: new leader x12 faster than defaults, writes back right after the warm-up", () => {
    const verdict = judge(budget, side(devRaft, [832, 848, 529, 4_048, 1_046], [15_832, 15_982, 15_510, 19_068, 16_076]), defaults);
    assert.equal(verdict.passed, true, JSON.stringify(verdict.checks));
    assert.equal(verdict.newLeaderSpeedup, 10_487 / 848);
  });

  it("passes prod's five masters as committed (x15)", () => {
    const prodDefaults = side(defaults.raft, [11_845, 10_135, 10_793, 10_074, 16_027], [26_871, 25_150, 25_838, 25_077, 31_057]);
    const verdict = judge(budget, side(devRaft, [712, 705, 880, 1_011, 526], [15_790, 15_718, 15_898, 16_043, 15_592]), prodDefaults);
    assert.equal(verdict.passed, true, JSON.stringify(verdict.checks));
  });

  it("fails dev with heartbeatInterval 1s, a clearly slower failover (x5.3), though its writes come back right after its leader", () => {
    const hb1sDefaults = side(defaults.raft, [13_035, 11_321, 9_865, 14_153, 13_641], [28_106, 26_332, 24_902, 29_200, 28_741]);
    const verdict = judge(budget, side({ heartbeatInterval: "1s", electionTimeout: "2s" }, [2_582, 1_979, 2_468, 2_310, 3_999], [17_678, 16_987, 17_391, 17_284, 19_085]), hb1sDefaults);
    assert.equal(verdict.passed, false);
    assert.deepEqual(verdict.checks.map((c) => c.passed), [true, false, true]);
    assert.match(verdict.checks[1].detail, /x5\.3 \(defaults 13035 ms \/ stack 2468 ms\), budget >= x8/);
  });

  it("fails a stack whose median new leader is SeaweedFS-slow (runs where split votes took 16-19 s)", () => {
    const verdict = judge(budget, side({ heartbeatInterval: "300ms", electionTimeout: "10s" }, [423, 18_943, 15_929], [15_510, 34_002, 30_919]), defaults);
    assert.equal(verdict.passed, false);
    assert.deepEqual(verdict.checks.map((c) => c.passed), [true, false, true]);
  });

  it("fails when writes come back later than the warm-up plus the slack after the new leader, however fast the election", () => {
    const verdict = judge(budget, side(devRaft, [800, 850, 900], [16_000, 16_900, 17_000]), defaults);
    assert.deepEqual(verdict.checks.map((c) => c.passed), [true, true, false]);
    assert.match(verdict.checks[2].detail, /16900 ms, budget <= 16850 ms \(new leader 850 ms \+ warm-up 15000 ms \+ slack 1000 ms\)/);
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

describe("the TLS gate of a TLS stack's bench", () => {
  it("passes when TLS and no TLS fail over alike, and reports both ratios", () => {
    const verdict = judgeTls(budget, side(devRaft, [700, 820, 760], [15_700, 15_820, 15_760]), side(devRaft, [650, 900, 740], [15_650, 15_900, 15_740]));
    assert.equal(verdict.passed, true, JSON.stringify(verdict.checks));
    assert.equal(verdict.newLeaderRatio, 760 / 740);
    assert.equal(verdict.writesBackRatio, 15_760 / 15_740);
  });

  it("fails when TLS more than doubles the median new leader, or when a run without TLS failed", () => {
    // A TLS defect costing a reconnect (e.g. a handshake timeout on the first heartbeat to the new leader).
    const slow = judgeTls(budget, side(devRaft, [2_400, 2_600, 2_500], [17_400, 17_600, 17_500]), side(devRaft, [650, 900, 740], [15_650, 15_900, 15_740]));
    assert.deepEqual(slow.checks.map((c) => c.passed), [true, false]);
    assert.match(slow.checks[1].detail, /x3\.38 \(TLS 2500 ms \/ no TLS 740 ms\), budget <= x2/);
    const failed = judgeTls(budget, side(devRaft, [700], [15_700]), side(devRaft, [], [], ["run 1: cluster did not start"]));
    assert.deepEqual(failed.checks.map((c) => c.passed), [false, false]);
  });

  it("refuses a ratio below 1", () => {
    assert.throws(() => checkBudget({ ...budget, tlsNewLeaderRatioAtMost: 0.9 }, "budget.yaml"), /tlsNewLeaderRatioAtMost: 0.9 is not valid; use a number >= 1/);
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
