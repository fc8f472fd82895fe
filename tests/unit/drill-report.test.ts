/**
 * The drill's report reads right: in a PASSED report the baselines (watchdog off, SeaweedFS defaults) are labelled
 * as baselines, never as a red FAILED; where writes never stopped it says "no write outage", and a ratio that cannot
 * be formed says "no ratio" and why, never "×-". A real failure of the stack itself still reads FAILED, in red.
 * The report is a prod drill's shape, written out by hand; no drill runs.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { renderDrillReportHtml, renderDrillReportText } from "../../tools/lib/drill/report";
import type { DrillReport, ScenarioReport, SeriesReport } from "../../tools/lib/drill/runner";
import type { ScenarioTimeline } from "../../tools/lib/drill/timeline";

const s = (ms: number) => ({ min: ms, median: ms, max: ms });

function scenario(id: string, fields: Partial<ScenarioReport>): ScenarioReport {
  return { id, letter: null, title: id, passed: true, runs: 1, failures: [], newLeaderMs: null, writesBackMs: null, noWriteOutage: false, extra: {}, notes: [], restoreVerifications: [], ...fields };
}

function series(watchdog: boolean, scenarios: ScenarioReport[]): SeriesReport {
  return {
    configuration: { masters: 5, raftImplementation: "hashicorp", heartbeatInterval: "300ms", electionTimeout: "2s", watchdog },
    scenarios,
    duplicateFileIds: 0,
    fileIdsAssigned: 395,
    maxVolumeIdRegressions: 0,
    clustersNotStarted: 0,
  };
}

function timeline(scenarioId: string, seriesLabel: string, passed: boolean): ScenarioTimeline {
  return { scenario: scenarioId, series: seriesLabel, run: 1, passed, slots: [0, 1, 2], durationMs: 5000, samples: [], events: [], writes: [], intervals: [] };
}

const OFF_MISS = "run 1: no write worked while master-0 was frozen (120 s); writes came back 87740 ms after the freeze";

/** A prod drill that passed: its watchdog-off baseline missed frozen-leader-long (as it should) and leader-partitioned. */
function prodReport(stackFrozen: Partial<ScenarioReport> = {}): DrillReport {
  const stack = series(true, [
    scenario("leader-kill", { letter: "b", newLeaderMs: s(700), writesBackMs: s(15_800) }),
    scenario("frozen-leader-long", { newLeaderMs: s(850), writesBackMs: s(16_930), ...stackFrozen }),
    scenario("leader-partitioned", { newLeaderMs: s(660), writesBackMs: s(15_680) }),
    scenario("follower-partitioned", { noWriteOutage: true }),
  ]);
  const passed = stack.scenarios.every((r) => r.passed);
  return {
    stack: "prod",
    seaweedfsVersion: "4.44",
    weedVersion: "4.44",
    weedBinary: "/repo/.venv/bin/weed",
    runs: 1,
    passed,
    ...stack,
    withoutWatchdog: series(false, [
      scenario("frozen-leader-long", { passed: false, failures: [OFF_MISS], newLeaderMs: s(700), writesBackMs: s(87_740) }),
      // Failed before writes were timed: there is nothing to divide.
      scenario("leader-partitioned", { passed: false, failures: ["run 1: two leaders at once: master-0, master-1"], newLeaderMs: s(730) }),
      scenario("follower-partitioned", { noWriteOutage: true }),
    ]),
    watchdogComparison: [
      { id: "frozen-leader-long", newLeaderRatio: 0.8, writesBackRatio: 5.2 },
      { id: "leader-partitioned", newLeaderRatio: 1.1, writesBackRatio: null },
      { id: "follower-partitioned", newLeaderRatio: null, writesBackRatio: null },
    ],
    baseline: series(false, [scenario("leader-kill", { letter: "b", passed: false, failures: ["run 1: writes came back after 61000 ms"], newLeaderMs: s(13_000), writesBackMs: s(28_000) })]),
    comparison: [{ id: "leader-kill", newLeaderRatio: 18.6, writesBackRatio: 1.8 }],
    skippedScenarios: [],
    security: null,
    timelines: [timeline("frozen-leader-long", "prod", stackFrozen.passed ?? true), timeline("frozen-leader-long", "prod (watchdog off)", false)],
  };
}

/** The verdict table's row of a series and scenario. */
function row(html: string, seriesLabel: string, id: string): string {
  const match = html.match(new RegExp(`<tr data-series="${seriesLabel.replace(/[()]/g, "\\$&")}" data-scenario="${id}">.*?</tr>`));
  assert.ok(match, `no row for ${seriesLabel} / ${id}`);
  return match[0];
}

