/**
 * Backups on Kubernetes: a sidecar in every master pod mounts the pod's `-mdir` volume read-only and, every
 * `backupIntervalMinutes` and within `backupOnChangeSeconds` of a change to what a backup protects, runs the backup
 * script, which acts only while its own master leads and uploads in the
 * AWS tier's format (infra/seaweed/backup.ts: the same leader check, consistent copy and manifest) to an S3 or
 * S3-compatible bucket. Why a sidecar and not a CronJob: the `-mdir` claim is ReadWriteOnce and the leader moves, so
 * a job pod cannot mount it; the alternative, exec into the leader (`pods/exec`), would give the job a credential
 * that can run anything in a master, JWT signing key included. The sidecar needs no RBAC at all.
 *
 * The ConfigMap holds the scripts; the kubelet refreshes mounted ConfigMaps, and the loop reads the script anew on
 * every run, so a changed script applies without restarting a master (like the SSM launcher on AWS).
 */
import type { KubernetesConfig } from "../config";
import { BACKUP_METRICS_PORT } from "../config/keys-kubernetes";
import { BACKUP_CHANGE_CHECK, BACKUP_LAYOUT, BACKUP_SNAPSHOT, raftDirectory, shellQuote } from "../seaweed/backup";
import type { Manifest } from "./manifests";
import { masterNames, MDIR, POD_IP_ENV, POD_NAME_ENV } from "./names";
import { backupCredentialEnv, backupTokenMounts } from "./serviceAccount";

/** The sidecar's container name and where its ConfigMap is mounted. */
export const BACKUP_CONTAINER = "backup";
export const BACKUP_SCRIPT_DIR = "/etc/seaweedfs-backup";
export const BACKUP_SCRIPT = "backup.sh";
export const BACKUP_LOOP = "loop.sh";
export const BACKUP_EXPORTER = "metrics.py";

/**
 * The sidecar's Prometheus endpoint, which the backup-age alert reads (infra/kubernetes/monitoring.ts). The loop
 * records when the sidecar started and the script when an upload succeeded, each as a `*.prom` file in `dir`; the
 * exporter serves them at `GET /metrics` on the pod IP. A follower's sidecar never records a success.
 */
export const BACKUP_METRICS = {
  port: BACKUP_METRICS_PORT,
  portName: "backup-metrics",
  lastSuccess: "seaweedfs_master_backup_last_success_timestamp_seconds",
  started: "seaweedfs_master_backup_sidecar_start_timestamp_seconds",
  dirEnv: "SEAWEEDFS_BACKUP_METRICS_DIR",
  dir: "/tmp/backup-metrics",
} as const;

/** Shell that writes one gauge as `<dir>/<file>` atomically (a scrape sees the old or the new file, never half). */
function recordGauge(file: string, name: string, help: string): string {
  return `{ printf '# HELP ${name} ${help}\\n# TYPE ${name} gauge\\n${name} %s\\n' "$(date -u +%s)" > "$metrics_dir/${file}.tmp" && mv -f "$metrics_dir/${file}.tmp" "$metrics_dir/${file}"; }`;
}

/** The environment the script reads besides the pod's name and IP (the drill sets the same names). */
export const BACKUP_ENV = {
  bucket: "SEAWEEDFS_BACKUP_BUCKET",
  endpoint: "SEAWEEDFS_BACKUP_ENDPOINT",
} as const;

/** Whether the stack runs the backup sidecar. */
export function backupsEnabled(config: Pick<KubernetesConfig, "k8sBackupBucket">): boolean {
  return config.k8sBackupBucket !== "";
}

/**
 * The script one run of the sidecar executes (bash; needs curl, python3, GNU find and the AWS CLI). Exit 0 on a
 * follower; on the leader it prints the uploaded prefix; any failure exits non-zero (the loop logs it).
 */
