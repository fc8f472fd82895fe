/**
 * Config keys of the backup bucket, EBS snapshots and the backup agent. Same rules as config/keys.ts: every key declared once with type, default,
 * documentation and fix.
 */
import { z } from "zod";
import type { ConfigValues } from "../config";
import { key, type ConfigIssue } from "./spec";
import { CHANGE_RPO_OBJECTIVE_SECONDS } from "../seaweed/backup";

const days = (min: number) => z.number().int("must be a whole number").min(min, `must be at least ${min}`).max(36500, "must be at most 36500 (100 years)");
const optionalDays = z.number().int("must be a whole number").min(0, "must be 0 (off) or a positive number of days").max(36500, "must be at most 36500 (100 years)");
const awsRegion = z.string().regex(/^([a-z]{2}(-gov)?-[a-z]+-\d)?$/, "not an AWS region such as us-west-2");

/** S3 refuses a STANDARD_IA transition earlier than 30 days after creation (API reference, `Transition.Days`). */
export const MIN_STANDARD_IA_DAYS = 30;
/**
 * Objects must stay in STANDARD_IA at least 30 days before a lifecycle rule moves them on to a Glacier class (S3 user
 * guide, "Constraints and considerations for transitions"); S3 rejects a configuration that does not leave that gap.
 */
export const MIN_DAYS_IN_STANDARD_IA = 30;
/** DLM accepts only these `createRule.interval` values (hours). */
export const DLM_INTERVAL_HOURS = [1, 2, 3, 4, 6, 8, 12, 24] as const;
/**
 * CloudWatch limits an alarm's evaluation range (period x evaluation periods) to 7 days for periods of an hour or
 * more (PutMetricAlarm, `Period`). The backup-age alarm looks back over two intervals, so an interval may be at most
 * 3.5 days.
 */
export const MAX_BACKUP_INTERVAL_MINUTES = (7 * 24 * 60) / 2;
/**
 * What one upload of the raft state may take, from the change check's decision to the manifest in S3 (the agent's
 * copy, SSM read and two S3 puts: a few seconds in the rpo drill). The change check's period plus this must fit in
 * {@link CHANGE_RPO_OBJECTIVE_SECONDS}, which bounds backupOnChangeSeconds.
 */
export const BACKUP_UPLOAD_ALLOWANCE_SECONDS = 15;
/** The longest change-check period that keeps the event-driven RPO within its objective. */
export const MAX_BACKUP_ON_CHANGE_SECONDS = CHANGE_RPO_OBJECTIVE_SECONDS - BACKUP_UPLOAD_ALLOWANCE_SECONDS;
/** A shorter period only costs polls (two local HTTP requests each) without a noticeable gain in RPO. */
export const MIN_BACKUP_ON_CHANGE_SECONDS = 5;
/** The verification-age alarm looks back over two verification intervals, within CloudWatch's 7 days. */
export const MAX_VERIFY_INTERVAL_HOURS = (7 * 24) / 2;

