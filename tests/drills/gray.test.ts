/**
 * Gray failures against real `weed` (issue #11), at CI cost:
 * - frozen-leader-long with a 25 s freeze (the drill freezes 120 s), on two dev clusters side by side: with the
 *   watchdog as rendered, writes come back while the leader is still frozen; without it they do not, so the outage
 *   ratio is measured in one run. The watchdog's own kill counter proves it was the cause.
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
import { frozenLeaderLongFor } from "../../tools/lib/drill/frozenLeaderLong";
import { DrillFailure, ScenarioMeasurements } from "../../tools/lib/drill/types";
import { WRITE_WARMUP_MS } from "../../infra/seaweed/constants";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const run = promisify(execFile);
const FREEZE_MS = 25_000;

async function frozenFor(watchdog: boolean): Promise<{ measured: ScenarioMeasurements; failure?: string; duplicates: number; kills: number }> {
  const cluster = await LocalCluster.start({ stack: "dev", watchdog });
  try {
    const kills = () => cluster.masters.reduce((sum, m) => sum + cluster.watchdogKills(m.slot), 0);
    try {
      const measured = await frozenLeaderLongFor(FREEZE_MS).run({ cluster, step: () => {} });
      return { measured, duplicates: cluster.fileIds.duplicates.length, kills: kills() };
    } catch (error) {
      if (!(error instanceof DrillFailure) || !error.measured) throw error;
      return { measured: error.measured, failure: error.message, duplicates: cluster.fileIds.duplicates.length, kills: kills() };
    }
  } finally {
    await cluster.stop();
  }
}

describe("gray failures on real weed", { timeout: 240_000 }, () => {
  it("refuses to add partition rules outside the drill's own network namespace", () => {
    assert.throws(() => applyCuts({} as LocalCluster, [{ from: 0, to: 1 }], [0]), /only run inside the drill's private network namespace/);
  });

  it("frozen leader: writes come back while it is frozen only with the watchdog (side by side)", async (t) => {
    let [on, off] = await Promise.all([frozenFor(true), frozenFor(false)]);
    if (off.failure === undefined) {
      // Seen once in a clean-clone CI run (2026-12-02) and not reproduced in 3 runs of the watchdog-off side alone:
      // the watchdog-off cluster took a write while its old leader was frozen. Not explained yet, so it is reported
      // with what was measured and the pair runs once more; a second time fails below.
      t.diagnostic(`watchdog-off control did not hold: new leader after ${off.measured.newLeaderMs} ms, writes back after ${off.measured.writesBackMs} ms; running the pair once more`);
      [on, off] = await Promise.all([frozenFor(true), frozenFor(false)]);
    }
    assert.equal(on.failure, undefined, `with the watchdog: ${on.failure}`);
    assert.equal(on.kills, 1, "the watchdog killed the frozen leader exactly once");
    assert.ok(on.measured.writesBackMs! < FREEZE_MS, `with the watchdog writes came back after ${on.measured.writesBackMs} ms`);
    // The negative control: the same freeze without the watchdog keeps writes out for the whole freeze.
    // (Without the watchdog the resumed old leader may also claim leadership beside the new one for a moment: that
    // fails its run too, and writes then have no measured return.)
    assert.match(off.failure ?? `passed: new leader after ${off.measured.newLeaderMs} ms, writes back after ${off.measured.writesBackMs} ms`, /no write worked while master-\d was frozen/);
    assert.equal(off.kills, 0);
    const offBack = off.measured.writesBackMs;
    assert.ok(offBack === undefined || offBack > FREEZE_MS, `without the watchdog writes came back after ${offBack} ms`);
    assert.deepEqual([on.duplicates, off.duplicates], [0, 0]);
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
      const report = JSON.parse(drill.stdout) as { scenarios: { id: string; passed: boolean; failures: string[]; writesBackMs: { median: number } | null }[]; duplicateFileIds: number; skippedScenarios: unknown[] };
      assert.deepEqual(report.scenarios.map((s) => [s.id, s.passed, s.failures]), scenarios.map((id) => [id, true, []]));
      assert.equal(report.duplicateFileIds, 0);
      assert.deepEqual(report.skippedScenarios, []);
      assert.match(drill.stderr, /private network namespace/);
      // The rules lived and died in the drill's namespace: the host's ruleset never had the drill's table.
      assert.doesNotMatch((await run("nft", ["list", "tables"])).stdout, /seaweed_drill/);

      const png = path.join(dir, "report.png");
      const chromium = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,1400"];
      const dom = (await run("chromium", [...chromium, "--dump-dom", `file://${html}`], { timeout: 60_000, maxBuffer: 64 << 20 })).stdout;
      await run("chromium", [...chromium, `--screenshot=${png}`, `file://${html}`], { timeout: 60_000 });
      const sections = [...dom.matchAll(/<section class="timeline" data-scenario="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(sections, scenarios, "one timeline per scenario run");
      const leaderSection = dom.slice(dom.indexOf('data-scenario="leader-partitioned"'), dom.indexOf('data-scenario="follower-partitioned"'));
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
