/**
 * Carries out a quorum recovery from the surviving masters (the plan is infra/seaweed/quorumRecovery.ts): stop the
 * lost slots, export the newest survivor's raft state as a backup, seed just enough lost slots with it to make a
 * majority of the unchanged membership, wait for a leader with the survivors' identity, then start the other lost
 * slots empty so that leader admits them. The same code runs against local masters (the drill) and against the
 * deployed hosts through SSM (`npm run recover-quorum`); only the fleet differs.
 */
import { ENDPOINTS } from "../../../infra/seaweed/constants";
import { BackupReference, planQuorumRecovery, QuorumRecoveryPlan, SlotObservation } from "../../../infra/seaweed/quorumRecovery";
import { BackupStore, listBackups, readManifest } from "../restore/backups";
import { jsonOf, poll, request } from "../cluster/http";
import { verifyRestored } from "../restore/restoreCluster";

/** The masters a recovery acts on, however they run. */
export interface QuorumFleet {
  slots: readonly number[];
  /** `http://host:port` of a slot's master. */
  url(slot: number): string;
  stop(slot: number): Promise<void>;
  start(slot: number): Promise<void>;
  /** Exports a survivor's own raft state as a backup (the agent with `--survivor`); resolves to its prefix. */
  exportSurvivor(slot: number): Promise<string>;
  /** Downloads, verifies and installs that backup into a stopped slot (its old raft directory kept aside). */
  seed(slot: number, prefix: string): Promise<void>;
  /** Moves a stopped slot's raft directory aside, leaving none (it then starts empty). */
  setAside(slot: number): Promise<void>;
}

/** What one slot's master answers now (never throws: a silent master is `answered: false`). */
export async function observeSlot(slot: number, url: string): Promise<SlotObservation> {
  const get = async <T>(path: string) => jsonOf<T>(await request(`${url}${path}`, { timeoutMs: 3000 }));
  const status = await get<{ Leader?: string; MaxVolumeId?: number }>(ENDPOINTS.clusterStatus);
  if (!status) return { slot, answered: false };
  const dir = await get<{ TopologyId?: string }>(ENDPOINTS.dirStatus);
  const raft = await get<{ last_log_index?: string; last_log_term?: string }>(ENDPOINTS.raftStats);
  return {
    slot,
    answered: true,
    leader: status.Leader ?? "",
    topologyId: dir?.TopologyId || undefined,
    maxVolumeId: status.MaxVolumeId ?? 0,
    lastLogIndex: Number(raft?.last_log_index ?? 0),
    lastLogTerm: Number(raft?.last_log_term ?? 0),
  };
}

/** Every slot of the fleet, observed at once. */
export function observeFleet(fleet: Pick<QuorumFleet, "slots" | "url">): Promise<SlotObservation[]> {
  return Promise.all(fleet.slots.map((s) => observeSlot(s, fleet.url(s))));
}

/** The fleet's current state planned for the declared lost slots (throws QuorumRecoveryRefusal). */
export async function planFor(fleet: Pick<QuorumFleet, "slots" | "url">, lost: readonly number[], newestBackup?: BackupReference): Promise<QuorumRecoveryPlan> {
  return planQuorumRecovery(await observeFleet(fleet), lost, newestBackup);
}

/** The newest backup that names the cluster's TopologyId (survivor exports of restarted masters name none). */
export async function newestBackupReference(store: BackupStore): Promise<BackupReference | undefined> {
  for (const prefix of (await listBackups(store)).reverse()) {
    const manifest = await readManifest(store, prefix);
    if (manifest.topologyId) return { prefix, topologyId: manifest.topologyId, maxVolumeId: manifest.maxVolumeId, lastLogIndex: Number(manifest.raft?.lastLogIndex ?? 0) };
  }
  return undefined;
}

export interface QuorumRecoveryResult {
  plan: QuorumRecoveryPlan;
  /** The exported survivor backup's prefix. */
  exported: string;
  leaderSlot: number;
  topologyId: string;
  maxVolumeId: number;
  /** ms from the start to a verified leader among the survivors and the seeded slots. */
  leaderMs: number;
  /** ms from that leader to every slot following it with the same TopologyId. */
  rejoinMs: number;
  phases: { stopMs: number; exportMs: number; seedMs: number };
}

/** Waits until every slot answers, names the same leader, and reports `topologyId`; throws with what it saw last. */
async function waitAllFollow(fleet: Pick<QuorumFleet, "slots" | "url">, topologyId: string, timeoutMs: number): Promise<void> {
  let last: SlotObservation[] = [];
  const done = await poll(async () => {
    last = await observeFleet(fleet);
    const leaders = new Set(last.map((o) => o.leader));
    return last.every((o) => o.answered && o.leader && o.topologyId === topologyId) && leaders.size === 1 ? true : undefined;
  }, timeoutMs, 200);
  if (!done) throw new Error(`not every master follows one leader with TopologyId ${topologyId} within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/** Runs a planned recovery; throws on the first step that fails. */
export async function recoverQuorum(fleet: QuorumFleet, plan: QuorumRecoveryPlan, options: { log?: (line: string) => void; timeoutMs?: number } = {}): Promise<QuorumRecoveryResult> {
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  const lost = [...plan.seeded, ...plan.rejoining];
  // No lost slot may run while there is no leader: an empty one can bootstrap a second cluster.
  await Promise.all(lost.map(async (s) => { await fleet.stop(s); log(`stopped master ${s}`); }));
  const stopped = Date.now();
  const exported = await fleet.exportSurvivor(plan.source);
  log(`exported survivor ${plan.source}'s raft state as ${exported}`);
  const exportDone = Date.now();
  for (const s of plan.seeded) {
    await fleet.seed(s, exported);
    await fleet.start(s);
    log(`seeded and started master ${s}`);
  }
  const seededAt = Date.now();
  const majority = { slots: [...plan.survivors, ...plan.seeded].sort((a, b) => a - b), url: (s: number) => fleet.url(s) };
  const seen = await verifyRestored(majority, plan.expect, timeoutMs);
  const leaderAt = Date.now();
  log(`master ${seen.leaderSlot} leads with TopologyId ${seen.topologyId} and MaxVolumeId ${seen.maxVolumeId}`);
  for (const s of plan.rejoining) {
    await fleet.setAside(s);
    await fleet.start(s);
    log(`started master ${s} empty, to be admitted by the leader`);
  }
  await waitAllFollow(fleet, plan.expect.topologyId, timeoutMs);
  log(`every master follows the leader with TopologyId ${plan.expect.topologyId}`);
  return {
    plan,
    exported,
    leaderSlot: seen.leaderSlot,
    topologyId: seen.topologyId,
    maxVolumeId: seen.maxVolumeId,
    leaderMs: leaderAt - started,
    rejoinMs: Date.now() - leaderAt,
    phases: { stopMs: stopped - started, exportMs: exportDone - stopped, seedMs: seededAt - exportDone },
  };
}
