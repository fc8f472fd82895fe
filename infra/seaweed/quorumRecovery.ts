/**
 * Recovering a master tier whose majority lost its disks for good, from the surviving masters' own raft state (no
 * backup): what SeaweedFS 4.44 and hashicorp raft 1.7.3 allow, as a plan. The evidence, file and line, is in
 * docs/runbooks/lost-quorum.md; in short:
 * - `weed master` exposes no RecoverCluster and no peers.json (neither name occurs in the 4.44 source), and a peer
 *   list of only the survivors is refused when it is even ("Only odd number of masters are supported").
 * - The raft membership stays what it was: every slot keeps its identity (fixed IP or pod DNS name), so a lost slot
 *   that is given a copy of a survivor's raft directory is, to raft, that member with the survivor's log. Enough such
 *   seeded slots plus the survivors make a majority of the old membership, which elects a leader with the survivors'
 *   state (same TopologyId, same MaxVolumeId).
 * - A lost slot must never start empty while there is no leader: an empty master grants its vote to anyone
 *   (hashicorp raft.go:1642-1648) and the first slot of `-peers` bootstraps a new cluster when it finds no leader
 *   (weed/command/master.go:283-310), so three empty slots of five mint a second TopologyId (seen in the drill's
 *   negative control). Once a leader runs, an empty slot is admitted and replicated to like any replaced master.
 */
import { quorumOf } from "./quorum";

/** What one slot's master answered (its `/cluster/status`, `/dir/status` and `/raft/stats`), or that it did not. */
export interface SlotObservation {
  slot: number;
  answered: boolean;
  /** The leader it knows (`/cluster/status` `Leader`), empty when none. */
  leader?: string;
  topologyId?: string;
  maxVolumeId?: number;
  /** `/raft/stats` `last_log_index` and `last_log_term`: how far its log goes (0 for a master with no raft state). */
  lastLogIndex?: number;
  lastLogTerm?: number;
}

export interface QuorumRecoveryPlan {
  /** Slots whose masters keep their own raft state. */
  survivors: number[];
  /** The survivor with the most up-to-date log (highest last log term, then index): its state is exported. */
  source: number;
  /** Lost slots given the source's copy before they start: just enough to make a majority with the survivors. */
  seeded: number[];
  /** Lost slots started empty once the leader runs, to be admitted by it. */
  rejoining: number[];
  quorum: number;
  /**
   * What the recovered tier must report: the survivors' TopologyId (else the newest backup's), and a MaxVolumeId at
   * least every survivor's and the newest backup's.
   */
  expect: { topologyId: string; maxVolumeId: number };
  steps: string[];
}

/** Why a recovery from survivors cannot or must not run (the operator's input or the tier's state is wrong). */
export class QuorumRecoveryRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QuorumRecoveryRefusal";
  }
}

/** The newest backup's facts (its manifest), the identity a recovery must keep when no survivor reports one. */
export interface BackupReference {
  prefix: string;
  topologyId: string;
  maxVolumeId: number;
  /** The leader's `/raft/stats` `last_log_index` when it was taken. */
  lastLogIndex: number;
}

/**
 * Plans the recovery, or refuses with why. `lost` are the slots whose disks the operator declares lost for good;
 * every other slot must be a survivor that answers with raft state. `newestBackup` (when there is one) is the
 * identity to keep and a floor: a survivor whose log ends before it would lose more than a restore from it.
 *
 * A survivor that restarted since the quorum was lost reports no TopologyId and MaxVolumeId 0: hashicorp raft applies
 * log entries to SeaweedFS only once a leader commits them (a snapshot, every 8192 entries, is applied at start), so
 * its state is on disk but not in memory. Its log position (`/raft/stats`) is still true.
 */
