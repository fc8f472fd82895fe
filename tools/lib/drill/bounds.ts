/**
 * Bounds on write outages derived from the stack's settings and SeaweedFS's compiled-in timings (infra/seaweed), so
 * that a scenario's pass/fail follows from the documented mechanism rather than from a number picked to pass.
 */
import { SEAWEEDFS_TIMINGS, WRITE_WARMUP_MS } from "../../../infra/seaweed/constants";
import { durationMs } from "../../../infra/seaweed/master";
import { watchdogDetectionBoundMs, watchdogProbeSettingsOf } from "../../../infra/seaweed/watchdog";
import type { LocalCluster } from "../localCluster";

const PULSE_MS = SEAWEEDFS_TIMINGS.volumePulseSeconds * 1000;

/** Hashicorp raft: a follower notices a dead leader after up to 2.5 heartbeat timeouts, then a candidacy may stall one election timeout. */
export function electionWorstMs(cluster: LocalCluster): number {
  const { heartbeatInterval, electionTimeout } = cluster.plan.settings.raft;
  return 2.5 * durationMs(heartbeatInterval) + durationMs(electionTimeout);
}

/**
 * The longest writes may stall when the leader freezes and the watchdog runs: the new leader's warm-up runs from
 * the election, the volume servers leave the frozen master when the watchdog kills it; whichever comes later, plus
 * one pulse for the volume servers to report their volumes to the new leader.
 */
export function frozenLeaderWriteBoundMs(cluster: LocalCluster): number {
  const killed = watchdogDetectionBoundMs(watchdogProbeSettingsOf(cluster.config));
  return Math.max(electionWorstMs(cluster) + WRITE_WARMUP_MS, killed + PULSE_MS) + PULSE_MS;
}

/**
 * The longest writes may stall when the leader is cut off from the other masters but not from the volume servers:
 * an election among the majority, then the warm-up, and the volume servers need a pulse to learn the new leader from
 * a master that lost leadership, and another to report in.
 */
export function partitionWriteBoundMs(cluster: LocalCluster): number {
  return oneElectionWriteBoundMs(cluster);
}

/**
 * The longest writes may stall across one leader change (a transfer, a lost leader, a rolled one): an election, the
 * new leader's warm-up, a pulse for the volume servers to find it and another to report their volumes.
 */
export function oneElectionWriteBoundMs(cluster: LocalCluster): number {
  return electionWorstMs(cluster) + WRITE_WARMUP_MS + 2 * PULSE_MS;
}

/**
 * The longest writes may stop again once they are back after a frozen leader was replaced (frozen-leader-long, for
 * the rest of the freeze). Nothing in the mechanism stops them again: writes come back only when a volume server
 * reports to the new leader, at least a pulse after the kill, and the supervisor restarts the killed master after
 * RestartSec (2 s), before that. A client whose write goes through a master that does not know the leader yet is
 * refused and retries through the next one within its pace (200 ms). Whatever does stop writes again lasts at least
 * a pulse: volume servers that lose their stream to a running leader wait a pulse before trying the next master, and
 * a leader change costs a whole warm-up. So one pulse is the bound (measured on dev under a load average of 15: 447
 * writes in the 96 s after recovery, none failed, longest gap 0.3 s).
 */
export const WRITES_STAY_BACK_BOUND_MS = PULSE_MS;