export const BACKUP_KEYS = {
  backupIntervalMinutes: key({
    type: "integer",
    description: "How often the backup agent on the leader (the AWS host timer, the Kubernetes sidecar) uploads a consistent copy of the raft directory to S3, whether or not anything changed: the safety net beside the change check (backupOnChangeSeconds), and the RPO of a full metadata loss when that check is off. The backup-age alarm (CloudWatch on AWS, the PrometheusRule on Kubernetes) fires after twice this without a successful backup.",
    schema: z.number().int("must be a whole number").min(5, "must be at least 5 minutes").max(MAX_BACKUP_INTERVAL_MINUTES, `must be at most ${MAX_BACKUP_INTERVAL_MINUTES} (CloudWatch evaluates an alarm over at most 7 days, two intervals)`),
    default: 15,
    fix: "use a number of minutes such as 15",
  }),
  backupOnChangeSeconds: key({
    type: "integer",
    description: `How often the leader checks what a backup protects (TopologyId, MaxVolumeId, raft membership) and uploads a new backup when it changed since its last upload, beside the backupIntervalMinutes timer (the AWS watcher service, the Kubernetes sidecar's loop). The check asks only the local master; a quiet cluster uploads nothing. This period plus one upload (at most ${BACKUP_UPLOAD_ALLOWANCE_SECONDS} s) bounds the RPO of a full metadata loss at ${CHANGE_RPO_OBJECTIVE_SECONDS} s (docs/runbooks/restore.md#recovery-point); 0 leaves only the timer (RPO: backupIntervalMinutes).`,
    schema: z
      .number()
      .int("must be a whole number")
      .refine((s) => s === 0 || s >= MIN_BACKUP_ON_CHANGE_SECONDS, `must be 0 (timer only) or at least ${MIN_BACKUP_ON_CHANGE_SECONDS} seconds`)
      .refine((s) => s <= MAX_BACKUP_ON_CHANGE_SECONDS, `must be at most ${MAX_BACKUP_ON_CHANGE_SECONDS}: the check period plus an upload (${BACKUP_UPLOAD_ALLOWANCE_SECONDS} s) must stay within the ${CHANGE_RPO_OBJECTIVE_SECONDS} s RPO objective`),
    default: 15,
    fix: `use a number of seconds from ${MIN_BACKUP_ON_CHANGE_SECONDS} to ${MAX_BACKUP_ON_CHANGE_SECONDS} such as 15, or 0 for the timer only`,
  }),
  restoreVerifyIntervalHours: key({
    type: "integer",
    description: "How often slot 0's host proves that the newest backup restores (AWS; not yet on Kubernetes): it checks the manifest and restores the backup into a scratch master tier in a network namespace of its own, then compares TopologyId, MaxVolumeId and the raft log with the live cluster and the manifest (docs/runbooks/restore.md#restore-verification). The CloudWatch verification-age alarm fires after twice this without a verified restore; a failed verification alarms at once.",
    schema: z.number().int("must be a whole number").min(1, "must be at least 1 hour").max(MAX_VERIFY_INTERVAL_HOURS, `must be at most ${MAX_VERIFY_INTERVAL_HOURS} (CloudWatch evaluates an alarm over at most 7 days, two intervals)`),
    default: 24,
    fix: "use a number of hours such as 24",
  }),
  restoreVerifyAfterBackup: key({
    type: "boolean",
    description: "Also verify each new backup soon after it is taken (AWS): the verifier looks every backupIntervalMinutes and verifies when the newest backup is one it has not verified yet (a scratch tier for a few seconds: cheap). false verifies only every restoreVerifyIntervalHours.",
    schema: z.boolean(),
    default: true,
    fix: "set true or false",
  }),
  backupTransitionToIaDays: key({
    type: "integer",
    description: "Days after upload when backups move to S3 STANDARD_IA; 0 keeps them in STANDARD. S3 requires at least 30.",
    schema: optionalDays.refine((d) => d === 0 || d >= MIN_STANDARD_IA_DAYS, `S3 refuses a STANDARD_IA transition before ${MIN_STANDARD_IA_DAYS} days`),
    default: 30,
    fix: `use 0 (off) or at least ${MIN_STANDARD_IA_DAYS}`,
  }),
  backupTransitionToGlacierIrDays: key({
    type: "integer",
    description: "Days after upload when backups move to S3 GLACIER_IR (instant retrieval, so a restore is not delayed); 0 disables. Must be at least 30 days after the STANDARD_IA transition.",
    schema: optionalDays,
    default: 90,
    fix: `use 0 (off) or a day count at least ${MIN_DAYS_IN_STANDARD_IA} after backupTransitionToIaDays`,
  }),
  backupExpirationDays: key({
    type: "integer",
    description: "Days after upload when a backup expires (becomes a noncurrent version). Must come after every transition.",
    schema: days(1),
    default: 365,
    fix: "use a day count later than both transitions, e.g. 365",
  }),
  backupNoncurrentExpirationDays: key({
    type: "integer",
    description: "Days a noncurrent (expired, deleted or overwritten) backup version is kept before S3 deletes it for good.",
    schema: days(1),
    default: 30,
    fix: "use a positive number of days such as 30",
  }),
  backupAbortMultipartDays: key({
    type: "integer",
    description: "Days after which S3 aborts an unfinished multipart upload to the backup bucket (and drops its parts).",
    schema: days(1),
    default: 7,
    fix: "use a positive number of days such as 7",
  }),
  backupObjectLockMode: key({
    type: "string",
    description: "S3 Object Lock default retention of the backup bucket (and of its DR copy): COMPLIANCE (nobody, the root user included, can delete a backup version or shorten its retention before it ends; an overwrite only adds a newer version, which the restore verification then refuses, and the locked one stays readable by version id; the default on prod, where the policy pack requires it), GOVERNANCE (the same, except for a principal allowed s3:BypassGovernanceRetention, which `pulumi destroy` of a forceDestroy bucket uses; the default elsewhere) or empty (off, together with backupObjectLockDays 0). Object Lock can only be switched on when a bucket is created: changing it from or to empty replaces the bucket.",
    schema: z.enum(["", "GOVERNANCE", "COMPLIANCE"]),
    defaultFor: (environment) => (environment === "prod" ? "COMPLIANCE" : "GOVERNANCE"),
    fix: "use GOVERNANCE, COMPLIANCE or leave it empty (with backupObjectLockDays 0)",
  }),
  backupObjectLockDays: key({
    type: "integer",
    description: "Days each backup version is locked against deletion and overwrite (30 on prod, 7 elsewhere); 0 without a mode. On prod the policy pack requires at least 30.",
    schema: optionalDays,
    defaultFor: (environment) => (environment === "prod" ? 30 : 7),
    fix: "set a positive number of days together with backupObjectLockMode, or 0 without it",
  }),
  backupReplicationRegion: key({
    type: "string",
    description: "Another AWS region to replicate every backup to (a DR bucket is created there, through a provider with the stack's own aws: profile, shared files, assumed roles, allowed accounts, credentials and default tags); empty disables replication.",
    schema: awsRegion,
    default: "",
    fix: "use a region other than the stack's, e.g. us-west-2, or leave it empty",
  }),
  snapshotIntervalHours: key({
    type: "integer",
    description: "How often Data Lifecycle Manager snapshots every master's data volume (tag seaweedfs:role=master-data).",
    schema: z.number().refine((h) => (DLM_INTERVAL_HOURS as readonly number[]).includes(h), `DLM accepts only ${DLM_INTERVAL_HOURS.join(", ")} hours`),
    default: 12,
    fix: `use one of ${DLM_INTERVAL_HOURS.join(", ")}`,
  }),
  snapshotRetainCount: key({
    type: "integer",
    description: "How many DLM snapshots of each data volume are kept.",
    schema: z.number().int("must be a whole number").min(1, "must be at least 1").max(1000, "DLM keeps at most 1000 snapshots per schedule"),
    default: 14,
    fix: "use a count from 1 to 1000, e.g. 14",
  }),
  snapshotCopyRegion: key({
    type: "string",
    description: "Another AWS region DLM copies each snapshot to (encrypted); empty disables the copy.",
    schema: awsRegion,
    default: "",
    fix: "use a region other than the stack's, e.g. us-west-2, or leave it empty",
  }),
  snapshotCopyRetainDays: key({
    type: "integer",
    description: "Days DLM keeps each cross-region snapshot copy.",
    schema: days(1),
    default: 7,
    fix: "use a positive number of days such as 7",
  }),
};

