/**
 * The backup agent a master host runs from a systemd timer: on the raft leader only, it takes a consistent copy of
 * the raft directory, writes a manifest and uploads both to S3, then publishes the last-successful-backup metric.
 *
 * Consistency: the hashicorp raft state is two bolt files that the running master rewrites. A bolt file is
 * crash-consistent at every instant (data pages are written before the meta page that points at them), so a copy
 * is consistent if nothing was written while it was taken. The agent checks exactly that, like a seqlock: it
 * fingerprints every file (size, mtime in ns, inode) and the raft term and last log index before and after the
 * copy, and retries when anything moved. The drill restores such a copy into every master of a real cluster.
 */
import { ENDPOINTS, HOST_PATHS } from "../../seaweed/constants";
import { BACKUP_LAYOUT, BACKUP_METRIC, BACKUP_PARAMETERS, BACKUP_UNITS, raftDirectory, shellQuote } from "../../seaweed/backup";

/** What the agent of a cluster needs to know (the same script runs on every master; see {@link renderBackupEnv}). */
export interface BackupAgentOptions {
  clusterName: string;
  /** The masters' HTTP port. */
  port: number;
  /** The master's `-mdir`. @default HOST_PATHS.mdir */
  mdir?: string;
  /** The stack's SSM prefix; the bucket and KMS key are read from parameters below it at run time. */
  ssmPrefix: string;
  /** The stack's region (used when the environment names none). */
  region: string;
}

/** The agent script (bash; it needs curl, python3, GNU find and the AWS CLI, all present on Amazon Linux 2023). */
export function renderBackupAgentScript(options: BackupAgentOptions): string {
  const raftDir = raftDirectory(options.mdir ?? HOST_PATHS.mdir, options.port);
  return `#!/usr/bin/env bash
# SeaweedFS master backup agent, rendered by infra/aws/host/backupAgent.ts. Do not edit on the host.
# Only the raft leader uploads: its log holds every committed entry (a follower's may lag) and there is one leader
# at a time, so each interval yields one backup. Exit 0 on a follower; any failure exits non-zero and publishes no
# metric, so the backup-age alarm fires.
set -euo pipefail
umask 077

readonly CLUSTER=${shellQuote(options.clusterName)}
readonly PORT=${shellQuote(options.port)}
# This master's own address and slot, from ${BACKUP_UNITS.envFile} (written at boot).
readonly SLOT="\${SEAWEEDFS_SLOT:?SEAWEEDFS_SLOT is not set}"
readonly MASTER_URL="\${SEAWEEDFS_MASTER_URL:?SEAWEEDFS_MASTER_URL is not set}"
readonly RAFT_DIR="\${SEAWEEDFS_RAFT_DIR:-${raftDir}}"
readonly SSM_PREFIX=${shellQuote(options.ssmPrefix)}
readonly METRIC_NAMESPACE=${shellQuote(BACKUP_METRIC.namespace)}
readonly METRIC_NAME=${shellQuote(BACKUP_METRIC.name)}
export AWS_DEFAULT_REGION="\${AWS_DEFAULT_REGION:-${options.region}}"
AWS="\${SEAWEEDFS_BACKUP_AWS:-aws}"

log() { printf 'seaweedfs-backup: %s\\n' "$*" >&2; }
master() { curl -fsS --max-time 10 "$MASTER_URL$1"; }
parameter() { "$AWS" ssm get-parameter --name "$SSM_PREFIX/$1" --query Parameter.Value --output text; }

# What must not move while the copy is taken: every file's size, mtime (ns) and inode, the raft term and last index.
fingerprint() {
  find "$RAFT_DIR" -printf '%P %y %s %T@ %i\\n' | LC_ALL=C sort
  master ${ENDPOINTS.raftStats} | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["term"], s["last_log_index"])'
}

status=$(master ${ENDPOINTS.clusterStatus})
if ! printf '%s' "$status" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("IsLeader") else 1)'; then
  log "this master is not the raft leader; the leader takes the backup"
  exit 0
fi
dir_status=$(master ${ENDPOINTS.dirStatus})
raft_stats=$(master ${ENDPOINTS.raftStats})

work=$(mktemp -d "\${TMPDIR:-/tmp}/seaweedfs-backup.XXXXXX")
trap 'rm -rf "$work"' EXIT
consistent=no
for attempt in 1 2 3 4 5; do
  before=$(fingerprint)
  rm -rf "$work/${BACKUP_LAYOUT.raftFolder}"
  cp -R "$RAFT_DIR" "$work/${BACKUP_LAYOUT.raftFolder}"
  after=$(fingerprint)
  if [ "$before" = "$after" ]; then consistent=yes; break; fi
  log "the raft directory changed during copy $attempt; retrying"
  sleep "$attempt"
done
if [ "$consistent" != yes ]; then
  log "no quiet moment to copy the raft directory in 5 attempts; giving up"
  exit 1
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
prefix="$CLUSTER/\${stamp:0:4}-\${stamp:4:2}-\${stamp:6:2}/$stamp"
export CLUSTER SLOT PORT
STATUS="$status" DIR_STATUS="$dir_status" RAFT_STATS="$raft_stats" STAMP="$stamp" python3 - "$work/${BACKUP_LAYOUT.raftFolder}" > "$work/${BACKUP_LAYOUT.manifest}" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
status, dir_status, raft = (json.loads(os.environ[k]) for k in ("STATUS", "DIR_STATUS", "RAFT_STATS"))
if not dir_status.get("TopologyId"):
    sys.exit("seaweedfs-backup: the leader reports no TopologyId; nothing worth backing up yet")
files = []
for folder, _, names in os.walk(root):
    for name in sorted(names):
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        files.append({"path": os.path.relpath(path, root), "sha256": digest, "bytes": os.path.getsize(path)})
s = os.environ["STAMP"]
json.dump({
    "format": 1,
    "cluster": os.environ["CLUSTER"],
    "slot": int(os.environ["SLOT"]),
    "seaweedfsVersion": dir_status.get("Version", ""),
    "topologyId": dir_status["TopologyId"],
    "maxVolumeId": int(status.get("MaxVolumeId", 0)),
    "leader": status.get("Leader", ""),
    "peers": status.get("Peers", []),
    "port": int(os.environ["PORT"]),
    "raft": {"term": raft.get("term", ""), "lastLogIndex": raft.get("last_log_index", "")},
    "createdAt": f"{s[0:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}:{s[13:15]}Z",
    "files": sorted(files, key=lambda f: f["path"]),
}, sys.stdout, indent=2)
PY

bucket=$(parameter ${shellQuote(BACKUP_PARAMETERS.bucket)})
kms_key=$(parameter ${shellQuote(BACKUP_PARAMETERS.kmsKeyArn)})
upload() { "$AWS" s3 cp --only-show-errors --sse aws:kms --sse-kms-key-id "$kms_key" "$@"; }
upload --recursive "$work/${BACKUP_LAYOUT.raftFolder}/" "s3://$bucket/$prefix/${BACKUP_LAYOUT.raftFolder}/"
upload "$work/${BACKUP_LAYOUT.manifest}" "s3://$bucket/$prefix/${BACKUP_LAYOUT.manifest}"
"$AWS" cloudwatch put-metric-data --namespace "$METRIC_NAMESPACE" --metric-name "$METRIC_NAME" \\
  --dimensions "${BACKUP_METRIC.dimension}=$CLUSTER" --unit ${BACKUP_METRIC.unit} --value "$(date -u +%s)"
log "uploaded s3://$bucket/$prefix/"
printf '%s\\n' "$prefix"
`;
}

