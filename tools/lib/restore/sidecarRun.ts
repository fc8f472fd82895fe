/**
 * The Kubernetes backup sidecar of a local cluster's masters, run the way the kubelet would run one pass of it: the
 * script is the backup ConfigMap's own text, and the environment is the sidecar container's own env list with the
 * downward API and the credentials Secret resolved (pod name, pod IP = the master's loopback address, moto's fake
 * keys). Only the raft directory is redirected to the drill's per-master `-mdir`, as the drill's argv does.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import type { KubernetesConfig } from "../../../infra/config";
import { BACKUP_CONTAINER, BACKUP_METRICS, BACKUP_SCRIPT, backupConfigMapData } from "../../../infra/kubernetes/backup";
import { masterPodSpec } from "../../../infra/kubernetes/manifests";
import { podName } from "../../../infra/kubernetes/names";
import { raftDirectory } from "../../../infra/seaweed/backup";
import type { LocalCluster } from "../localCluster";
import { VENV_BIN } from "./moto";

const run = promisify(execFile);

/** One entry of a container's `env`. */
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}

/** What the kubelet gives the container: `value`s as written, field refs from the pod, secret keys from `secrets`. */
export function resolveContainerEnv(env: readonly EnvVar[], pod: { name: string; ip: string }, secrets: Record<string, Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    env.map((e) => {
      if (e.value !== undefined) return [e.name, e.value];
      const field = e.valueFrom?.fieldRef?.fieldPath;
      if (field === "metadata.name") return [e.name, pod.name];
      if (field === "status.podIP") return [e.name, pod.ip];
      const ref = e.valueFrom?.secretKeyRef;
      const secret = ref ? secrets[ref.name]?.[ref.key] : undefined;
      if (secret === undefined) throw new Error(`env ${e.name}: cannot resolve ${JSON.stringify(e.valueFrom)}`);
      return [e.name, secret];
    }),
  );
}

/** The value of `name` in a Prometheus text file, or undefined when the file or the sample is missing. */
function gaugeIn(file: string, name: string): number | undefined {
  if (!fs.existsSync(file)) return undefined;
  const line = fs.readFileSync(file, "utf8").split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/**
 * Runs one pass of every master's sidecar; returns who uploaded (the printed prefix), who exited without one, and
 * the last-success times the script recorded for the backup-age alert (slot, Unix seconds).
 */
export async function runBackupSidecars(
  cluster: LocalCluster,
  config: KubernetesConfig,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<{ uploads: { slot: number; prefix: string; ms: number }[]; skipped: number[]; recorded: { slot: number; lastSuccess: number }[] }> {
  const sidecar = (masterPodSpec(config).containers as { name: string; env: EnvVar[] }[]).find((c) => c.name === BACKUP_CONTAINER);
  if (!sidecar) throw new Error(`the pod spec of ${config.clusterName} has no ${BACKUP_CONTAINER} container: backups are off (k8sBackupBucket is empty)`);
  const script = path.join(cluster.runDir, BACKUP_SCRIPT);
  fs.writeFileSync(script, backupConfigMapData(config)[BACKUP_SCRIPT], { mode: 0o500 });
  const secrets = { [config.k8sBackupCredentialsSecret]: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey } };
  const uploads: { slot: number; prefix: string; ms: number }[] = [];
  const skipped: number[] = [];
  const recorded: { slot: number; lastSuccess: number }[] = [];
  for (const m of cluster.masters) {
    const containerEnv = resolveContainerEnv(sidecar.env, { name: podName(config, m.slot), ip: m.ip }, secrets);
    const scratch = fs.mkdtempSync(path.join(cluster.runDir, `backup-${m.slot}-`));
    const env = {
      // Nothing of the drill's own environment but PATH (bash, curl, python3 and the .venv's AWS CLI), and no AWS
      // config file: the endpoint, region and keys can only come from the container's env.
      PATH: `${VENV_BIN}:${process.env.PATH}`,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
      ...containerEnv,
      HOME: scratch,
      TMPDIR: scratch,
      SEAWEEDFS_RAFT_DIR: raftDirectory(m.mdir, config.httpPort),
      // The container's metrics folder is below its /tmp; here below the scratch folder, like HOME and TMPDIR.
      [BACKUP_METRICS.dirEnv]: path.join(scratch, "backup-metrics"),
    };
    const started = Date.now();
    const { stdout } = await run("bash", [script], { env, timeout: 120_000 });
    if (stdout.trim()) uploads.push({ slot: m.slot, prefix: stdout.trim(), ms: Date.now() - started });
    else skipped.push(m.slot);
    const lastSuccess = gaugeIn(path.join(env[BACKUP_METRICS.dirEnv], "last_success.prom"), BACKUP_METRICS.lastSuccess);
    if (lastSuccess !== undefined) recorded.push({ slot: m.slot, lastSuccess });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { uploads, skipped, recorded };
}
