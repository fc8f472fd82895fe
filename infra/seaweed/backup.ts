/**
 * What a backup of a master's raft state is: where the state lives, which files make a copy, how backups are laid
 * out in S3 and what their manifest records. The backup agent (backupAgent.ts), the host restore script
 * (backupRestore.ts), the operator's restore tool and the drill all read these facts from here.
 */
import { HOST_PATHS } from "./constants";

/**
 * The raft directory of a master: SeaweedFS keeps its state in `<mdir>/m<port>` (`weed/command/master.go`,
 * `path.Join(metaFolder, fmt.Sprintf("m%d", port))`). With `-raftHashicorp` it holds `logs.dat` and `stable.dat`
 * (raft-boltdb) and `snapshots/` (empty until 8192 entries), as the weed lab observed on 4.44.
 */
export function raftDirectory(mdir: string, port: number): string {
  return `${mdir.replace(/\/+$/, "")}/m${port}`;
}

/** S3 layout: `<cluster>/<yyyy-mm-dd>/<yyyymmddThhmmssZ>/` holding `manifest.json` and `raft/<files>`. */
export const BACKUP_LAYOUT = {
  manifest: "manifest.json",
  raftFolder: "raft",
} as const;

/** The key prefix of one backup (no trailing slash), from its UTC stamp `yyyymmddThhmmssZ`. */
export function backupPrefix(cluster: string, stamp: string): string {
  const match = /^(\d{4})(\d{2})(\d{2})T\d{6}Z$/.exec(stamp);
  if (!match) throw new Error(`backup stamp ${stamp} is not yyyymmddThhmmssZ`);
  return `${cluster}/${match[1]}-${match[2]}-${match[3]}/${stamp}`;
}

/** The CloudWatch metric the agent publishes after every successful upload; the backup-age alarm watches it. */
export const BACKUP_METRIC = {
  namespace: "SeaweedFS/Backup",
  name: "LastSuccessfulBackup",
  /** The metric's value is the backup's Unix time in seconds. */
  unit: "Seconds",
  dimension: "ClusterName",
} as const;

/** SSM parameters (below the stack's prefix) that tell the agent where to upload; the Backups component writes them. */
export const BACKUP_PARAMETERS = {
  bucket: "backup/bucket",
  kmsKeyArn: "backup/kms-key-arn",
  /** The rendered agent script; the launcher on each master runs its current version. */
  agentScript: "backup/agent-script",
  /** The rendered host restore script, run the same way. */
  restoreScript: "backup/restore-script",
} as const;

/** systemd names of the agent on a master host. */
export const BACKUP_UNITS = {
  script: "/usr/local/sbin/seaweedfs-backup",
  /** The slot's identity for the agent (written at boot, loaded by the service). */
  envFile: "/etc/seaweedfs/backup.env",
  restoreScript: "/usr/local/sbin/seaweedfs-restore",
  service: "seaweedfs-backup.service",
  timer: "seaweedfs-backup.timer",
  /** Where the host restore script stages a downloaded backup before installing it. */
  stagingDir: `${HOST_PATHS.dataRoot}/restore-staging`,
} as const;

/** One file of a backup, relative to the raft directory. */
export interface BackupFile {
  path: string;
  sha256: string;
  bytes: number;
}

/** `manifest.json`: what the agent saw when it took the copy. Written last, so its presence marks a complete backup. */
export interface BackupManifest {
  format: 1;
  cluster: string;
  /** The slot of the master (the leader) whose raft directory was copied. */
  slot: number;
  /** `/dir/status` `Version`, e.g. `30GB 4.44 ...`. */
  seaweedfsVersion: string;
  /** `/dir/status` `TopologyId`: the cluster's identity, which a restore must keep. */
  topologyId: string;
  /** `/cluster/status` `MaxVolumeId` read before the copy, so the copy holds at least this (0 when absent). */
  maxVolumeId: number;
  /** `/cluster/status` `Leader` (it carries a `.grpcPort` suffix). */
  leader: string;
  /** `/cluster/status` `Peers`. */
  peers: string[];
  /** The HTTP port whose `m<port>` directory was copied. */
  port: number;
  /** `/raft/stats` `term` and `last_log_index` when the copy was taken. */
  raft: { term: string; lastLogIndex: string };
  /** UTC ISO time of the copy. */
  createdAt: string;
  files: BackupFile[];
}

/** Parses and checks a manifest; throws naming the first missing or mistyped field. */
export function parseManifest(text: string): BackupManifest {
  const value = JSON.parse(text) as Record<string, unknown>;
  const need = (field: string, type: string) => {
    if (typeof value[field] !== type) throw new Error(`backup manifest: ${field} is missing or not a ${type}`);
  };
  need("cluster", "string");
  need("slot", "number");
  need("topologyId", "string");
  need("maxVolumeId", "number");
  need("port", "number");
  need("createdAt", "string");
  if (value.format !== 1) throw new Error(`backup manifest: unknown format ${String(value.format)}`);
  if (!Array.isArray(value.files) || value.files.length === 0) throw new Error("backup manifest: files is empty");
  for (const f of value.files as BackupFile[]) {
    if (typeof f.path !== "string" || f.path.startsWith("/") || f.path.split("/").includes("..")) throw new Error(`backup manifest: bad file path ${JSON.stringify(f.path)}`);
    if (!/^[0-9a-f]{64}$/.test(String(f.sha256))) throw new Error(`backup manifest: bad sha256 for ${f.path}`);
  }
  return value as unknown as BackupManifest;
}

/** Quotes a value for bash (single quotes). */
export function shellQuote(value: string | number): string {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}
