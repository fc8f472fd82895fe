/**
 * The certificate-expiry alarm of one master slot: the days its host last reported until its TLS certificate
 * expires (infra/aws/host/tlsExpiry.ts, hourly) fall below `tlsExpiryAlarmDays`, or nothing was reported for two
 * hours. Shorter than the renewal window by config, so it fires only when a renewal (`pulumi up`) or the roll that
 * puts it on the host (`npm run rollout`) was missed.
 */
import type * as aws from "@pulumi/aws";
import { alarmText } from "../../seaweed/alarms";
import { TLS_EXPIRY_HOST } from "../host/tlsExpiry";
import { METRIC_NAMESPACE, slotDimensions, TLS_EXPIRY_METRIC } from "./metrics";

/** The publisher's cadence, and so the alarm's period. */
export const TLS_EXPIRY_PERIOD_SECONDS = 3600;

/** The alarm's arguments (the Monitoring component adds name, actions and tags). */
export function tlsExpiryAlarmArgs(clusterName: string, slot: number, alarmDays: number): Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmActions" | "okActions" | "tags"> {
  return {
    alarmDescription: alarmText(
      `Slot ${slot}`,
      `the TLS certificate its master serves with (${TLS_EXPIRY_HOST.certificate}) expires within ${alarmDays} days, or the host reported no expiry for 2 hours: run pulumi up (it renews inside tlsRenewBeforeDays), then npm run rollout.`,
      "docs/security.md",
    ),
    metricQueries: [
      {
        id: "days",
        returnData: true,
        metric: { namespace: METRIC_NAMESPACE, metricName: TLS_EXPIRY_METRIC, dimensions: slotDimensions(clusterName, slot), period: TLS_EXPIRY_PERIOD_SECONDS, stat: "Minimum" },
      },
    ],
    comparisonOperator: "LessThanThreshold",
    threshold: alarmDays,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: "breaching",
    actionsEnabled: true,
  };
}
