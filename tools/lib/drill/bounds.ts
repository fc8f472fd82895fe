/**
 * Bounds on write outages derived from the stack's settings and SeaweedFS's compiled-in timings (infra/seaweed), so
 * that a scenario's pass/fail follows from the documented mechanism rather than from a number picked to pass.
 */
import { SEAWEEDFS_TIMINGS, WRITE_WARMUP_MS } from "../../../infra/seaweed/constants";
import { durationMs } from "../../../infra/seaweed/master";
import { watchdogDetectionBoundMs, watchdogProbeSettingsOf } from "../../../infra/seaweed/watchdog";
import type { LocalCluster } from "../localCluster";

const PULSE_MS = SEAWEEDFS_TIMINGS.volumePulseSeconds * 1000;
const REDIRECT_WAIT_MS = SEAWEEDFS_TIMINGS.volumeRedirectWaitSeconds * 1000;

/** Hashicorp raft: a follower notices a dead leader after up to 2.5 heartbeat timeouts, then a candidacy may stall one election timeout. */
export function electionWorstMs(cluster: LocalCluster): number {
  const { heartbeatInterval, electionTimeout } = cluster.plan.settings.raft;
  return 2.5 * durationMs(heartbeatInterval) + durationMs(electionTimeout);
}

/**
 * The longest writes may stall when the leader freezes and the watchdog runs, whichever comes later of:
 * - the election, the new leader's warm-up, and a pulse for the volume servers to report their volumes;
 * - the watchdog's kill, then a pulse that each volume server waits after its stream broke; it may next try the
 *   killed master, restarted but not yet knowing the leader (another pulse), before a master that knows the leader
 *   redirects it, which costs the redirect wait; its first heartbeat there reports every volume at once
 *   (`weed/server/volume_grpc_client_to_master.go:115-140` and the first `stream.Send` of `doHeartbeat`, 4.44).
 * Measured once at 26.6 s on dev (a kill at 16.4 s, then the detour and the redirect), which the earlier bound of
 * 27 s, counting neither, nearly missed.
 */
export function frozenLeaderWriteBoundMs(cluster: LocalCluster): number {
  const killed = watchdogDetectionBoundMs(watchdogProbeSettingsOf(cluster.config));
  return Math.max(electionWorstMs(cluster) + WRITE_WARMUP_MS + PULSE_MS, killed + 2 * PULSE_MS + REDIRECT_WAIT_MS);
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
