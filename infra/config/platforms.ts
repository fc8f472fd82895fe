/**
 * Which config keys belong to which platform, and which checks span a platform's keys. Neutral keys (the rest of
 * config/keys.ts) apply everywhere; a key of one platform set on a stack of the other is refused with a message
 * naming both, so a half-converted stack file cannot deploy something other than what it says. What a platform
 * derives from its keys (placement, identities) lives in the platform's folder (infra/platforms.ts).
 */
import type { ConfigValues } from "../config";
import type { ConfigIssue } from "./spec";
import { AWS_KEYS, awsCoreChecks, awsCrossChecks } from "./keys-aws";
import { BACKUP_KEYS, backupCrossChecks } from "./keys-backup";
import { KUBERNETES_KEYS, kubernetesCrossChecks } from "./keys-kubernetes";
import { MONITORING_KEYS, monitoringCrossChecks } from "./keys-monitoring";
import { watchdogCrossChecks } from "./keys-watchdog";

export type Platform = "aws" | "kubernetes";

/** Alarm thresholds both platforms read (CloudWatch alarms, the PrometheusRule); the other monitoring keys are AWS's. */
export const NEUTRAL_MONITORING_KEYS = ["alarmLeaderCountMinutes", "alarmLeaderChangesMax", "alarmLeaderChangesWindowMinutes", "alarmDiskUsedPercent"] as const;

/**
 * Backup keys both platforms read: the AWS agent's timer and the Kubernetes sidecar's loop run every interval, and
 * both check for changes every backupOnChangeSeconds.
 */
export const NEUTRAL_BACKUP_KEYS = ["backupIntervalMinutes", "backupOnChangeSeconds"] as const;

/**
 * The watchdog key only the AWS unit reads: Kubernetes always probes liveness (the kubelet is its watchdog, and the
 * liveness probe runs both watchdog rules: infra/seaweed/livenessProbe.ts), so the other watchdog keys are neutral.
 */
export const AWS_WATCHDOG_KEYS = ["watchdogEnabled"] as const;

/** The keys only one platform reads. The bucket, lifecycle and DLM keys and the CloudWatch-only monitoring keys are AWS's. */
export const PLATFORM_KEYS: Record<Platform, readonly string[]> = {
  aws: [
    ...Object.keys(AWS_KEYS),
    ...Object.keys(MONITORING_KEYS).filter((k) => !(NEUTRAL_MONITORING_KEYS as readonly string[]).includes(k)),
    ...Object.keys(BACKUP_KEYS).filter((k) => !(NEUTRAL_BACKUP_KEYS as readonly string[]).includes(k)),
    ...AWS_WATCHDOG_KEYS,
  ],
  kubernetes: Object.keys(KUBERNETES_KEYS),
};

/** The platform that owns `key`, or undefined for a neutral key. */
export function ownerOf(key: string): Platform | undefined {
  return (Object.keys(PLATFORM_KEYS) as Platform[]).find((p) => PLATFORM_KEYS[p].includes(key));
}

/** The checks that span several keys of a platform (beyond each key's schema), in the order their issues are listed. */
export const KEY_CHECKS: Record<Platform, readonly ((v: ConfigValues, issues: ConfigIssue[]) => void)[]> = {
  aws: [awsCoreChecks, awsCrossChecks, monitoringCrossChecks, backupCrossChecks, watchdogCrossChecks],
  kubernetes: [kubernetesCrossChecks],
};