/** The oneshot service that runs the agent as the master's user (it only reads the raft directory). */
export function renderBackupService(): string {
  return `[Unit]
Description=SeaweedFS master backup to S3 (leader only)
After=${HOST_PATHS.unitName}
Requisite=${HOST_PATHS.unitName}

[Service]
Type=oneshot
User=${HOST_PATHS.user}
Group=${HOST_PATHS.user}
EnvironmentFile=${BACKUP_UNITS.envFile}
ExecStart=${BACKUP_UNITS.script}
TimeoutStartSec=300
NoNewPrivileges=yes
ProtectSystem=strict
ReadOnlyPaths=${HOST_PATHS.dataRoot}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
`;
}

/** The timer: every `intervalMinutes`, with a little jitter so the masters' timers do not query the leader at once. */
export function renderBackupTimer(intervalMinutes: number): string {
  return `[Unit]
Description=SeaweedFS master backup every ${intervalMinutes} minutes

[Timer]
OnBootSec=5min
OnUnitActiveSec=${intervalMinutes}min
RandomizedDelaySec=30s

[Install]
WantedBy=timers.target
`;
}

/** This master's identity for the agent: the environment file the service loads. */
export function renderBackupEnv(slot: number, ip: string, port: number): string {
  return `SEAWEEDFS_SLOT=${slot}\nSEAWEEDFS_MASTER_URL=http://${ip}:${port}\n`;
}

/**
 * A launcher that runs the current version of a script kept in an SSM parameter (the cluster's agent and restore
 * scripts live there, written by the Backups component, so user data stays small and updates need no new instance).
 */
export function renderLauncher(parameterName: string, name: string, region: string): string {
  return `#!/usr/bin/env bash
set -euo pipefail
export AWS_DEFAULT_REGION="\${AWS_DEFAULT_REGION:-${region}}"
script=$("\${SEAWEEDFS_BACKUP_AWS:-aws}" ssm get-parameter --name ${shellQuote(parameterName)} --query Parameter.Value --output text)
exec bash -c "$script" ${shellQuote(name)} "$@"
`;
}

/** What a slot's boot step needs. */
export interface BackupBootOptions {
  slot: number;
  ip: string;
  port: number;
  ssmPrefix: string;
  region: string;
  intervalMinutes: number;
}

/**
 * The boot-script fragment of one slot (root, `set -euo pipefail`, idempotent): the agent's environment file, the
 * two launchers, the service and the timer, then the timer started. About 2 KB of user data.
 */
export function renderBackupBootStep(o: BackupBootOptions): string {
  const marker = "SEAWEEDFS_BACKUP_EOF";
  const file = (target: string, mode: string, text: string) => `install -m ${mode} /dev/null ${target}\ncat > ${target} <<'${marker}'\n${text}${marker}\n`;
  return [
    "# --- SeaweedFS metadata backup agent (leader only) and restore script ---\n",
    file(BACKUP_UNITS.envFile, "0644", renderBackupEnv(o.slot, o.ip, o.port)),
    file(BACKUP_UNITS.script, "0755", renderLauncher(`${o.ssmPrefix}/${BACKUP_PARAMETERS.agentScript}`, "seaweedfs-backup", o.region)),
    file(BACKUP_UNITS.restoreScript, "0700", renderLauncher(`${o.ssmPrefix}/${BACKUP_PARAMETERS.restoreScript}`, "seaweedfs-restore", o.region)),
    file(`/etc/systemd/system/${BACKUP_UNITS.service}`, "0644", renderBackupService()),
    file(`/etc/systemd/system/${BACKUP_UNITS.timer}`, "0644", renderBackupTimer(o.intervalMinutes)),
    `systemctl daemon-reload\nsystemctl enable --now ${BACKUP_UNITS.timer}\n`,
  ].join("");
}
