/**
 * The rollout engine's local back end: the drill harness's {@link LocalCluster}. A slot is "replaced" by stopping
 * its `weed master` (SIGTERM, as systemd stops the unit) and starting it again on the same `-mdir` and address with
 * a new binary and/or new flags, or blank (its `-mdir` wiped: a lost data volume). The gates reach the masters on
 * their loopback addresses; the load-balanced write goes round-robin over the running masters, as the NLB spreads
 * clients over its targets (followers proxy `/dir/assign` to the leader).
 */
import * as fs from "node:fs";
import type { LocalCluster } from "../localCluster";
import type { RolloutBackend } from "./engine";
import type { GateTier } from "./gates";
import { transferLeadershipWithShell } from "./transfer";

/** What a local replacement changes; every field is optional (nothing given: a plain restart). */
export interface SlotChange {
  /** Path of the `weed` binary the slot runs from now on. */
  binary?: string;
  /** The slot's new argv, from its current one (e.g. a changed flag). */
  args?: (current: readonly string[]) => string[];
  /** Start the slot blank: its `-mdir` is emptied while it is down (a lost data volume). */
  wipeMdir?: boolean;
}

/** The gate tier of a local cluster (see the module comment for the load-balanced write). */
export function localGateTier(cluster: LocalCluster, expectedPeers?: readonly string[]): GateTier {
  let next = 0;
  return {
    masters: cluster.masters.map((m) => ({ slot: m.slot, address: m.address, url: m.httpUrl })),
    expectedPeers,
    async write() {
      const live = cluster.liveSlots();
      if (live.length === 0) return { ok: false, detail: "no master process runs" };
      const via = live[next++ % live.length];
      const answer = await cluster.assign(via);
      return answer.stored
        ? { ok: true, detail: `wrote and read back ${answer.fid} (assigned through master-${via})` }
        : { ok: false, detail: answer.writeError ?? `assign through master-${via}: HTTP ${answer.status} ${answer.body.trim()}` };
    },
  };
}

/** Stops a slot's master, applies `change`, and starts it again (same address, same `-mdir` unless wiped). */
export async function restartSlot(cluster: LocalCluster, slot: number, change: SlotChange = {}): Promise<void> {
  const master = cluster.master(slot);
  cluster.timeline?.event("fault", `restart master-${slot}${change.binary ? ` on ${change.binary}` : ""}${change.wipeMdir ? " with a blank -mdir" : ""}`);
  await master.process.stop();
  if (change.wipeMdir) {
    fs.rmSync(master.mdir, { recursive: true, force: true });
    fs.mkdirSync(master.mdir, { recursive: true });
  }
  master.process.reconfigure({ binary: change.binary, args: change.args?.(master.process.options.args) });
  master.process.start();
}

/**
 * The local back end. `change` may differ per slot (e.g. wipe only one). Leadership is transferred with the
 * binary the leader runs (`weed shell` from the leader's working directory, which holds its security.toml).
 */
export function localBackend(cluster: LocalCluster, change: SlotChange | ((slot: number) => SlotChange) = {}): RolloutBackend {
  return {
    name: "local",
    async replace(master, log) {
      const slotChange = typeof change === "function" ? change(master.slot) : change;
      const from = cluster.master(master.slot).process.options.binary;
      await restartSlot(cluster, master.slot, slotChange);
      const to = cluster.master(master.slot).process.options.binary;
      log(`restarted${from !== to ? ` (${from} -> ${to})` : ""}${slotChange.wipeMdir ? " blank" : ""}`);
      return { binary: to, ...(slotChange.wipeMdir ? { mdir: "wiped" } : {}) };
    },
    async transferLeadership(leader) {
      const local = cluster.master(leader.slot);
      return transferLeadershipWithShell(local.process.options.binary, leader.address, local.dir, local.dir);
    },
  };
}
