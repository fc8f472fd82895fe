/**
 * Runs drill scenarios K times against fresh local clusters of a stack, and the timed ones again against the
 * SeaweedFS defaults (default raft, 10 s election timeout) for comparison. The result is the `--json` contract of
 * `npm run drill`: fields are only ever added.
 */
import { SEAWEEDFS_VERSION } from "../../../infra/seaweed/constants";
import { LocalCluster, RaftOverride } from "../localCluster";
import { weedBinary, weedVersionOf } from "../cluster/weed";
import { medianRatio, Spread, spread } from "./stats";
import { recover } from "./steps";
import { ScenarioTimeline, Timeline } from "./timeline";
import { DrillFailure, Scenario, ScenarioMeasurements } from "./types";
import { runSecurityDrill, SecurityReport } from "./security";
import type { VerificationResult } from "../../../infra/seaweed/restoreVerification";

/** What SeaweedFS runs with when no raft flag is given. */
export const SEAWEEDFS_DEFAULTS: RaftOverride = { implementation: "goraft", electionTimeout: "10s", heartbeatInterval: "300ms" };

export interface ScenarioReport {
  id: string;
  letter: string | null;
  title: string;
  passed: boolean;
  runs: number;
  failures: string[];
  newLeaderMs: Spread | null;
  writesBackMs: Spread | null;
  /** Every run probed writes throughout the fault and none failed (so `writesBackMs` is null: nothing to time). */
  noWriteOutage: boolean;
  extra: Record<string, Spread | null>;
  notes: string[];
  /** Every result the production restore verifier printed in these runs (empty for other scenarios). */
  restoreVerifications: VerificationResult[];
}

export interface SeriesReport {
  configuration: { masters: number; raftImplementation: string; heartbeatInterval: string; electionTimeout: string; watchdog: boolean };
  scenarios: ScenarioReport[];
  duplicateFileIds: number;
  fileIdsAssigned: number;
  maxVolumeIdRegressions: number;
  /**
   * Runs whose cluster did not start, so none of their scenarios ran. Fatal in every series, comparisons included:
   * a comparison that never ran is no comparison (the k8s-dev drill's baseline once failed this way unnoticed).
   */
  clustersNotStarted: number;
}

export interface DrillReport extends SeriesReport {
  stack: string;
  /** The release the project pins (infra/seaweed); what ran is {@link weedVersion}. */
  seaweedfsVersion: string;
  /** The release of the `weed` binary the drill ran, as its `weed version` says (differs with WEED_BINARY). */
  weedVersion: string;
  /** Path of that binary: `$WEED_BINARY`, else the project's `.venv/bin/weed`. */
  weedBinary: string;
  runs: number;
  passed: boolean;
  /** The same timed scenarios on SeaweedFS defaults; null with `--no-baseline` or when none is selected. */
  baseline: SeriesReport | null;
  /** Baseline median / stack median, per timed scenario. */
  comparison: { id: string; newLeaderRatio: number | null; writesBackRatio: number | null }[];
  /** The gray-failure scenarios again with the watchdog off (same stack, same drill run); null when none is selected. */
  withoutWatchdog: SeriesReport | null;
  /** Without-watchdog median / with-watchdog median, per gray-failure scenario (writesBackRatio: the write-outage ratio). */
  watchdogComparison: { id: string; newLeaderRatio: number | null; writesBackRatio: number | null }[];
  /** Scenarios of a full run left out because this host cannot run them (e.g. partitions without root). */
  skippedScenarios: { id: string; reason: string }[];
  /** Every scenario run's timeline (roles, faults, writes), only with `timelines: true` (the HTML report). */
  timelines?: ScenarioTimeline[];
  /**
   * Transport security: the attacks of the security drill with TLS off (each accepted) and with the stack's mutual
   * TLS (each refused); null when not run (a stack without TLS, `--no-security`, or only other scenarios chosen).
   */
  security: SecurityReport | null;
}

export interface DrillOptions {
  stack: string;
  scenarios: Scenario[];
  runs: number;
  baseline: boolean;
  keep?: boolean;
  /** Run the partition scenarios' processes under their own uids (only inside the drill's network namespace). */
  separateUids?: boolean;
  /** Reported as skipped (not run). @default none */
  skipped?: { id: string; reason: string }[];
  /** Record a timeline per scenario run (for `--report`). @default false */
  timelines?: boolean;
  /** Run the security drill (./security.ts) after the scenarios. @default false */
  security?: boolean;
  progress: (line: string) => void;
}

