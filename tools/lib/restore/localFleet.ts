/**
 * A local cluster (tools/lib/localCluster.ts) as a fleet the restore can act on: its masters' processes are stopped
 * and started, and each slot's raft directory under its `-mdir` is replaced the way the host restore script does it.
 */
import * as fs from "node:fs";
import { raftDirectory } from "../../../infra/seaweed/backup";
import type { LocalCluster } from "../localCluster";
import type { MasterFleet } from "./restoreCluster";

/** Moves an existing raft directory aside (never deletes it) and copies the backup's files in. */
export function installRaftDirectory(target: string, source: string): void {
  if (fs.existsSync(target)) fs.renameSync(target, `${target}.before-restore-${Date.now()}`);
  fs.cpSync(source, target, { recursive: true });
}

export function localFleet(cluster: LocalCluster): MasterFleet {
  const port = cluster.plan.settings.port;
  return {
    slots: cluster.masters.map((m) => m.slot),
    url: (slot) => cluster.master(slot).httpUrl,
    stop: (slot) => cluster.kill(slot, "SIGTERM"),
    install: async (slot, raftDir) => {
      fs.mkdirSync(cluster.master(slot).mdir, { recursive: true });
      installRaftDirectory(raftDirectory(cluster.master(slot).mdir, port), raftDir);
    },
    start: (slot) => cluster.start(slot),
  };
}
