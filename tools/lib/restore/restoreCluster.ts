/**
 * Restoring a master cluster from one backup: stop every master, put the same verified copy of the raft directory
 * in every slot's `-mdir`, start them in slot order, then prove the result: one leader, the backup's TopologyId,
 * and a MaxVolumeId not lower than the manifest's. Every slot gets the copy because an empty master started while
 * there is no leader can bootstrap a new cluster and poison the others (weed lab, FINDINGS §9).
 */
import type { BackupManifest } from "../../../infra/seaweed/backup";
import { ENDPOINTS } from "../../../infra/seaweed/constants";

/** The masters to restore, however they run (local processes in the drill, systemd units via SSM on EC2). */
export interface MasterFleet {
  slots: readonly number[];
  /** Optional work before any master stops (e.g. each host downloading and verifying the backup). */
  prepare?(slot: number): Promise<void>;
  /** `http://ip:port` of a slot's master. */
  url(slot: number): string;
  stop(slot: number): Promise<void>;
  /** Replaces the slot's raft directory (`<mdir>/m<port>`) with the files of `raftDir` (the master is stopped). */
  install(slot: number, raftDir: string): Promise<void>;
  start(slot: number): Promise<void>;
}

/** What the restored cluster reported, and how long each step took. */
export interface RestoreResult {
  leaderSlot: number;
  topologyId: string;
  maxVolumeId: number;
  /** ms from the first stop to the masters being started again. */
  swapMs: number;
  /** ms from the starts to a verified leader with the backup's identity. */
  verifyMs: number;
}

/** The steps a restore would take, for `--dry-run` and the runbook. */
export function restorePlan(fleet: Pick<MasterFleet, "slots" | "url">, manifest: BackupManifest): string[] {
  return [
    ...fleet.slots.map((s) => `stop master ${s} (${fleet.url(s)})`),
    ...fleet.slots.map((s) => `replace the raft directory m${manifest.port} of master ${s} with the backup's ${manifest.files.length} files (old one kept aside)`),
    ...fleet.slots.map((s) => `start master ${s}`),
    `wait for one leader, TopologyId ${manifest.topologyId}, MaxVolumeId >= ${manifest.maxVolumeId}`,
  ];
}

interface Observed {
  leaderSlot?: number;
  topologyId?: string;
  maxVolumeId?: number;
}

async function getJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return answer.ok ? ((await answer.json()) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function observe(fleet: Pick<MasterFleet, "slots" | "url">): Promise<Observed> {
  const statuses = await Promise.all(fleet.slots.map(async (s) => ({ slot: s, status: await getJson(`${fleet.url(s)}${ENDPOINTS.clusterStatus}`) })));
  const leaders = statuses.filter((s) => s.status?.IsLeader === true);
  if (leaders.length !== 1) return {};
  const [{ slot, status }] = leaders;
  const dir = await getJson(`${fleet.url(slot)}${ENDPOINTS.dirStatus}`);
  return { leaderSlot: slot, topologyId: dir?.TopologyId as string | undefined, maxVolumeId: (status?.MaxVolumeId as number | undefined) ?? 0 };
}

/**
 * Waits until exactly one master among `fleet.slots` leads with the manifest's TopologyId and a MaxVolumeId at least
 * the manifest's (a backup's, or a survivor's in a quorum recovery).
 * Throws, naming what was seen last, if that does not happen within `timeoutMs`; a different TopologyId fails at once.
 */
export async function verifyRestored(fleet: Pick<MasterFleet, "slots" | "url">, manifest: Pick<BackupManifest, "topologyId" | "maxVolumeId">, timeoutMs = 60_000): Promise<Required<Observed>> {
  const deadline = Date.now() + timeoutMs;
  let last: Observed;
  for (;;) {
    last = await observe(fleet);
    if (last.topologyId && last.topologyId !== manifest.topologyId) {
      throw new Error(`the restored cluster has TopologyId ${last.topologyId}, the backup ${manifest.topologyId}: the masters formed a new cluster`);
    }
    if (last.leaderSlot !== undefined && last.topologyId === manifest.topologyId && (last.maxVolumeId ?? 0) >= manifest.maxVolumeId) {
      return last as Required<Observed>;
    }
    if (Date.now() >= deadline) {
      throw new Error(`restore not verified within ${timeoutMs} ms: last saw leader ${last.leaderSlot ?? "none"}, TopologyId ${last.topologyId ?? "none"}, MaxVolumeId ${last.maxVolumeId ?? "none"} (backup: ${manifest.topologyId}, ${manifest.maxVolumeId})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stops every master, installs the backup in every slot, starts them in slot order and verifies the result. */
export async function restoreCluster(
  fleet: MasterFleet,
  backup: { manifest: BackupManifest; raftDir: string },
  options: { log?: (line: string) => void; timeoutMs?: number } = {},
): Promise<RestoreResult> {
  const log = options.log ?? (() => {});
  const slots = [...fleet.slots].sort((a, b) => a - b);
  if (fleet.prepare) {
    for (const s of slots) {
      await fleet.prepare(s);
      log(`prepared master ${s}`);
    }
  }
  const started = Date.now();
  // All stop before any starts: a master left running would keep its own (newer or divergent) log and could win.
  await Promise.all(slots.map(async (s) => { await fleet.stop(s); log(`stopped master ${s}`); }));
  for (const s of slots) {
    await fleet.install(s, backup.raftDir);
    log(`installed ${backup.manifest.files.length} files into master ${s}`);
  }
  for (const s of slots) {
    await fleet.start(s);
    log(`started master ${s}`);
  }
  const swapped = Date.now();
  const seen = await verifyRestored(fleet, backup.manifest, options.timeoutMs);
  log(`master ${seen.leaderSlot} leads with TopologyId ${seen.topologyId} and MaxVolumeId ${seen.maxVolumeId}`);
  return { ...seen, swapMs: swapped - started, verifyMs: Date.now() - swapped };
}
