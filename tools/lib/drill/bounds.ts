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
 * The restore's own work, in the drill: list the backups, download and check one (a few files, kilobytes to a few
 * MiB of raft state), swap it into every slot's -mdir and start the masters. It is not set by any SeaweedFS timing,
 * so it is a documented budget (docs/runbooks/restore.md) rather than a derived bound; the drill reports what it took
 * (downloadMs + swapMs: under 0.1 s on loopback for dev and prod) beside it. 10 s is two orders of magnitude above
 * that, so a loaded machine passes and only a restore that stalls or retries (a hung download, a master that does
 * not come up) fails; the rest of the RTO is bounded by mechanism, not by a number picked to pass.
 */
export const RESTORE_WORK_BUDGET_MS = 10_000;

/**
 * The longest a restore may keep writes out, from the wipe of every -mdir to the first write: the restore's own work
 * ({@link RESTORE_WORK_BUDGET_MS}), then the restored masters elect a leader and the volume servers come back as
 * after one leader change ({@link oneElectionWriteBoundMs}: election, warm-up, two pulses).
 */
export function restoreRtoBoundMs(cluster: LocalCluster): number {
  return RESTORE_WORK_BUDGET_MS + oneElectionWriteBoundMs(cluster);
}
