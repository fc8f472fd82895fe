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
import { BACKUP_LAYOUT, BACKUP_SNAPSHOT, raftDirectory, shellQuote } from "../../seaweed/backup";
import { HOST_PATHS } from "./paths";
import { BACKUP_METRIC, BACKUP_PARAMETERS, BACKUP_UNITS } from "./backupNames";

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
# systemd's StateDirectory of the backup units: where the agent records what its last upload held, for the change
# watcher (${BACKUP_UNITS.watchService}). Unset (nothing recorded) when the agent runs by hand.
readonly BACKUP_STATE_DIR="\${STATE_DIRECTORY:-}"
export AWS_DEFAULT_REGION="\${AWS_DEFAULT_REGION:-${options.region}}"
AWS="\${SEAWEEDFS_BACKUP_AWS:-aws}"
# --survivor: a master that knows no leader exports its own raft state for a quorum recovery (npm run
# recover-quorum, docs/runbooks/lost-quorum.md); it publishes no backup metric, since it is no scheduled backup.
case "\${1:-}" in
  --survivor) BACKUP_SURVIVOR=yes ;;
  "") BACKUP_SURVIVOR=no ;;
  *) printf 'usage: seaweedfs-backup [--survivor]\n' >&2; exit 2 ;;
esac

# One run at a time (the timer's and the change watcher's): two in one second would write the same prefix twice.
if [ -n "$BACKUP_STATE_DIR" ]; then exec 9> "$BACKUP_STATE_DIR/agent.lock" && flock -w 300 9; fi

${BACKUP_SNAPSHOT.functions}parameter() { "$AWS" ssm get-parameter --name "$SSM_PREFIX/$1" --query Parameter.Value --output text; }

${BACKUP_SNAPSHOT.steps}
bucket=$(parameter ${shellQuote(BACKUP_PARAMETERS.bucket)})
kms_key=$(parameter ${shellQuote(BACKUP_PARAMETERS.kmsKeyArn)})
upload() { "$AWS" s3 cp --only-show-errors --sse aws:kms --sse-kms-key-id "$kms_key" "$@"; }
upload --recursive "$work/${BACKUP_LAYOUT.raftFolder}/" "s3://$bucket/$prefix/${BACKUP_LAYOUT.raftFolder}/"
upload "$work/${BACKUP_LAYOUT.manifest}" "s3://$bucket/$prefix/${BACKUP_LAYOUT.manifest}"
if [ "$taken_as" = leader ]; then
  "$AWS" cloudwatch put-metric-data --namespace "$METRIC_NAMESPACE" --metric-name "$METRIC_NAME" \\
    --dimensions "${BACKUP_METRIC.dimension}=$CLUSTER" --unit ${BACKUP_METRIC.unit} --value "$(date -u +%s)"
  record_protected_state "$protected" || log "could not record what this backup holds; the change watcher uploads again"
fi
log "uploaded s3://$bucket/$prefix/"
printf '%s\\n' "$prefix"
`;
}

/**
 * The sandbox of the backup units (the agent's service and the change watcher, which runs the agent): the master's
 * user, read-only on the data volume, writable only in a private /tmp and the shared StateDirectory.
 */
export const BACKUP_SANDBOX = `User=${HOST_PATHS.user}
Group=${HOST_PATHS.user}
EnvironmentFile=${BACKUP_UNITS.envFile}
StateDirectory=${BACKUP_UNITS.stateDirectory}
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

/** The oneshot service that runs the agent as the master's user (it only reads the raft directory). */
export function renderBackupService(): string {
  return `[Unit]
Description=SeaweedFS master backup to S3 (leader only)
After=${HOST_PATHS.unitName}
Requisite=${HOST_PATHS.unitName}

[Service]
Type=oneshot
ExecStart=${BACKUP_UNITS.script}
TimeoutStartSec=300
${BACKUP_SANDBOX}`;
}

/**
 * The change watcher's long-running service (./backupWatch.ts, through its launcher): the backup service's sandbox,
 * restarted whenever it stops (it exits hourly to pick up the current script).
 */
export function renderBackupWatchService(): string {
  return `[Unit]
Description=SeaweedFS master backup on change (leader only)
After=${HOST_PATHS.unitName}

[Service]
Type=simple
ExecStart=${BACKUP_UNITS.watchScript}
Restart=always
RestartSec=10
${BACKUP_SANDBOX}
[Install]
WantedBy=multi-user.target
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
  /** backupOnChangeSeconds: with 0, no change watcher (and one installed earlier is stopped). */
  onChangeSeconds: number;
}

/**
 * The boot step of one slot (a BootStep kept in SSM: root, `set -euo pipefail`, idempotent, paths under `$ROOT`):
 * the agent's environment file, the launchers, the service and the timer, then the timer started; and the change
 * watcher's launcher and service, started, unless backupOnChangeSeconds is 0.
 */
export function renderBackupBootStep(o: BackupBootOptions): string {
  const marker = "SEAWEEDFS_BACKUP_EOF";
  const targets = [BACKUP_UNITS.envFile, BACKUP_UNITS.script, BACKUP_UNITS.restoreScript, `/etc/systemd/system/${BACKUP_UNITS.service}`];
  const dirs = [...new Set(targets.map((t) => t.slice(0, t.lastIndexOf("/"))))];
  const file = (target: string, mode: string, text: string) =>
    `install -m ${mode} /dev/null "\${ROOT:-}"${target}\ncat > "\${ROOT:-}"${target} <<'${marker}'\n${text}${marker}\n`;
  return [
    "# --- SeaweedFS metadata backup agent (leader only) and restore script ---\n",
    `install -d ${dirs.map((d) => `"\${ROOT:-}"${d}`).join(" ")}\n`,
    file(BACKUP_UNITS.envFile, "0644", renderBackupEnv(o.slot, o.ip, o.port)),
    file(BACKUP_UNITS.script, "0755", renderLauncher(`${o.ssmPrefix}/${BACKUP_PARAMETERS.agentScript}`, "seaweedfs-backup", o.region)),
    file(BACKUP_UNITS.restoreScript, "0700", renderLauncher(`${o.ssmPrefix}/${BACKUP_PARAMETERS.restoreScript}`, "seaweedfs-restore", o.region)),
    file(`/etc/systemd/system/${BACKUP_UNITS.service}`, "0644", renderBackupService()),
    file(`/etc/systemd/system/${BACKUP_UNITS.timer}`, "0644", renderBackupTimer(o.intervalMinutes)),
    ...(o.onChangeSeconds > 0
      ? [
          file(BACKUP_UNITS.watchScript, "0755", renderLauncher(`${o.ssmPrefix}/${BACKUP_PARAMETERS.watchScript}`, "seaweedfs-backup-watch", o.region)),
          file(`/etc/systemd/system/${BACKUP_UNITS.watchService}`, "0644", renderBackupWatchService()),
          `systemctl daemon-reload\nsystemctl enable --now ${BACKUP_UNITS.timer}\nsystemctl enable --now ${BACKUP_UNITS.watchService}\n`,
        ]
      : [`systemctl daemon-reload\nsystemctl enable --now ${BACKUP_UNITS.timer}\nsystemctl disable --now ${BACKUP_UNITS.watchService} 2>/dev/null || true\n`]),
  ].join("");
}
