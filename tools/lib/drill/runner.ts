/**
 * Runs drill scenarios K times against fresh local clusters of a stack, and the timed ones again against the
 * SeaweedFS defaults (default raft, 10 s election timeout) for comparison. The result is the `--json` contract of
 * `npm run drill`: fields are only ever added.
 */
import { SEAWEEDFS_VERSION } from "../../../infra/seaweed/constants";
import { LocalCluster, RaftOverride } from "../localCluster";
import { medianRatio, Spread, spread } from "./stats";
import { recover } from "./steps";
import { Scenario, ScenarioMeasurements } from "./types";

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
  extra: Record<string, Spread | null>;
  notes: string[];
}

export interface SeriesReport {
  configuration: { masters: number; raftImplementation: string; heartbeatInterval: string; electionTimeout: string };
  scenarios: ScenarioReport[];
  duplicateFileIds: number;
  fileIdsAssigned: number;
  maxVolumeIdRegressions: number;
}

export interface DrillReport extends SeriesReport {
  stack: string;
  seaweedfsVersion: string;
  runs: number;
  passed: boolean;
  /** The same timed scenarios on SeaweedFS defaults; null with `--no-baseline` or when none is selected. */
  baseline: SeriesReport | null;
  /** Baseline median / stack median, per timed scenario. */
  comparison: { id: string; newLeaderRatio: number | null; writesBackRatio: number | null }[];
}

export interface DrillOptions {
  stack: string;
  scenarios: Scenario[];
  runs: number;
  baseline: boolean;
  keep?: boolean;
  progress: (line: string) => void;
}

interface Tally {
  failures: string[];
  measurements: ScenarioMeasurements[];
}

async function runSeries(options: DrillOptions, label: string, raft: RaftOverride | undefined, scenarios: Scenario[]): Promise<SeriesReport> {
  const tallies = new Map<string, Tally>(scenarios.map((s) => [s.id, { failures: [], measurements: [] }]));
  const totals = { duplicates: 0, assigned: 0, regressions: 0 };
  let configuration: SeriesReport["configuration"] | undefined;
  for (let run = 1; run <= options.runs; run++) {
    const prefix = `${label} run ${run}/${options.runs}`;
    const began = Date.now();
    const log = (line: string) => options.progress(`${prefix} +${((Date.now() - began) / 1000).toFixed(1)}s ${line}`);
    let cluster: LocalCluster;
    try {
      log("starting the cluster");
      cluster = await LocalCluster.start({ stack: options.stack, raft, keep: options.keep, log });
    } catch (error) {
      for (const tally of tallies.values()) tally.failures.push(`run ${run}: cluster did not start: ${messageOf(error)}`);
      continue;
    }
    const { settings } = cluster.plan;
    configuration = { masters: cluster.masters.length, raftImplementation: settings.raftImplementation ?? "hashicorp", ...settings.raft };
    try {
      for (const scenario of scenarios) {
        const tally = tallies.get(scenario.id)!;
        const step = (message: string) => log(`${scenario.letter ?? "-"}. ${scenario.id}: ${message}`);
        const duplicatesBefore = cluster.fileIds.duplicates.length;
        const regressionsBefore = cluster.maxVolumeIds.regressions.length;
        try {
          await recover(cluster);
          const measured = await scenario.run({ cluster, step });
          tally.measurements.push(measured);
          step("passed");
        } catch (error) {
          tally.failures.push(`run ${run}: ${messageOf(error)}`);
          step(`FAILED: ${messageOf(error)}`);
        }
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
    configuration: configuration ?? { masters: 0, raftImplementation: raft?.implementation ?? "hashicorp", heartbeatInterval: "", electionTimeout: "" },
    scenarios: scenarios.map((s) => summarize(s, tallies.get(s.id)!, options.runs)),
    duplicateFileIds: totals.duplicates,
    fileIdsAssigned: totals.assigned,
    maxVolumeIdRegressions: totals.regressions,
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
    extra: Object.fromEntries(extraKeys.map((k) => [k, spread(values((m) => m.extra?.[k]))])),
    notes: [...new Set(tally.measurements.flatMap((m) => m.notes ?? []))],
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const series = await runSeries(options, options.stack, undefined, options.scenarios);
  const timed = options.scenarios.filter((s) => s.baseline);
  const baseline = options.baseline && timed.length > 0 ? await runSeries(options, `${options.stack} (SeaweedFS defaults)`, SEAWEEDFS_DEFAULTS, timed) : null;
  const comparison = (baseline?.scenarios ?? []).map((b) => {
    const measured = series.scenarios.find((s) => s.id === b.id)!;
    return { id: b.id, newLeaderRatio: medianRatio(b.newLeaderMs, measured.newLeaderMs), writesBackRatio: medianRatio(b.writesBackMs, measured.writesBackMs) };
  });
  const clean = (s: SeriesReport) => s.scenarios.every((r) => r.passed) && s.duplicateFileIds === 0 && s.maxVolumeIdRegressions === 0;

  return {
    stack: options.stack,
    seaweedfsVersion: SEAWEEDFS_VERSION,
    runs: options.runs,
    // The baseline is a comparison, not what the stack deploys: its failures are reported, not fatal.
    passed: clean(series),
    ...series,
    baseline,
    comparison,
  };
}