describe("the drill report", () => {
  it("HTML: a PASSED report shows no FAILED and nothing red; the baselines' misses are labelled as a baseline's", () => {
    const html = renderDrillReportHtml(prodReport());
    assert.match(html, /<h1>Drill of stack prod: <span class="ok">PASSED<\/span><\/h1>/);
    assert.doesNotMatch(html, /FAILED/);
    assert.doesNotMatch(html, /class="[^"]*\bbad\b/);
    const offRow = row(html, "watchdog off", "frozen-leader-long");
    assert.match(offRow, /<td class="verdict baseline">baseline: missed \(not fatal\)<\/td>/);
    assert.ok(offRow.includes(OFF_MISS), "the baseline's miss is still reported");
    assert.match(row(html, "SeaweedFS defaults", "leader-kill"), /<td class="verdict baseline">baseline: missed \(not fatal\)<\/td>/);
    assert.match(row(html, "watchdog off", "follower-partitioned"), /<td class="verdict baseline">baseline: passed<\/td>/);
    assert.match(row(html, "prod", "frozen-leader-long"), /<td class="verdict ok">passed<\/td>/);
    assert.match(html, /<h3>frozen-leader-long — prod \(watchdog off\), run 1: <span class="baseline">baseline: missed \(not fatal\)<\/span><\/h3>/);
    assert.match(html, /Baselines \(watchdog off, SeaweedFS defaults\) run the same scenarios without what this stack adds/);
  });

  it("HTML: writes that never stopped read 'no write outage'; a missing ratio says why", () => {
    const html = renderDrillReportHtml(prodReport());
    assert.doesNotMatch(html, /×-/);
    assert.match(row(html, "prod", "follower-partitioned"), /<td class="writes-back">no write outage<\/td>/);
    assert.match(row(html, "prod", "frozen-leader-long"), /<td class="writes-back">16\.9 s<\/td>/);
    const ratio = (id: string) => html.match(new RegExp(`<li class="ratio" data-scenario="${id}">(.*?)</li>`))?.[1];
    assert.match(html, /<p>Watchdog off vs on \(median, how many times longer the write outage is without it\):<\/p><ul data-series="watchdog off">/);
    assert.equal(ratio("frozen-leader-long"), "frozen-leader-long: new leader ×0.8, write outage ×5.2");
    assert.equal(ratio("follower-partitioned"), "follower-partitioned: new leader: no ratio (this stack: no new leader timed; watchdog off: no new leader timed), no write outage");
    assert.equal(ratio("leader-partitioned"), "leader-partitioned: new leader ×1.1, write outage: no ratio (watchdog off: failed before it was timed)");
    assert.equal(ratio("leader-kill"), "leader-kill: new leader ×18.6, writes back ×1.8");
  });

  it("HTML: a failure of the stack itself still reads FAILED, in red (negative control)", () => {
    const html = renderDrillReportHtml(prodReport({ passed: false, failures: ["run 1: writes came back 31000 ms after the freeze, later than the bound of 27000 ms"] }));
    assert.match(html, /<h1>Drill of stack prod: <span class="bad">FAILED<\/span><\/h1>/);
    assert.match(row(html, "prod", "frozen-leader-long"), /<td class="verdict bad">FAILED<\/td>/);
    assert.match(html, /<h3>frozen-leader-long — prod, run 1: <span class="bad">FAILED<\/span><\/h3>/);
  });

  it("text: baselines read as baselines, ratios are readable, the verdict is the stack's", () => {
    const text = renderDrillReportText(prodReport());
    assert.doesNotMatch(text, /\bNO\b|FAILED|[x×]-/);
    assert.match(text, /PASSED$/);
    assert.match(text, /Baseline, watchdog off \(5 masters, hashicorp raft, heartbeatInterval 300ms, electionTimeout 2s, watchdog off; what it misses is reported, not fatal\):/);
    assert.match(text, /^\s+-\s+frozen-leader-long\s+baseline: missed \(not fatal\)/m);
    assert.match(text, /^ {2}frozen-leader-long missed \(baseline\):\n {4}- run 1: no write worked/m);
    assert.match(text, /^\s+-\s+follower-partitioned\s+passed\s+-\s+no write outage/m);
    assert.match(text, /^ {2}frozen-leader-long: new leader ×0\.8, write outage ×5\.2$/m);
    assert.match(text, /^ {2}follower-partitioned: new leader: no ratio \(this stack: no new leader timed; watchdog off: no new leader timed\), no write outage$/m);
    assert.match(text, /^ {2}leader-partitioned: new leader ×1\.1, write outage: no ratio \(watchdog off: failed before it was timed\)$/m);
    assert.match(text, /^ {2}leader-kill: new leader ×18\.6, writes back ×1\.8$/m);
  });

  it("text: the security drill's controls, each with TLS off and on, and the evidence of one that was not refused", () => {
    const control = (id: string, on: "accepted" | "refused") => ({
      id,
      title: id,
      tlsOff: { outcome: "accepted" as const, ms: 1_200, evidence: `${id} accepted in clear text` },
      tlsOn: { outcome: on, windowMs: 10_000, evidence: on === "refused" ? "remote error: tls: bad certificate" : `${id} answered with TLS on` },
      passed: on === "refused",
    });
    const channels = [{ id: "raft", description: "raft between masters", allowedCommonNames: ["seaweedfs-prod-master"] }];
    const report = { ...prodReport(), security: { tls: { enabled: true, channels, https: false as const }, controls: [control("master-from-another-ca", "refused"), control("plain-grpc-client", "accepted")], passed: false } };
    const text = renderDrillReportText(report);
    assert.match(text, /Transport security \(mutual TLS on raft; each attack with TLS off, then on\):/);
    assert.match(text, /^\s+master-from-another-ca\s+accepted \(1\.2 s\)\s+refused \(window 10 s\)\s+yes$/m);
    assert.match(text, /^\s+plain-grpc-client\s+accepted \(1\.2 s\)\s+accepted \(window 10 s\)\s+NO$/m);
    assert.match(text, /^ {2}plain-grpc-client: TLS off: plain-grpc-client accepted in clear text; TLS on: plain-grpc-client answered with TLS on$/m);
    assert.doesNotMatch(renderDrillReportText(prodReport()), /Transport security/, "no section when the security drill did not run");
  });

  it("text: a failure of the stack itself still reads FAILED (negative control)", () => {
    const text = renderDrillReportText(prodReport({ passed: false, failures: ["run 1: writes came back 31000 ms after the freeze"] }));
    assert.match(text, /^\s+-\s+frozen-leader-long\s+FAILED/m);
    assert.match(text, /^ {2}frozen-leader-long failures:\n {4}- run 1: writes came back 31000 ms/m);
    assert.match(text, /FAILED$/);
  });
});
