/**
 * The AWS backup agent's names: the CloudWatch metric it publishes, the SSM parameters it reads, and its files and
 * systemd units on a master host. The backup format itself is SeaweedFS knowledge (infra/seaweed/backup.ts).
 */
import { HOST_PATHS } from "./paths";

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
  /** The rendered change watcher (infra/aws/host/backupWatch.ts); absent when backupOnChangeSeconds is 0. */
  watchScript: "backup/watch-script",
  /** The rendered restore verifier (infra/aws/host/restoreVerifier.ts), run by the verifier slot's timer. */
  verifyScript: "backup/verify-script",
} as const;

/**
 * The restore verifier's metrics (same namespace and dimension as {@link BACKUP_METRIC}): the verification-age and
 * verification-failed alarms watch them (infra/aws/backup/verificationAlarms.ts).
 */
export const VERIFICATION_METRICS = {
  /** Unix time (s) of the last verified restore; published only when a verification passed. */
  lastVerified: "LastVerifiedRestore",
  /** How long the last passed verification took, download included (s). */
  seconds: "RestoreVerificationSeconds",
  /** 1 when a verification failed, 0 when one passed. */
  failed: "RestoreVerificationFailed",
} as const;

/** The one slot whose host runs the restore verifier (one per cluster; its timer and metrics say whether it runs). */
export const RESTORE_VERIFIER_SLOT = 0;

/** systemd names and paths of the restore verifier on the verifier slot's host. */
export const VERIFY_UNITS = {
  script: "/usr/local/sbin/seaweedfs-verify-restore",
  service: "seaweedfs-verify-restore.service",
  timer: "seaweedfs-verify-restore.timer",
  /** systemd's StateDirectory (below /var/lib): the last verified backup and when. */
  stateDirectory: "seaweedfs-verify",
} as const;

/** systemd names of the agent on a master host. */
export const BACKUP_UNITS = {
  script: "/usr/local/sbin/seaweedfs-backup",
  /** The slot's identity for the agent (written at boot, loaded by the service). */
  envFile: "/etc/seaweedfs/backup.env",
  restoreScript: "/usr/local/sbin/seaweedfs-restore",
  service: "seaweedfs-backup.service",
  timer: "seaweedfs-backup.timer",
  /** The change watcher (infra/aws/host/backupWatch.ts): runs the agent within a minute of a change. */
  watchScript: "/usr/local/sbin/seaweedfs-backup-watch",
  watchService: "seaweedfs-backup-watch.service",
  /** systemd's StateDirectory (below /var/lib) of both units: what the last upload held. */
  stateDirectory: "seaweedfs-backup",
  /** Where the host restore script stages a downloaded backup before installing it. */
  stagingDir: `${HOST_PATHS.dataRoot}/restore-staging`,
} as const;
