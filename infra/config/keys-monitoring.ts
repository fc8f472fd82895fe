/**
 * Config keys of the metrics pipeline, alarms, SNS and dashboard. Same rules as config/keys.ts: every key declared
 * once with type, default, documentation and fix. Thresholds that could never fire (or always fire) are refused.
 */
import { z } from "zod";
import type { ConfigValues } from "../config";
import { key, type ConfigIssue } from "./spec";

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const email = z.string().regex(/^[^\s@,;]+@[^\s@,;]+\.[A-Za-z]{2,}$/, "not an email address such as storage-oncall@example.com");
const httpsUrl = z.string().regex(/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/\S*)?$/, "not an https:// URL (SNS only confirms HTTPS endpoints over TLS)");
const retention = z
  .number()
  .int("must be a whole number")
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `CloudWatch Logs only accepts ${LOG_RETENTION_DAYS.join(", ")}`);
const percent = z
  .number()
  .int("must be a whole number")
  .min(1, "must be at least 1: a lower threshold would fire all the time")
  .max(99, "must be below 100: usage can never exceed 100%, so the alarm could never fire");
const minutes = (max: number) => z.number().int("must be a whole number").min(1, "must be at least 1 minute").max(max, `must be at most ${max} minutes`);

export const MONITORING_KEYS = {
  alarmEmails: key({
    type: "array",
    description: "Email addresses subscribed to the alarm topic (each must confirm the subscription mail). Alarm and OK notifications go there.",
    schema: z.array(email).refine((list) => new Set(list).size === list.length, "lists an address twice"),
    default: [],
    fix: "list addresses such as [storage-oncall@example.com]",
  }),
  alarmHttpsEndpoints: key({
    type: "array",
    description: "HTTPS endpoints (pager or chat webhooks) subscribed to the alarm topic.",
    schema: z.array(httpsUrl).refine((list) => new Set(list).size === list.length, "lists an endpoint twice"),
    default: [],
    fix: "list https:// URLs, e.g. [https://events.pagerduty.com/integration/<key>/enqueue]",
  }),
  logRetentionDays: key({
    type: "integer",
    description: "Retention of the masters' weed journal in CloudWatch Logs, in days.",
    schema: retention,
    default: 30,
    fix: `use one of ${LOG_RETENTION_DAYS.join(", ")}`,
  }),
  metricsLogRetentionDays: key({
    type: "integer",
    description: "Retention of the raw Prometheus (EMF) log events the metrics are extracted from, in days. The metrics themselves are kept by CloudWatch for 15 months.",
    schema: retention,
    default: 7,
    fix: `use one of ${LOG_RETENTION_DAYS.join(", ")}, e.g. 7`,
  }),
  alarmLeaderCountMinutes: key({
    type: "integer",
    description: "Minutes the number of leaders may differ from 1 before the leader-count alarm fires. An election takes about a second, so a few minutes only rides over scrape jitter.",
    schema: minutes(60),
    default: 3,
    fix: "use a whole number of minutes from 1 to 60, e.g. 3",
  }),
  alarmLeaderChangesMax: key({
    type: "integer",
    description: "The leader-flapping alarm fires when more than this many leader elections happen within alarmLeaderChangesWindowMinutes.",
    schema: z.number().int("must be a whole number").min(0, "must be 0 or more").max(1000, "must be at most 1000"),
    default: 2,
    fix: "use a small whole number such as 2",
  }),
  alarmLeaderChangesWindowMinutes: key({
    type: "integer",
    description: "The window, in minutes, over which leader elections are counted for the flapping alarm.",
    schema: minutes(1440),
    default: 15,
    fix: "use a whole number of minutes from 1 to 1440, e.g. 15",
  }),
  alarmHealthyHostsBelow: key({
    type: "string",
    description: "The load balancer alarm fires when a target group has fewer healthy masters than this: `quorum` (the default), or a number from 1 to masterCount.",
    schema: z
      .string()
      .regex(/^(quorum|-?\d+)$/, "must be quorum or a whole number of masters")
      .refine((v) => v === "quorum" || Number(v) >= 1, "can never fire: a target group never has fewer than 0 healthy masters"),
    default: "quorum",
    fix: "use quorum, or a number from 1 to masterCount",
  }),
  alarmUnhealthyHostsAbove: key({
    type: "integer",
    description: "The load balancer alarm fires when a target group has more unhealthy masters than this (0: any unhealthy master).",
    schema: z.number().int("must be a whole number").min(0, "must be 0 or more: a count is never negative, so the alarm would always fire"),
    default: 0,
    fix: "use 0 (alarm on any unhealthy master) or a number below masterCount",
  }),
  alarmInstanceMissingMinutes: key({
    type: "integer",
    description: "Minutes a slot's Auto Scaling group may have no in-service instance before its alarm fires. Covers a normal replacement (launch, attach the slot's ENI and volume, start weed).",
    schema: minutes(60),
    default: 10,
    fix: "use a whole number of minutes from 1 to 60, e.g. 10",
  }),
  alarmDiskUsedPercent: key({
    type: "integer",
    description: "Data-volume usage (percent) above which a slot's disk alarm fires.",
    schema: percent,
    default: 80,
    fix: "use a percentage from 1 to 99, e.g. 80",
  }),
  alarmMemoryUsedPercent: key({
    type: "integer",
    description: "Memory usage (percent) above which a slot's memory alarm fires.",
    schema: percent,
    default: 90,
    fix: "use a percentage from 1 to 99, e.g. 90",
  }),
};

/** The healthy-host threshold in masters, with `quorum` resolved. */
export function healthyHostsThreshold(setting: string, quorum: number): number {
  return setting === "quorum" ? quorum : Number(setting);
}

/** Checks that span several keys of this area. */
export function monitoringCrossChecks(v: ConfigValues, issues: ConfigIssue[]): void {
  if (v.alarmHealthyHostsBelow !== "quorum" && Number(v.alarmHealthyHostsBelow) > v.masterCount) {
    issues.push({
      key: "alarmHealthyHostsBelow",
      value: v.alarmHealthyHostsBelow,
      message: `would always fire: a target group holds only ${v.masterCount} masters`,
      fix: `use quorum, or a number from 1 to ${v.masterCount}`,
    });
  }
  if (v.alarmUnhealthyHostsAbove >= v.masterCount) {
    issues.push({
      key: "alarmUnhealthyHostsAbove",
      value: v.alarmUnhealthyHostsAbove,
      message: `can never fire: a target group holds only ${v.masterCount} masters`,
      fix: `use a number from 0 to ${v.masterCount - 1}, e.g. 0`,
    });
  }
}