/** The stack's region, as its availability zones spell it (`us-east-1a` -> `us-east-1`). */
export function regionOfZones(zones: readonly string[]): string | undefined {
  return zones[0]?.replace(/[a-z]$/, "");
}

/** Checks that span several keys of this area. */
export function backupCrossChecks(v: ConfigValues, issues: ConfigIssue[]): void {
  const ia = v.backupTransitionToIaDays;
  const glacier = v.backupTransitionToGlacierIrDays;
  if (ia > 0 && glacier > 0 && glacier < ia + MIN_DAYS_IN_STANDARD_IA) {
    issues.push({ key: "backupTransitionToGlacierIrDays", value: glacier, message: `must be at least ${MIN_DAYS_IN_STANDARD_IA} days after backupTransitionToIaDays (${ia}): S3 keeps objects in STANDARD_IA for ${MIN_DAYS_IN_STANDARD_IA} days before a Glacier transition`, fix: `set it to ${ia + MIN_DAYS_IN_STANDARD_IA} or more, or 0 to skip Glacier` });
  }
  const lastTransition = Math.max(ia, glacier);
  if (v.backupExpirationDays <= lastTransition) {
    issues.push({ key: "backupExpirationDays", value: v.backupExpirationDays, message: `must be later than the last transition (day ${lastTransition}); S3 refuses an expiration at or before a transition`, fix: `set it above ${lastTransition}, e.g. ${Math.max(365, lastTransition + 1)}` });
  }
  if (v.backupExpirationDays * 24 * 60 < 2 * v.backupIntervalMinutes) {
    issues.push({ key: "backupExpirationDays", value: v.backupExpirationDays, message: `keeps a backup for less than two backup intervals (backupIntervalMinutes=${v.backupIntervalMinutes}), so at times no backup would exist`, fix: `set it to at least ${Math.ceil((2 * v.backupIntervalMinutes) / (24 * 60))} days` });
  }
  if (v.snapshotRetainCount * v.snapshotIntervalHours * 60 < v.backupIntervalMinutes) {
    issues.push({ key: "snapshotRetainCount", value: v.snapshotRetainCount, message: `keeps snapshots for ${v.snapshotRetainCount * v.snapshotIntervalHours} h, less than one backup interval (${v.backupIntervalMinutes} min)`, fix: `keep at least ${Math.ceil(v.backupIntervalMinutes / 60 / v.snapshotIntervalHours)} snapshots` });
  }
  if (v.backupObjectLockMode && v.backupObjectLockDays === 0) {
    issues.push({ key: "backupObjectLockDays", value: v.backupObjectLockDays, message: `must be set when backupObjectLockMode is ${v.backupObjectLockMode}: S3 Object Lock needs a retention period`, fix: "set backupObjectLockDays to a positive number such as 30, or clear backupObjectLockMode" });
  }
  if (!v.backupObjectLockMode && v.backupObjectLockDays > 0) {
    issues.push({ key: "backupObjectLockMode", value: v.backupObjectLockMode, message: `is empty while backupObjectLockDays is ${v.backupObjectLockDays}`, fix: "set backupObjectLockMode to GOVERNANCE or COMPLIANCE, or backupObjectLockDays to 0" });
  }
  const region = regionOfZones(v.availabilityZones);
  for (const name of ["backupReplicationRegion", "snapshotCopyRegion"] as const) {
    if (v[name] && v[name] === region) {
      issues.push({ key: name, value: v[name], message: `is the stack's own region (${region}); a copy there does not survive a regional outage`, fix: "choose another region, e.g. us-west-2, or leave it empty" });
    }
  }
}
