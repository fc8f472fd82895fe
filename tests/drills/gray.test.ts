/**
 * Gray failures against real `weed` (issue #11), at CI cost:
 * - frozen-leader-long with a freeze as long as its write bound (the drill freezes 120 s), on two dev clusters side
 *   by side: with the watchdog as rendered, writes come back while the leader is still frozen and stay back; without
 *   it (the negative control) no write works during the freeze, so the outage ratio is measured in one run. The
 *   watchdog's own kill counter proves it was the cause. Each side is asserted on its first and only run.
 * - the partition scenarios through `npm run drill` (which re-executes itself in a private network namespace with
 *   nftables), and its `--report` page loaded in headless Chromium: one timeline per scenario, the outage interval.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { LocalCluster } from "../../tools/lib/localCluster";
import { applyCuts } from "../../tools/lib/cluster/partition";
import { frozenLeaderWriteBoundMs } from "../../tools/lib/drill/bounds";
import { frozenLeaderLongFor } from "../../tools/lib/drill/frozenLeaderLong";
import { DrillFailure, ScenarioMeasurements } from "../../tools/lib/drill/types";
import { WRITE_WARMUP_MS } from "../../infra/seaweed/constants";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { stopChildrenAtExit } from "../../tools/lib/cluster/processes";

// The partition drill runs as a child process: if this test is interrupted, it and its clusters stop with it.
stopChildrenAtExit();

const run = promisify(execFile);

interface FrozenRun {
  freezeMs: number;
  measured: ScenarioMeasurements;
  failure?: string;
  duplicates: number;
  kills: number;
  slots: number[];
  /** Slots whose watchdog script was running before the freeze, as /proc shows it (not the harness's bookkeeping). */
  watchdogsRunning: number[];
}

/** Slots of `cluster` whose rendered watchdog.sh some process runs. */
function watchdogsRunning(cluster: LocalCluster): number[] {
  const scripts = new Map(cluster.masters.map((m) => [path.join(m.dir, "watchdog.sh"), m.slot]));
  const slots = new Set<number>();
  for (const pid of fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // the process ended meanwhile
    }
    for (const arg of argv) if (scripts.has(arg)) slots.add(scripts.get(arg)!);
  }
  return [...slots].sort((a, b) => a - b);
}

/**
 * frozen-leader-long on a fresh dev cluster, frozen as long as the scenario's write bound: a run that meets its bound
 * gets writes back while the leader is still frozen.
 */
async function frozenFor(watchdog: boolean): Promise<FrozenRun> {
  const cluster = await LocalCluster.start({ stack: "dev", watchdog });
  try {
    const kills = () => cluster.masters.reduce((sum, m) => sum + cluster.watchdogKills(m.slot), 0);
    const freezeMs = frozenLeaderWriteBoundMs(cluster);
    const base = { freezeMs, slots: cluster.masters.map((m) => m.slot), watchdogsRunning: watchdogsRunning(cluster) };
    try {
      const measured = await frozenLeaderLongFor(freezeMs).run({ cluster, step: () => {} });
      return { ...base, measured, duplicates: cluster.fileIds.duplicates.length, kills: kills() };
    } catch (error) {
      if (!(error instanceof DrillFailure) || !error.measured) throw error;
      return { ...base, measured: error.measured, failure: error.message, duplicates: cluster.fileIds.duplicates.length, kills: kills() };
    }
  } finally {
    await cluster.stop();
  }
}

/** What a side measured, for the test log (a miss is explained by these figures, not by a rerun). */
function summary(run: FrozenRun): string {
  const { newLeaderMs, writesBackMs, extra } = run.measured;
  return `freeze ${run.freezeMs} ms: new leader after ${newLeaderMs} ms, writes back after ${writesBackMs} ms, ${JSON.stringify(extra)}, watchdog kills ${run.kills}; ${run.failure ?? "passed"}`;
}