/** How one series departs from the stack. */
interface SeriesVariant {
  label: string;
  raft?: RaftOverride;
  /** @default the stack's watchdogEnabled */
  watchdog?: boolean;
  /** A comparison, not what the stack deploys: its misses are reported as a baseline's, never as failures. */
  baseline?: boolean;
}

interface Tally {
  failures: string[];
  measurements: ScenarioMeasurements[];
}

async function runSeries(options: DrillOptions, variant: SeriesVariant, scenarios: Scenario[], timelines: ScenarioTimeline[]): Promise<SeriesReport> {
  const { label, raft } = variant;
  const tallies = new Map<string, Tally>(scenarios.map((s) => [s.id, { failures: [], measurements: [] }]));
  const totals = { duplicates: 0, assigned: 0, regressions: 0, notStarted: 0 };
  let configuration: SeriesReport["configuration"] | undefined;
  // Partition scenarios get a cluster of their own whose processes run under separate uids (the nftables rules
  // need them); the others run as the harness's user, as the restore tools expect.
  const groups = [scenarios.filter((s) => !s.needsNetworkNamespace), scenarios.filter((s) => s.needsNetworkNamespace)].filter((g) => g.length > 0);
  const schedule = Array.from({ length: options.runs }, (_, i) => groups.map((group) => [i + 1, group] as const)).flat();
  for (const [run, group] of schedule) {
    const prefix = `${label} run ${run}/${options.runs}`;
    const began = Date.now();
    const log = (line: string) => options.progress(`${prefix} +${((Date.now() - began) / 1000).toFixed(1)}s ${line}`);
    const separateUids = options.separateUids === true && group[0].needsNetworkNamespace === true;
    let cluster: LocalCluster;
    try {
      log(`starting the cluster${separateUids ? " (a uid per process, for partitions)" : ""}`);
      cluster = await LocalCluster.start({ stack: options.stack, raft, watchdog: variant.watchdog, separateUids, keep: options.keep, log });
    } catch (error) {
      for (const s of group) tallies.get(s.id)!.failures.push(`run ${run}: cluster did not start: ${messageOf(error)}`);
      totals.notStarted++;
      continue;
    }
    const { settings } = cluster.plan;
    configuration = { masters: cluster.masters.length, raftImplementation: settings.raftImplementation ?? "hashicorp", ...settings.raft, watchdog: cluster.watchdogOn };
    try {
      for (const scenario of group) {
        const tally = tallies.get(scenario.id)!;
        const step = (message: string) => log(`${scenario.letter ?? "-"}. ${scenario.id}: ${message}`);
        const duplicatesBefore = cluster.fileIds.duplicates.length;
        const regressionsBefore = cluster.maxVolumeIds.regressions.length;
        const timeline = options.timelines ? new Timeline() : undefined;
        let passed = false;
        try {
          await recover(cluster);
          cluster.timeline = timeline;
          timeline?.start(cluster);
          const actionsBefore = watchdogActions(cluster);
          const measured = await scenario.run({ cluster, step });
          // Every scenario reports what the watchdog did: a kill where no gray failure was caused is a false kill.
          if (cluster.watchdogOn) measured.extra = { ...measured.extra, watchdogActions: watchdogActions(cluster) - actionsBefore };
          tally.measurements.push(measured);
          passed = true;
          step(variant.baseline ? "baseline passed" : "passed");
        } catch (error) {
          if (error instanceof DrillFailure && error.measured) tally.measurements.push(error.measured);
          tally.failures.push(`run ${run}: ${messageOf(error)}`);
          step(`${variant.baseline ? "missed (baseline, not fatal)" : "FAILED"}: ${messageOf(error)}`);
        } finally {
          cluster.timeline = undefined;
          await timeline?.stop();
        }
        if (timeline) timelines.push(timeline.finish({ scenario: scenario.id, series: label, run, passed, slots: cluster.masters.map((m) => m.slot) }));
        for (const d of cluster.fileIds.duplicates.slice(duplicatesBefore)) tally.failures.push(`run ${run}: file id ${d.fid} duplicates ${d.earlier}`);
        for (const r of cluster.maxVolumeIds.regressions.slice(regressionsBefore)) {
          tally.failures.push(`run ${run}: MaxVolumeId ${r.seen} on ${r.source} after ${r.highest} had been seen`);
        }
      }
    } finally {
      totals.duplicates += cluster.fileIds.duplicates.length;
      totals.assigned += cluster.fileIds.count;
      totals.regressions += cluster.maxVolumeIds.regressions.length;
      log("stopping the cluster");
      await cluster.stop();
    }
  }
  return {
    configuration: configuration ?? { masters: 0, raftImplementation: raft?.implementation ?? "hashicorp", heartbeatInterval: "", electionTimeout: "", watchdog: false },
    scenarios: scenarios.map((s) => summarize(s, tallies.get(s.id)!, options.runs)),
    duplicateFileIds: totals.duplicates,
    fileIdsAssigned: totals.assigned,
    maxVolumeIdRegressions: totals.regressions,
    clustersNotStarted: totals.notStarted,
  };
}