export function renderKubernetesBackupScript(config: Pick<KubernetesConfig, "clusterName" | "httpPort">): string {
  return `#!/usr/bin/env bash
# SeaweedFS master backup (Kubernetes sidecar), rendered by infra/kubernetes/backup.ts. Do not edit in the cluster.
# Only the raft leader uploads: its log holds every committed entry (a follower's may lag) and there is one leader
# at a time, so each interval yields one backup. Exit 0 on a follower; any failure exits non-zero.
set -euo pipefail
umask 077

readonly CLUSTER=${shellQuote(config.clusterName)}
readonly PORT=${shellQuote(config.httpPort)}
# The slot is the pod's StatefulSet ordinal; the master listens on the pod IP only (-ip.bind), not on localhost.
readonly POD="\${${POD_NAME_ENV}:?${POD_NAME_ENV} is not set}"
readonly SLOT="\${POD##*-}"
readonly MASTER_URL="http://\${${POD_IP_ENV}:?${POD_IP_ENV} is not set}:$PORT"
readonly RAFT_DIR="\${SEAWEEDFS_RAFT_DIR:-${raftDirectory(MDIR, config.httpPort)}}"
readonly BUCKET="\${${BACKUP_ENV.bucket}:?${BACKUP_ENV.bucket} is not set}"
AWS="\${SEAWEEDFS_BACKUP_AWS:-aws}"
endpoint=()
if [ -n "\${${BACKUP_ENV.endpoint}:-}" ]; then endpoint=(--endpoint-url "$${BACKUP_ENV.endpoint}"); fi

${BACKUP_SNAPSHOT.functions}
${BACKUP_SNAPSHOT.steps}
upload() { "$AWS" "\${endpoint[@]}" s3 cp --only-show-errors "$@"; }
upload --recursive "$work/${BACKUP_LAYOUT.raftFolder}/" "s3://$BUCKET/$prefix/${BACKUP_LAYOUT.raftFolder}/"
upload "$work/${BACKUP_LAYOUT.manifest}" "s3://$BUCKET/$prefix/${BACKUP_LAYOUT.manifest}"
log "uploaded s3://$BUCKET/$prefix/"
# For the loop's change check (BACKUP_STATE_DIR is the loop's); a failure only means one more upload.
record_protected_state "$protected" || log "could not record what this backup holds; the loop uploads again"
# For the backup-age alert; a failure here must not turn a good upload into a failed run.
metrics_dir="\${${BACKUP_METRICS.dirEnv}:-}"
if [ -n "$metrics_dir" ] && ! { mkdir -p "$metrics_dir" && ${recordGauge("last_success.prom", BACKUP_METRICS.lastSuccess, "Unix time of the last backup this sidecar uploaded.")}; }; then
  log "could not record the backup time in $metrics_dir"
fi
printf '%s\\n' "$prefix"
`;
}

/** Where the loop keeps what the last upload from this pod held (the script records it; on the pod's /tmp volume). */
export const BACKUP_STATE_DIR = "/tmp/backup-state";

/**
 * The sidecar's main loop: record its start and serve the metrics (in the background; if the exporter dies, its
 * series vanish and the backup-age alert fires), then run the current script every interval (with up to a minute of
 * jitter, so the pods do not ask the leader at once) and, every `backupOnChangeSeconds` in between, when this pod's
 * master leads and what the backup protects changed since its last upload (infra/seaweed/backup.ts,
 * BACKUP_CHANGE_CHECK). A failed run is logged and the loop keeps going; it is visible in the container's log.
 */
export function renderBackupLoop(config: Pick<KubernetesConfig, "backupIntervalMinutes" | "backupOnChangeSeconds" | "httpPort">): string {
  const interval = config.backupIntervalMinutes;
  const check = config.backupOnChangeSeconds;
  const backup = `bash ${BACKUP_SCRIPT_DIR}/${BACKUP_SCRIPT}`;
  const timerOnly = `log() { printf 'seaweedfs-backup: %s\\n' "$*" >&2; }
while :; do
  sleep $((${interval} * 60 + RANDOM % 60))
  if ! ${backup}; then
    log "the backup failed (see above); next try in ${interval} minutes"
  fi
done
`;
  const withChangeCheck = `readonly MASTER_URL="http://\${${POD_IP_ENV}}:${config.httpPort}"
export BACKUP_STATE_DIR=${BACKUP_STATE_DIR}
mkdir -p "$BACKUP_STATE_DIR"
${BACKUP_CHANGE_CHECK.functions}next_timer=$(($(date +%s) + ${interval} * 60 + RANDOM % 60))
while :; do
  sleep ${check}
  if [ "$(date +%s)" -ge "$next_timer" ]; then
    next_timer=$(($(date +%s) + ${interval} * 60 + RANDOM % 60))
    if ! ${backup}; then
      log "the backup failed (see above); next try in ${check} s if what it protects changed, else in ${interval} minutes"
    fi
  elif ! backup_if_changed ${backup}; then
    log "the backup on change failed (see above); next try in ${check} s"
  fi
done
`;
  return `#!/usr/bin/env bash
# The backup sidecar's loop, rendered by infra/kubernetes/backup.ts.
set -uo pipefail
metrics_dir="\${${BACKUP_METRICS.dirEnv}:?${BACKUP_METRICS.dirEnv} is not set}"
mkdir -p "$metrics_dir" && ${recordGauge("started.prom", BACKUP_METRICS.started, "Unix time this backup sidecar started.")}
python3 ${BACKUP_SCRIPT_DIR}/${BACKUP_EXPORTER} "\${${POD_IP_ENV}:?${POD_IP_ENV} is not set}" ${BACKUP_METRICS.port} "$metrics_dir" &
${check > 0 ? withChangeCheck : timerOnly}`;
}

