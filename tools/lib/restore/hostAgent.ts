/**
 * The AWS backup agent of a local cluster's master, run the way systemd runs it on EC2: the slot's launcher fetches
 * the agent script from SSM (moto) and runs it with the slot's environment file, only the raft directory redirected
 * to the drill's per-master `-mdir`.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { ssmPrefixOf } from "../../../infra/aws/naming";
import { raftDirectory } from "../../../infra/seaweed/backup";
import { BACKUP_PARAMETERS } from "../../../infra/aws/host/backupNames";
import { renderBackupEnv, renderLauncher } from "../../../infra/aws/host/backupAgent";
import type { LocalCluster } from "../localCluster";
import { type Moto, VENV_BIN } from "./moto";

const run = promisify(execFile);

/** One run of the agent: the prefix it uploaded (undefined when it uploaded nothing, as on a follower). */
export interface AgentRun {
  slot: number;
  prefix?: string;
  ms: number;
}

/**
 * Runs the agent once on one master's behalf.
 * @param args the agent's arguments, e.g. `["--survivor"]`
 */
export async function runHostAgent(cluster: LocalCluster, moto: Moto, region: string, slot: number, args: readonly string[] = []): Promise<AgentRun> {
  const port = cluster.plan.settings.port;
  const launcher = path.join(cluster.runDir, "seaweedfs-backup");
  if (!fs.existsSync(launcher)) fs.writeFileSync(launcher, renderLauncher(`${ssmPrefixOf(cluster.config.clusterName)}/${BACKUP_PARAMETERS.agentScript}`, "seaweedfs-backup", region), { mode: 0o700 });
  const m = cluster.master(slot);
  const slotEnv = Object.fromEntries(renderBackupEnv(m.slot, m.ip, port).trim().split("\n").map((line) => line.split("=", 2)));
  const env = { ...process.env, ...moto.env, ...slotEnv, SEAWEEDFS_RAFT_DIR: raftDirectory(m.mdir, port), PATH: `${VENV_BIN}:${process.env.PATH}`, TMPDIR: cluster.runDir };
  const started = Date.now();
  const { stdout } = await run("bash", [launcher, ...args], { env, timeout: 120_000 });
  return { slot, prefix: stdout.trim() || undefined, ms: Date.now() - started };
}

/** Runs the agent on every master in slot order, as each master's timer would; only the leader should upload. */
export async function runHostAgents(cluster: LocalCluster, moto: Moto, region: string): Promise<{ uploads: { slot: number; prefix: string; ms: number }[]; skipped: number[] }> {
  const uploads: { slot: number; prefix: string; ms: number }[] = [];
  const skipped: number[] = [];
  for (const m of cluster.masters) {
    const result = await runHostAgent(cluster, moto, region, m.slot);
    if (result.prefix) uploads.push({ slot: m.slot, prefix: result.prefix, ms: result.ms });
    else skipped.push(m.slot);
  }
  return { uploads, skipped };
}