export function planQuorumRecovery(observed: readonly SlotObservation[], lost: readonly number[], newestBackup?: BackupReference): QuorumRecoveryPlan {
  const slots = observed.map((o) => o.slot).sort((a, b) => a - b);
  const quorum = quorumOf(slots.length);
  const unknown = lost.filter((s) => !slots.includes(s));
  if (unknown.length > 0) throw new QuorumRecoveryRefusal(`slot(s) ${unknown.join(", ")} are not slots of this tier (${slots.join(", ")})`);
  const survivors = observed.filter((o) => !lost.includes(o.slot));
  const withLeader = survivors.filter((o) => o.answered && o.leader);
  if (withLeader.length > 0) {
    throw new QuorumRecoveryRefusal(`master(s) ${withLeader.map((o) => o.slot).join(", ")} know a leader (${withLeader[0].leader}): the quorum is not lost; replace the lost masters one at a time (docs/runbooks/replace-master.md)`);
  }
  const silent = survivors.filter((o) => !o.answered || !((o.lastLogIndex ?? 0) > 0));
  if (silent.length > 0) {
    throw new QuorumRecoveryRefusal(`slot(s) ${silent.map((o) => o.slot).join(", ")} are not declared lost but do not answer with raft state: declare every lost slot, or bring these back first`);
  }
  if (survivors.length === 0) throw new QuorumRecoveryRefusal("no master survived: restore from a backup (docs/runbooks/restore.md)");
  if (survivors.length >= quorum) {
    throw new QuorumRecoveryRefusal(`${survivors.length} masters survive, a quorum of ${quorum}: they elect a leader themselves; if they do not, they cannot reach each other (docs/runbooks/lost-quorum.md §1)`);
  }
  const identities = [...new Set(survivors.flatMap((o) => (o.topologyId ? [o.topologyId] : [])))];
  if (identities.length > 1) throw new QuorumRecoveryRefusal(`the survivors belong to different clusters (TopologyIds ${identities.join(", ")}): decide which to keep with docs/runbooks/restore.md`);
  if (newestBackup && identities.length === 1 && identities[0] !== newestBackup.topologyId) {
    throw new QuorumRecoveryRefusal(`the survivors report TopologyId ${identities[0]}, the newest backup ${newestBackup.prefix} ${newestBackup.topologyId}: decide which cluster to keep with docs/runbooks/restore.md`);
  }
  const topologyId = identities[0] ?? newestBackup?.topologyId;
  if (!topologyId) {
    throw new QuorumRecoveryRefusal("no survivor reports a TopologyId (they restarted since the quorum was lost) and no backup names one: give the backup bucket, so the recovered tier can be checked against the cluster's identity");
  }

  // A lost slot that answers with raft state is either a member that is not lost after all (its state is the
  // cluster's, or it restarted and shows none), or one that started empty and minted a cluster of its own (another
  // TopologyId), whose state the recovery sets aside.
  const members = observed.filter((o) => lost.includes(o.slot) && o.answered && (o.lastLogIndex ?? 0) > 0 && (!o.topologyId || o.topologyId === topologyId));
  if (members.length > 0) {
    throw new QuorumRecoveryRefusal(`slot(s) ${members.map((o) => o.slot).join(", ")} were declared lost but answer with raft state (last log index ${members.map((o) => o.lastLogIndex).join(", ")}) that is not another cluster's: bring them back instead (docs/runbooks/lost-quorum.md §1)`);
  }
  const rogue = observed.filter((o) => lost.includes(o.slot) && o.answered && o.topologyId && o.topologyId !== topologyId);

  const newest = [...survivors].sort((a, b) => (b.lastLogTerm ?? 0) - (a.lastLogTerm ?? 0) || (b.lastLogIndex ?? 0) - (a.lastLogIndex ?? 0) || a.slot - b.slot)[0];
  if (newestBackup && (newest.lastLogIndex ?? 0) < newestBackup.lastLogIndex) {
    throw new QuorumRecoveryRefusal(`the newest survivor's log ends at index ${newest.lastLogIndex}, before the newest backup's (${newestBackup.prefix}, index ${newestBackup.lastLogIndex}): restore from that backup instead (docs/runbooks/restore.md)`);
  }
  // The first slot of -peers is the only one that bootstraps a cluster when it starts empty: it is seeded first.
  const lostInOrder = [...lost].sort((a, b) => a - b);
  const seeded = lostInOrder.slice(0, quorum - survivors.length);
  const rejoining = lostInOrder.slice(seeded.length);
  const reported = Math.max(0, ...survivors.map((o) => o.maxVolumeId ?? 0));
  const expect = { topologyId, maxVolumeId: Math.max(reported, newestBackup?.maxVolumeId ?? 0) };
  const list = (s: readonly number[]) => s.join(", ");
  const steps = [
    `stop the masters of the lost slot(s) ${list(lostInOrder)} (they must not start empty while there is no leader)` +
      (rogue.length > 0 ? `; slot(s) ${list(rogue.map((o) => o.slot))} started empty and run a cluster of their own (TopologyId ${rogue[0].topologyId}): that state is set aside, never deleted` : ""),
    `export the raft state of survivor ${newest.slot} (last log term ${newest.lastLogTerm}, index ${newest.lastLogIndex}) as a backup`,
    `install that copy into slot(s) ${list(seeded)} and start them: with survivor(s) ${list(survivors.map((o) => o.slot))} they are ${quorum} of ${slots.length}, a quorum`,
    `wait for one leader with TopologyId ${expect.topologyId} and MaxVolumeId >= ${expect.maxVolumeId}`,
    ...(rejoining.length > 0 ? [`move the raft directory of slot(s) ${list(rejoining)} aside and start them empty: the leader admits them and replicates its log`] : []),
    `wait until every master follows that leader with the same TopologyId`,
  ];
  return { survivors: survivors.map((o) => o.slot), source: newest.slot, seeded, rejoining, quorum, expect, steps };
}
