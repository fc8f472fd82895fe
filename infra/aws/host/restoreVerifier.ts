/**
 * The restore verifier on one master host (slot RESTORE_VERIFIER_SLOT): a systemd timer runs it; it downloads the
 * newest complete backup, verifies it by restoring it into a scratch tier in a network namespace of its own
 * (infra/seaweed/restoreVerification.ts, the same text the drills run) and publishes the result to CloudWatch: the
 * time of the last verified restore and its duration, or a failure. The verification-age and verification-failed
 * alarms watch those (infra/aws/backup/verificationAlarms.ts).
 */
import { BACKUP_LAYOUT, shellQuote } from "../../seaweed/backup";
import { renderVerificationFunctions, VerificationMaster } from "../../seaweed/restoreVerification";
import { BACKUP_METRIC, BACKUP_PARAMETERS, BACKUP_UNITS, VERIFICATION_METRICS, VERIFY_UNITS } from "./backupNames";
import { HOST_PATHS } from "./paths";
import { renderLauncher } from "./backupAgent";

export interface RestoreVerifierOptions {
  clusterName: string;
  port: number;
  /** Every slot's raft identity host and rendered argv (the same `renderClusterMasters` output the slots boot). */
  masters: readonly VerificationMaster[];
  ssmPrefix: string;
  region: string;
  /** A full verification at least this often, even of an already verified backup. */
  intervalHours: number;
  /** Verify each new backup when the timer finds one (the timer then runs every backup interval). */
  afterBackup: boolean;
}

/** The verifier (bash, as root: it needs a network namespace). Exit 0 verified or nothing new; 1 failed. */
export function renderRestoreVerifierScript(o: RestoreVerifierOptions): string {
  const metric = (name: string, unit: string, value: string) =>
    `"$AWS" cloudwatch put-metric-data --namespace ${shellQuote(BACKUP_METRIC.namespace)} --metric-name ${shellQuote(name)} --dimensions ${shellQuote(`${BACKUP_METRIC.dimension}=${o.clusterName}`)} --unit ${unit} --value "${value}"`;
  return `#!/usr/bin/env bash
# SeaweedFS restore verification, rendered by infra/aws/host/restoreVerifier.ts. Do not edit on the host.
# Proves that the newest backup restores: manifest and checksums, then a scratch master tier restored from it in a
# network namespace that holds only loopback (never the live cluster), checked against the live TopologyId and the
# manifest. Publishes ${VERIFICATION_METRICS.lastVerified} and ${VERIFICATION_METRICS.seconds}, or ${VERIFICATION_METRICS.failed}=1. Runbook: docs/runbooks/restore.md.
set -euo pipefail
umask 077

readonly CLUSTER=${shellQuote(o.clusterName)}
readonly SSM_PREFIX=${shellQuote(o.ssmPrefix)}
readonly INTERVAL_SECONDS=${o.intervalHours * 3600}
readonly AFTER_BACKUP=${o.afterBackup ? "yes" : "no"}
# A live master (this host's), from ${BACKUP_UNITS.envFile}: the cluster's TopologyId is read there.
readonly MASTER_URL="\${SEAWEEDFS_MASTER_URL:?SEAWEEDFS_MASTER_URL is not set}"
readonly STATE_DIR="\${STATE_DIRECTORY:-/var/lib/${VERIFY_UNITS.stateDirectory}}"
WEED="\${SEAWEEDFS_WEED:-${HOST_PATHS.binary}}"
export AWS_DEFAULT_REGION="\${AWS_DEFAULT_REGION:-${o.region}}"
AWS="\${SEAWEEDFS_BACKUP_AWS:-aws}"

log() { printf 'seaweedfs-verify-restore: %s\\n' "$*" >&2; }
parameter() { "$AWS" ssm get-parameter --name "$SSM_PREFIX/$1" --query Parameter.Value --output text; }
# A failure before the verdict (no backup, a download that fails) is a failed verification too.
fail() {
  log "FAILED: $*"
  ${metric(VERIFICATION_METRICS.failed, "Count", "1")} || log "could not publish the failure"
  exit 1
}

${renderVerificationFunctions({ clusterName: o.clusterName, port: o.port, masters: o.masters })}
started=$(date -u +%s)
bucket=$(parameter ${shellQuote(BACKUP_PARAMETERS.bucket)}) || fail "cannot read the bucket's name from SSM"
newest=$("$AWS" s3 ls --recursive "s3://$bucket/$CLUSTER/" | awk '{print $4}' | sed -n 's#/${BACKUP_LAYOUT.manifest}$##p' | LC_ALL=C sort -t/ -k3 | tail -n 1) || fail "cannot list s3://$bucket/$CLUSTER/"
[ -n "$newest" ] || fail "no complete backup of $CLUSTER in s3://$bucket"
mkdir -p "$STATE_DIR"
if [ "$AFTER_BACKUP" = yes ] && [ -f "$STATE_DIR/last" ]; then
  read -r last_prefix last_time < "$STATE_DIR/last" || true
  if [ "\${last_prefix:-}" = "$newest" ] && [ $((started - \${last_time:-0})) -lt "$INTERVAL_SECONDS" ]; then
    log "$newest was verified at $(date -u -d "@$last_time" +%FT%TZ); nothing new"
    exit 0
  fi
fi
work=$(mktemp -d "\${TMPDIR:-/tmp}/seaweedfs-verify.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$AWS" s3 cp --recursive --only-show-errors "s3://$bucket/$newest/" "$work/backup/" || fail "cannot download $newest"
if result=$(verify_restore "$work/backup" "$newest"); then
  seconds=$(($(date -u +%s) - started))
  ${metric(VERIFICATION_METRICS.lastVerified, "Seconds", "$(date -u +%s)")}
  ${metric(VERIFICATION_METRICS.seconds, "Seconds", "$seconds")}
  ${metric(VERIFICATION_METRICS.failed, "Count", "0")}
  printf '%s %s\\n' "$newest" "$started" > "$STATE_DIR/last"
  log "verified $newest in $seconds s"
  printf '%s\\n' "$result"
else
  printf '%s\\n' "$result"
  fail "$newest did not restore: $result"
fi
`;
}

