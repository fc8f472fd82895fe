/**
 * The restore verifier's two CloudWatch alarms, as plain `aws.cloudwatch.MetricAlarm` arguments (the Backups
 * component registers them; the drill replays them on what the real verifier published to moto, through
 * policies/rules/alarmMath.ts):
 * - verification age: no verified restore for twice `restoreVerifyIntervalHours` (no data is no verification);
 * - verification failed: the last verification failed; it stays in ALARM until one passes (missing data keeps it).
 */
import { BACKUP_METRIC, VERIFICATION_METRICS } from "../host/backupNames";

export interface VerificationAlarmSettings {
  clusterName: string;
  restoreVerifyIntervalHours: number;
}

/** The arguments CloudWatch evaluates, plus name and description. */
export interface VerificationAlarm {
  name: string;
  alarmDescription: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: "SampleCount" | "Maximum";
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: "LessThanThreshold" | "GreaterThanOrEqualToThreshold";
  treatMissingData: "breaching" | "ignore";
}

/** How old the last verified restore may get before the age alarm fires (hours): twice the interval. */
export function verificationAgeLimitHours(intervalHours: number): number {
  return 2 * intervalHours;
}

/** The failure alarm's period: a failure alarms within 5 minutes; the next passing run clears it. */
const FAILURE_PERIOD_SECONDS = 300;

export function verificationAlarms(s: VerificationAlarmSettings): { age: VerificationAlarm; failed: VerificationAlarm } {
  const dimensions = { [BACKUP_METRIC.dimension]: s.clusterName };
  const limit = verificationAgeLimitHours(s.restoreVerifyIntervalHours);
  return {
    // Hourly periods, all of them without a sample: an evaluation range of `limit` hours (at most CloudWatch's 7 days).
    age: {
      name: `${s.clusterName}-restore-verification-age`,
      alarmDescription: `No verified restore of a ${s.clusterName} backup for ${limit} hours (twice restoreVerifyIntervalHours): the verifier on slot 0 did not run or did not pass. Runbook: docs/runbooks/restore.md#restore-verification`,
      namespace: BACKUP_METRIC.namespace,
      metricName: VERIFICATION_METRICS.lastVerified,
      dimensions,
      statistic: "SampleCount",
      period: 3600,
      evaluationPeriods: limit,
      datapointsToAlarm: limit,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
    },
    failed: {
      name: `${s.clusterName}-restore-verification-failed`,
      alarmDescription: `The newest ${s.clusterName} backup did not restore in the verifier's scratch tier (or could not be downloaded or checked): see the verifier's journal on slot 0. Runbook: docs/runbooks/restore.md#restore-verification`,
      namespace: BACKUP_METRIC.namespace,
      metricName: VERIFICATION_METRICS.failed,
      dimensions,
      statistic: "Maximum",
      period: FAILURE_PERIOD_SECONDS,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "ignore",
    },
  };
}
