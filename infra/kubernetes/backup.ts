/**
 * Backups on Kubernetes: a sidecar in every master pod mounts the pod's `-mdir` volume read-only and, every
 * `backupIntervalMinutes`, runs the backup script, which acts only while its own master leads and uploads in the
 * AWS tier's format (infra/seaweed/backup.ts: the same leader check, consistent copy and manifest) to an S3 or
 * S3-compatible bucket. Why a sidecar and not a CronJob: the `-mdir` claim is ReadWriteOnce and the leader moves, so
 * a job pod cannot mount it; the alternative, exec into the leader (`pods/exec`), would give the job a credential
 * that can run anything in a master, JWT signing key included. The sidecar needs no RBAC at all.
 *
 * The ConfigMap holds the scripts; the kubelet refreshes mounted ConfigMaps, and the loop reads the script anew on
 * every run, so a changed script applies without restarting a master (like the SSM launcher on AWS).
 */
import type { KubernetesConfig } from "../config";
import { BACKUP_LAYOUT, BACKUP_SNAPSHOT, raftDirectory, shellQuote } from "../seaweed/backup";
import type { Manifest } from "./manifests";
import { masterNames, MDIR, POD_IP_ENV, POD_NAME_ENV } from "./names";

/** The sidecar's container name and where its ConfigMap is mounted. */
export const BACKUP_CONTAINER = "backup";
export const BACKUP_SCRIPT_DIR = "/etc/seaweedfs-backup";
export const BACKUP_SCRIPT = "backup.sh";
export const BACKUP_LOOP = "loop.sh";

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
printf '%s\\n' "$prefix"
`;
}

/**
 * The sidecar's main loop: wait an interval (with up to a minute of jitter, so the pods do not ask the leader at
 * once), run the current script, log a failure and keep going. A failed run is visible in the container's log.
 */
export function renderBackupLoop(intervalMinutes: number): string {
  return `#!/usr/bin/env bash
# The backup sidecar's loop, rendered by infra/kubernetes/backup.ts.
set -uo pipefail
while :; do
  sleep $((${intervalMinutes} * 60 + RANDOM % 60))
  if ! bash ${BACKUP_SCRIPT_DIR}/${BACKUP_SCRIPT}; then
    printf 'seaweedfs-backup: the backup failed (see above); next try in ${intervalMinutes} minutes\\n' >&2
  fi
done
`;
}

/** The ConfigMap the sidecar mounts: the script and the loop. */
export function backupConfigMapData(config: KubernetesConfig): Record<string, string> {
  return { [BACKUP_SCRIPT]: renderKubernetesBackupScript(config), [BACKUP_LOOP]: renderBackupLoop(config.backupIntervalMinutes) };
}

/** The name of the backup ConfigMap. */
export function backupConfigMapName(config: Pick<KubernetesConfig, "clusterName" | "k8sNamespace">): string {
  return `${masterNames(config).statefulSet}-backup`;
}

/**
 * The sidecar container: the `-mdir` volume read-only, credentials from the operator's Secret, the same locked-down
 * security context as the master, and a scratch `/tmp` for the copy (the raft state is small).
 */
export function backupSidecar(config: KubernetesConfig, mounts: { data: string; tmp: string; scripts: string }): Manifest {
  const secretKey = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: config.k8sBackupCredentialsSecret, key } } });
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
      secretKey("AWS_ACCESS_KEY_ID"),
      secretKey("AWS_SECRET_ACCESS_KEY"),
      // The AWS CLI writes its cache below HOME; the root filesystem is read-only.
      { name: "HOME", value: "/tmp" },
      { name: "TMPDIR", value: "/tmp" },
    ],
    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ["ALL"] } },
    volumeMounts: [
      { name: mounts.data, mountPath: MDIR, readOnly: true },
      { name: mounts.scripts, mountPath: BACKUP_SCRIPT_DIR, readOnly: true },
      { name: mounts.tmp, mountPath: "/tmp" },
    ],
  };
}
