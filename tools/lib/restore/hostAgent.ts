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

/**
 * The launcher of an SSM-kept script as a slot's boot step installs it, written once into the cluster's run folder.
 * @param parameter below the stack's SSM prefix, e.g. BACKUP_PARAMETERS.agentScript
 */
export function hostLauncher(cluster: LocalCluster, parameter: string, name: string, region: string): string {
  const launcher = path.join(cluster.runDir, name);
  if (!fs.existsSync(launcher)) fs.writeFileSync(launcher, renderLauncher(`${ssmPrefixOf(cluster.config.clusterName)}/${parameter}`, name, region), { mode: 0o700 });
  return launcher;
}

/** The environment a slot's backup units run with: its environment file, the drill's raft directory, moto, the venv's AWS CLI. */
export function hostAgentEnv(cluster: LocalCluster, moto: Moto, slot: number): NodeJS.ProcessEnv {
  const port = cluster.plan.settings.port;
  const m = cluster.master(slot);
  const slotEnv = Object.fromEntries(renderBackupEnv(m.slot, m.ip, port).trim().split("\n").map((line) => line.split("=", 2)));
  return { ...process.env, ...moto.env, ...slotEnv, SEAWEEDFS_RAFT_DIR: raftDirectory(m.mdir, port), PATH: `${VENV_BIN}:${process.env.PATH}`, TMPDIR: cluster.runDir };
}

/** One run of the agent: the prefix it uploaded (undefined when it uploaded nothing, as on a follower). */
export interface AgentRun {
  slot: number;
  prefix?: string;
  ms: number;
}

/**
 * Runs the agent once on one master's behalf.
 * @param args the agent's arguments, e.g. `["--survivor"]`
 * @param extraEnv e.g. the units' `STATE_DIRECTORY`
 */
export async function runHostAgent(cluster: LocalCluster, moto: Moto, region: string, slot: number, args: readonly string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<AgentRun> {
  const launcher = hostLauncher(cluster, BACKUP_PARAMETERS.agentScript, "seaweedfs-backup", region);
  const env = { ...hostAgentEnv(cluster, moto, slot), ...extraEnv };
  const started = Date.now();
  const { stdout } = await run("bash", [launcher, ...args], { env, timeout: 120_000 });
  return { slot, prefix: stdout.trim() || undefined, ms: Date.now() - started };
}

/**
 * Runs the agent on every master in slot order, as each master's timer would; only the leader should upload.
 * @param envOf extra environment of a slot's run, e.g. its units' `STATE_DIRECTORY`
 */
export async function runHostAgents(cluster: LocalCluster, moto: Moto, region: string, envOf: (slot: number) => NodeJS.ProcessEnv = () => ({})): Promise<{ uploads: { slot: number; prefix: string; ms: number }[]; skipped: number[] }> {
  const uploads: { slot: number; prefix: string; ms: number }[] = [];
  const skipped: number[] = [];
  for (const m of cluster.masters) {
    const result = await runHostAgent(cluster, moto, region, m.slot, [], envOf(m.slot));
    if (result.prefix) uploads.push({ slot: m.slot, prefix: result.prefix, ms: result.ms });
    else skipped.push(m.slot);
  }
  return { uploads, skipped };
}