/**
 * The exporter (python3): `GET /metrics` answers the `*.prom` files of a folder, concatenated, in Prometheus' text
 * format; anything else is 404. Arguments: bind address, port, folder.
 */
export function renderBackupExporter(): string {
  return `"""The backup sidecar's /metrics, rendered by infra/kubernetes/backup.ts: every *.prom file of a folder."""
import glob
import http.server
import os
import sys

BIND, PORT, FOLDER = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Metrics(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/metrics":
            self.send_error(404)
            return
        body = b"".join(open(f, "rb").read() for f in sorted(glob.glob(os.path.join(FOLDER, "*.prom"))))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer((BIND, PORT), Metrics).serve_forever()
`;
}

/** The ConfigMap the sidecar mounts: the script, the loop and the metrics exporter. */
export function backupConfigMapData(config: KubernetesConfig): Record<string, string> {
  return { [BACKUP_SCRIPT]: renderKubernetesBackupScript(config), [BACKUP_LOOP]: renderBackupLoop(config), [BACKUP_EXPORTER]: renderBackupExporter() };
}

/** The name of the backup ConfigMap. */
export function backupConfigMapName(config: Pick<KubernetesConfig, "clusterName" | "k8sNamespace">): string {
  return `${masterNames(config).statefulSet}-backup`;
}

/**
 * The sidecar container: the `-mdir` volume read-only, credentials as k8sBackupCredentials says (./serviceAccount.ts),
 * the same locked-down security context as the master, and a scratch `/tmp` for the copy (the raft state is small).
 */
export function backupSidecar(config: KubernetesConfig, mounts: { data: string; tmp: string; scripts: string }): Manifest {
  return {
    name: BACKUP_CONTAINER,
    image: config.k8sBackupImage,
    imagePullPolicy: "IfNotPresent",
    command: ["/bin/bash", `${BACKUP_SCRIPT_DIR}/${BACKUP_LOOP}`],
    env: [
      { name: POD_NAME_ENV, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: POD_IP_ENV, valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
      { name: BACKUP_ENV.bucket, value: config.k8sBackupBucket },
      ...(config.k8sBackupEndpoint ? [{ name: BACKUP_ENV.endpoint, value: config.k8sBackupEndpoint }] : []),
      { name: "AWS_DEFAULT_REGION", value: config.k8sBackupRegion },
      ...backupCredentialEnv(config),
      { name: BACKUP_METRICS.dirEnv, value: BACKUP_METRICS.dir },
      // The AWS CLI writes its cache below HOME; the root filesystem is read-only.
      { name: "HOME", value: "/tmp" },
      { name: "TMPDIR", value: "/tmp" },
    ],
    ports: [{ name: BACKUP_METRICS.portName, containerPort: BACKUP_METRICS.port }],
    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ["ALL"] } },
    volumeMounts: [
      { name: mounts.data, mountPath: MDIR, readOnly: true },
      { name: mounts.scripts, mountPath: BACKUP_SCRIPT_DIR, readOnly: true },
      { name: mounts.tmp, mountPath: "/tmp" },
      ...backupTokenMounts(config),
    ],
  };
}
