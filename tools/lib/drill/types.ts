/**
 * What a drill scenario is: a named failure run against a live {@link LocalCluster}, which throws a
 * {@link DrillFailure} when the cluster misbehaves and otherwise returns what it measured.
 */
import { durationMs } from "../../../infra/seaweed/master";
import type { LocalCluster } from "../localCluster";
import type { Platform } from "../../../infra/config";
import type { VerificationResult } from "../../../infra/seaweed/restoreVerification";

export interface ScenarioContext {
  cluster: LocalCluster;
  /** One progress line for the step the scenario is about to take. */
  step: (message: string) => void;
}

/** Timings of one run, in milliseconds from the failure (or the restart) that started them. */
export interface ScenarioMeasurements {
  /** Until a master other than the failed one is leader. */
  newLeaderMs?: number;
  /** Until `/dir/assign` succeeds again through a follower. */
  writesBackMs?: number;
  /** Writes were probed throughout the fault and every one worked: there was no write outage to time. */
  noWriteOutage?: boolean;
  /** Scenario-specific figures, e.g. how fast survivors turn unhealthy. */
  extra?: Record<string, number>;
  /** Facts worth printing (not pass/fail). */
  notes?: string[];
  /** Results of the production restore verifier, as it printed them (restore-verification). */
  restoreVerifications?: VerificationResult[];
}

export interface Scenario {
  /** Stable id used by `--scenario` and in `--json`. */
  id: string;
  /** The letter of the scenario in issue #4 (a-h); new scenarios may omit it. */
  letter?: string;
  title: string;
  /** The platforms whose stacks this scenario can drill. @default every platform */
  platforms?: readonly Platform[];
  /** Also run on the SeaweedFS-defaults baseline (default raft, 10 s election timeout) for comparison. */
  baseline?: boolean;
  /** Also run with the watchdog off (same stack, same drill run), so its gain is a ratio measured side by side. */
  watchdogBaseline?: boolean;
  /**
   * Opt-in suite: left out of a default run (too slow for it) and run with `--suite <name>` or `--scenario <id>`.
   * @default the default set
   */
  suite?: "day2";
  /** Needs the drill's private network namespace (nftables partitions); the drill re-executes itself inside one. */
  needsNetworkNamespace?: boolean;
  run(context: ScenarioContext): Promise<ScenarioMeasurements>;
}

/** The cluster did not do what the scenario requires. */
export class DrillFailure extends Error {
  /**
   * @param measured what the run measured before it failed (e.g. a write outage longer than its bound), reported
   * beside the failure so that a side-by-side ratio still exists
   */
  constructor(
    message: string,
    readonly measured?: ScenarioMeasurements,
  ) {
    super(message);
    this.name = "DrillFailure";
  }
}

/** Throws a {@link DrillFailure} with `message` unless `condition` holds. */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DrillFailure(message);
}

/** A bound for waits that scale with the raft election timeout (generous: failures, not speed, are checked). */
export function electionBoundMs(cluster: LocalCluster, multiple = 6, floorMs = 30_000): number {
  return Math.max(floorMs, multiple * durationMs(cluster.plan.settings.raft.electionTimeout));
}