/** The oneshot service: root (a network and mount namespace, loopback addresses), everything else locked down. */
export function renderRestoreVerifierService(): string {
  return `[Unit]
Description=SeaweedFS restore verification (the newest backup, restored into an isolated scratch tier)
After=network-online.target ${HOST_PATHS.unitName}
Wants=network-online.target

[Service]
Type=oneshot
EnvironmentFile=${BACKUP_UNITS.envFile}
ExecStart=${VERIFY_UNITS.script}
StateDirectory=${VERIFY_UNITS.stateDirectory}
TimeoutStartSec=900
CapabilityBoundingSet=CAP_SYS_ADMIN CAP_NET_ADMIN CAP_KILL
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ReadOnlyPaths=${HOST_PATHS.dataRoot}
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
`;
}

/** Every backup interval when each new backup is verified, else every `intervalHours`; jittered. */
export function renderRestoreVerifierTimer(o: { intervalHours: number; afterBackup: boolean; backupIntervalMinutes: number }): string {
  const every = o.afterBackup ? `${o.backupIntervalMinutes}min` : `${o.intervalHours}h`;
  return `[Unit]
Description=SeaweedFS restore verification every ${every}

[Timer]
OnBootSec=20min
OnUnitActiveSec=${every}
RandomizedDelaySec=60s

[Install]
WantedBy=timers.target
`;
}

/**
 * The verifier slot's boot step (a BootStep kept in SSM: root, idempotent, paths under `$ROOT`): the launcher of the
 * script in SSM, the service and the timer, then the timer started. The slot's environment file comes from the
 * backup step, which runs first.
 */
export function renderRestoreVerifierBootStep(o: { ssmPrefix: string; region: string; intervalHours: number; afterBackup: boolean; backupIntervalMinutes: number }): string {
  const marker = "SEAWEEDFS_VERIFY_EOF";
  const file = (target: string, mode: string, text: string) =>
    `install -m ${mode} /dev/null "\${ROOT:-}"${target}\ncat > "\${ROOT:-}"${target} <<'${marker}'\n${text}${marker}\n`;
  return [
    "# --- SeaweedFS restore verification (this slot only) ---\n",
    `install -d "\${ROOT:-}"${VERIFY_UNITS.script.slice(0, VERIFY_UNITS.script.lastIndexOf("/"))} "\${ROOT:-}"/etc/systemd/system\n`,
    file(VERIFY_UNITS.script, "0700", renderLauncher(`${o.ssmPrefix}/${BACKUP_PARAMETERS.verifyScript}`, "seaweedfs-verify-restore", o.region)),
    file(`/etc/systemd/system/${VERIFY_UNITS.service}`, "0644", renderRestoreVerifierService()),
    file(`/etc/systemd/system/${VERIFY_UNITS.timer}`, "0644", renderRestoreVerifierTimer(o)),
    `systemctl daemon-reload\nsystemctl enable --now ${VERIFY_UNITS.timer}\n`,
  ].join("");
}
