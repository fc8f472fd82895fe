/**
 * Monitoring, when the stack has any: the alarms that matter for a master tier exist, and every alarm notifies
 * someone. Alarm kinds are recognised by the metric names they watch (SeaweedFS names come from infra/seaweed).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { METRICS } from "../../infra/seaweed/constants";
import { asArray, asRecord, flag, ofType, TYPES } from "./graph";

/** An alarm kind: satisfied by any alarm that watches one of `metrics`. */
export interface AlarmKind {
  kind: string;
  metrics: string[];
}

export const DEFAULT_ALARM_KINDS: AlarmKind[] = [
  { kind: "no or several leaders", metrics: [METRICS.isLeader] },
  { kind: "unhealthy master behind the load balancer", metrics: ["UnHealthyHostCount", "HealthyHostCount"] },
  { kind: "failed instance status check", metrics: ["StatusCheckFailed", "StatusCheckFailed_Instance", "StatusCheckFailed_System"] },
];

/** Metric names an alarm watches, directly or through its metric queries. */
export function watchedMetrics(alarm: PolicyResource): string[] {
  const queries = asArray(alarm.props.metricQueries).map((q) => asRecord(asRecord(q).metric).metricName);
  return [alarm.props.metricName, ...queries].filter((m): m is string => typeof m === "string");
}

export const requiredAlarms: StackValidationPolicy = {
  name: "seaweedfs-required-alarms",
  description: "When the stack has alarms, one watches each required kind (leadership, load-balancer health, instance status by default).",
  severity: "high",
  configSchema: {
    properties: {
      requiredAlarmKinds: {
        type: "array",
        items: {
          type: "object",
          properties: { kind: { type: "string" }, metrics: { type: "array", items: { type: "string" }, minItems: 1 } },
          required: ["kind", "metrics"],
        },
        default: DEFAULT_ALARM_KINDS,
      },
    },
  },
  validateStack: (args, report) => {
    const alarms = ofType(args.resources, TYPES.metricAlarm);
    if (alarms.length === 0 && ofType(args.resources, TYPES.compositeAlarm).length === 0) args.notApplicable("no alarms in this stack");
    const { requiredAlarmKinds } = args.getConfig<{ requiredAlarmKinds: AlarmKind[] }>();
    const watched = new Set(alarms.flatMap(watchedMetrics));
    for (const { kind, metrics } of requiredAlarmKinds) {
      if (!metrics.some((m) => watched.has(m))) report(`no alarm for "${kind}": none watches ${metrics.join(" or ")}`);
    }
  },
};

export const alarmActions: ResourceValidationPolicy = {
  name: "seaweedfs-alarm-actions",
  description: "Every alarm has actions enabled and at least one alarm action (an alarm nobody hears is no alarm).",
  severity: "medium",
  configSchema: { properties: { requireOkActions: { type: "boolean", default: false } } },
  validateResource: (args, report) => {
    if (args.type !== TYPES.metricAlarm && args.type !== TYPES.compositeAlarm) args.notApplicable("not an alarm");
    const { requireOkActions } = args.getConfig<{ requireOkActions: boolean }>();
    if (flag(args.props.actionsEnabled) === false) report("the alarm's actions are disabled");
    if (asArray(args.props.alarmActions).length === 0) report("the alarm has no alarmActions");
    if (requireOkActions && asArray(args.props.okActions).length === 0) report("the alarm has no okActions");
  },
};