describe("gray failures on real weed", { timeout: 240_000 }, () => {
  // Both sides run once, at the same time; each test asserts its own side, so neither verdict depends on the other.
  let pair: Promise<[FrozenRun, FrozenRun]> | undefined;
  const sideBySide = () => (pair ??= Promise.all([frozenFor(true), frozenFor(false)]));

  it("refuses to add partition rules outside the drill's own network namespace", () => {
    assert.throws(() => applyCuts({} as LocalCluster, [{ from: 0, to: 1 }], [0]), /only run inside the drill's private network namespace/);
  });

  it("frozen leader, watchdog on: the watchdog kills it, writes come back while it is still frozen and stay back", async (t) => {
    const [on] = await sideBySide();
    t.diagnostic(summary(on));
    assert.deepEqual(on.watchdogsRunning, on.slots, "a watchdog runs beside every master");
    assert.equal(on.failure, undefined, `with the watchdog: ${on.failure}`);
    assert.equal(on.kills, 1, "the watchdog killed the frozen leader exactly once");
    // The continuous writer ran for the rest of the freeze (its bound is the scenario's to enforce).
    assert.ok((on.measured.extra?.storedWritesAfterRecovery ?? 0) > 0, `no write stored after recovery: ${JSON.stringify(on.measured.extra)}`);
    assert.equal(on.duplicates, 0);
  });

  it("frozen leader, watchdog off (the negative control, same run): no write works while it is frozen", async (t) => {
    const [, off] = await sideBySide();
    t.diagnostic(summary(off));
    assert.deepEqual(off.watchdogsRunning, [], "no watchdog runs beside any master");
    // Every volume server heartbeats to the leader before the freeze (the scenario waits for it), so all of them stay
    // with the frozen process until gRPC keepalive (80 s). Without the watchdog the resumed old leader may also claim
    // leadership beside the new one for a moment: that fails the run too, with the same note.
    assert.match(off.failure ?? `passed: new leader after ${off.measured.newLeaderMs} ms, writes back after ${off.measured.writesBackMs} ms`, /no write worked while master-\d was frozen/);
    assert.equal(off.duplicates, 0);
  });

  it("partitions run in the drill's network namespace and the --report page renders a timeline per scenario in Chromium", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-report-"));
    try {
      const html = path.join(dir, "report.html");
      const scenarios = ["leader-partitioned", "follower-partitioned", "asymmetric"];
      const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
      const drill = await run(tsx, ["tools/drill.ts", "--stack", "dev", "--scenario", scenarios.join(","), "--no-baseline", "--json", "--report", html], {
        cwd: REPO_ROOT,
        timeout: 180_000,
        maxBuffer: 16 << 20,
      }).catch((error: { stdout?: string; stderr?: string; message: string }) => assert.fail(`drill failed: ${error.message}\n${error.stderr?.slice(-3000)}`));
      const report = JSON.parse(drill.stdout) as {
        scenarios: { id: string; passed: boolean; failures: string[]; noWriteOutage: boolean; writesBackMs: { median: number } | null }[];
        duplicateFileIds: number;
        skippedScenarios: unknown[];
      };
      assert.deepEqual(report.scenarios.map((s) => [s.id, s.passed, s.failures]), scenarios.map((id) => [id, true, []]));
      // Writes stopped only when the leader was cut off.
      assert.deepEqual(report.scenarios.map((s) => [s.id, s.noWriteOutage]), [["leader-partitioned", false], ["follower-partitioned", true], ["asymmetric", true]]);
      assert.equal(report.duplicateFileIds, 0);
      assert.deepEqual(report.skippedScenarios, []);
      assert.match(drill.stderr, /private network namespace/);
      // The rules lived and died in the drill's namespace: the host's ruleset never had the drill's table.
      assert.doesNotMatch((await run("nft", ["list", "tables"])).stdout, /seaweed_drill/);

      const png = path.join(dir, "report.png");
      const chromium = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,1400"];
      // Both at once, each with a profile of its own (one profile takes one browser).
      const profile = (name: string) => `--user-data-dir=${path.join(dir, name)}`;
      const [{ stdout: dom }] = await Promise.all([
        run("chromium", [...chromium, profile("dom"), "--dump-dom", `file://${html}`], { timeout: 60_000, maxBuffer: 64 << 20 }),
        run("chromium", [...chromium, profile("png"), `--screenshot=${png}`, `file://${html}`], { timeout: 60_000 }),
      ]);
      // The verdict table says where writes never stopped (not "-"), and a page of passed scenarios shows no FAILED.
      for (const id of ["follower-partitioned", "asymmetric"]) assert.match(dom, new RegExp(`<tr data-series="dev" data-scenario="${id}">.*?<td class="writes-back">no write outage</td>`));
      assert.match(dom, /<tr data-series="dev" data-scenario="leader-partitioned">.*?<td class="writes-back">\d+\.\d s<\/td>/);
      assert.doesNotMatch(dom, /FAILED/);
      const sections = [...dom.matchAll(/<section class="timeline" data-scenario="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(sections, scenarios, "one timeline per scenario run");
      const section = (id: string) => dom.indexOf(`<section class="timeline" data-scenario="${id}"`);
      const leaderSection = dom.slice(section("leader-partitioned"), section("follower-partitioned"));
      assert.match(leaderSection, /<svg[^>]*>/);
      // The outage drawn is the one measured (the JSON's writes-back time), and at least the new leader's warm-up.
      const outageMs = Number(/class="interval" data-label="write outage" data-ms="(\d+)"/.exec(leaderSection)?.[1]);
      assert.equal(outageMs, report.scenarios.find((s) => s.id === "leader-partitioned")?.writesBackMs?.median, "the page's write outage is not the measured one");
      assert.ok(outageMs >= WRITE_WARMUP_MS, `a write outage of ${outageMs} ms is shorter than the new leader's ${WRITE_WARMUP_MS} ms warm-up`);
      assert.match(leaderSection, /class="partitioned"/);
      const leaders = new Set([...leaderSection.matchAll(/data-slot="(\d)" data-role="leader"/g)].map((m) => m[1]));
      assert.ok(leaders.size >= 2, `leadership should move in the leader-partitioned timeline, saw leaders ${[...leaders].join(", ")}`);
      assert.ok(/data-ok="false"/.test(leaderSection) && /data-ok="true"/.test(leaderSection), "failed and stored writes both shown");
      const image = fs.readFileSync(png);
      assert.equal(image.subarray(1, 4).toString(), "PNG");
      assert.ok(image.length > 20_000, `screenshot is only ${image.length} bytes`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