function summarize(scenario: Scenario, tally: Tally, runs: number): ScenarioReport {
  const values = (pick: (m: ScenarioMeasurements) => number | undefined) => tally.measurements.map(pick).filter((v): v is number => v !== undefined);
  const extraKeys = [...new Set(tally.measurements.flatMap((m) => Object.keys(m.extra ?? {})))];
  return {
    id: scenario.id,
    letter: scenario.letter ?? null,
    title: scenario.title,
    passed: tally.failures.length === 0 && tally.measurements.length === runs,
    runs,
    failures: tally.failures,
    newLeaderMs: spread(values((m) => m.newLeaderMs)),
    writesBackMs: spread(values((m) => m.writesBackMs)),
    noWriteOutage: runs > 0 && tally.measurements.length === runs && tally.measurements.every((m) => m.noWriteOutage === true),
    extra: Object.fromEntries(extraKeys.map((k) => [k, spread(values((m) => m.extra?.[k]))])),
    notes: [...new Set(tally.measurements.flatMap((m) => m.notes ?? []))],
    restoreVerifications: tally.measurements.flatMap((m) => m.restoreVerifications ?? []),
  };
}

/** The watchdogs' actions so far, over every master of the cluster. */
function watchdogActions(cluster: LocalCluster): number {
  return cluster.masters.reduce((sum, m) => sum + cluster.watchdogKills(m.slot), 0);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Per scenario of `other`, its medians divided by those of `measured`. */
function ratios(other: SeriesReport | null, measured: SeriesReport): DrillReport["comparison"] {
  return (other?.scenarios ?? []).map((b) => {
    const m = measured.scenarios.find((s) => s.id === b.id)!;
    return { id: b.id, newLeaderRatio: medianRatio(b.newLeaderMs, m.newLeaderMs), writesBackRatio: medianRatio(b.writesBackMs, m.writesBackMs) };
  });
}

export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const binary = weedBinary();
  const weedVersion = weedVersionOf(binary);
  const timelines: ScenarioTimeline[] = [];
  const series = await runSeries(options, { label: options.stack }, options.scenarios, timelines);
  const gray = options.scenarios.filter((s) => s.watchdogBaseline);
  // Only a comparison when the stack runs the watchdog: the series above is then the "with" side.
  const withoutWatchdog =
    options.baseline && gray.length > 0 && series.configuration.watchdog
      ? await runSeries(options, { label: `${options.stack} (watchdog off)`, watchdog: false, baseline: true }, gray, timelines)
      : null;
  const timed = options.scenarios.filter((s) => s.baseline);
  const baseline = options.baseline && timed.length > 0 ? await runSeries(options, { label: `${options.stack} (SeaweedFS defaults)`, raft: SEAWEEDFS_DEFAULTS, watchdog: false, baseline: true }, timed, timelines) : null;
  const clean = (s: SeriesReport) => s.scenarios.every((r) => r.passed) && s.duplicateFileIds === 0 && s.maxVolumeIdRegressions === 0;
  const security = options.security ? await runSecurityDrill({ stack: options.stack, keep: options.keep, progress: options.progress }) : null;

  return {
    stack: options.stack,
    seaweedfsVersion: SEAWEEDFS_VERSION,
    weedVersion,
    weedBinary: binary,
    runs: options.runs,
    // The baselines are comparisons, not what the stack deploys: their misses are reported, not fatal; but one
    // whose cluster never started compared nothing.
    passed: clean(series) && (security?.passed ?? true) && [baseline, withoutWatchdog].every((b) => (b?.clustersNotStarted ?? 0) === 0),
    ...series,
    baseline,
    comparison: ratios(baseline, series),
    withoutWatchdog,
    watchdogComparison: ratios(withoutWatchdog, series),
    skippedScenarios: options.skipped ?? [],
    ...(options.timelines ? { timelines } : {}),
    security,
  };
}

/** What the report says ran: `SeaweedFS <version>`, and the binary's path when it is not the pinned release. */
export function seaweedfsRun(report: Pick<DrillReport, "seaweedfsVersion" | "weedVersion" | "weedBinary">): string {
  if (report.weedVersion === report.seaweedfsVersion) return `SeaweedFS ${report.weedVersion}`;
  return `SeaweedFS ${report.weedVersion} from ${report.weedBinary}, not the pinned ${report.seaweedfsVersion}`;
}
