/**
 * A local cluster (tools/lib/localCluster.ts) as the fleet a quorum recovery acts on: the survivor's state is exported
 * by the real AWS backup agent (`--survivor`) into a local moto S3, and seeded slots get it the way a host's restore
 * script installs a backup (downloaded, every sha256 checked, the old raft directory kept aside).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { raftDirectory } from "../../../infra/seaweed/backup";
import type { LocalCluster } from "../localCluster";
import { BackupStore, downloadBackup } from "../restore/backups";
import { runHostAgent } from "../restore/hostAgent";
import { installRaftDirectory } from "../restore/localFleet";
import type { Moto } from "../restore/moto";
import type { QuorumFleet } from "./recoverQuorum";

export function localQuorumFleet(cluster: LocalCluster, backups: { moto: Moto; region: string; store: BackupStore }): QuorumFleet {
  const port = cluster.plan.settings.port;
  const raftDirOf = (slot: number) => raftDirectory(cluster.master(slot).mdir, port);
  return {
    slots: cluster.masters.map((m) => m.slot),
    url: (slot) => cluster.master(slot).httpUrl,
    stop: (slot) => cluster.kill(slot, "SIGTERM"),
    start: (slot) => cluster.start(slot),
    async exportSurvivor(slot) {
      const { prefix } = await runHostAgent(cluster, backups.moto, backups.region, slot, ["--survivor"]);
      if (!prefix) throw new Error(`the agent on survivor ${slot} exported nothing (it knows a leader, or is one)`);
      return prefix;
    },
    async seed(slot, prefix) {
      const backup = await downloadBackup(backups.store, prefix, path.join(cluster.runDir, `seed-${slot}`));
      fs.mkdirSync(cluster.master(slot).mdir, { recursive: true });
      installRaftDirectory(raftDirOf(slot), backup.raftDir);
    },
    async setAside(slot) {
      const dir = raftDirOf(slot);
      if (fs.existsSync(dir)) fs.renameSync(dir, `${dir}.before-restore-${Date.now()}`);
    },
  };
}
