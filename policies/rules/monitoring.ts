/**
 * Monitoring, when the stack has any: the alarms that matter for a master tier exist, and every alarm notifies
 * someone. Alarm kinds are recognised by the metric names they watch (SeaweedFS names come from infra/seaweed).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { METRICS } from "../../infra/seaweed/constants";
import { asArray, asRecord, flag, ofType, TYPES } from "./graph";
import { masterSlots } from "./masters";

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

/**
 * Why an alarm does not catch a silent master in `slot` within `maxMinutes`, or undefined when it does: it must count
 * the slot's own `SeaweedFS_master_is_leader` samples (every master reports it each scrape, leader or not), fire
 * below one sample, and treat missing data as breaching, since silence is the failure.
 */
function silentAlarmProblem(alarm: PolicyResource, slot: string, maxMinutes: number): string | undefined {
  const p = alarm.props;
  const dimensions = asRecord(p.dimensions);
  if (p.metricName !== METRICS.isLeader || String(dimensions.Slot) !== slot) return "does not watch the slot's own samples";
  if (p.statistic !== "SampleCount") return `uses statistic ${String(p.statistic)}, not SampleCount (a follower's value is 0, so only the sample count shows silence)`;
  const firesBelowOne = (p.comparisonOperator === "LessThanThreshold" && Number(p.threshold) <= 1) || (p.comparisonOperator === "LessThanOrEqualToThreshold" && Number(p.threshold) < 1);
  if (!firesBelowOne) return `fires on ${String(p.comparisonOperator)} ${String(p.threshold)}, not on fewer than one sample`;
  if (p.treatMissingData !== "breaching") return `treats missing data as ${String(p.treatMissingData ?? "missing")}, so a silent master never fires it`;
  const minutes = (Number(p.period) * Number(p.evaluationPeriods)) / 60;
  if (!(minutes <= maxMinutes)) return `needs ${minutes} min of silence, more than ${maxMinutes}`;
  return undefined;
}

export const masterSilentAlarm: StackValidationPolicy = {
  name: "seaweedfs-master-silent-alarm",
  description: "When the stack has alarms, each master slot has one that fires when its master stops reporting (no SeaweedFS_master_is_leader sample, missing data breaching) within maxMinutes.",
  severity: "high",
  configSchema: { properties: { maxMinutes: { type: "integer", minimum: 1, default: 10 } } },
  validateStack: (args, report) => {
    const alarms = ofType(args.resources, TYPES.metricAlarm);
    if (alarms.length === 0) args.notApplicable("no alarms in this stack");
    const slots = masterSlots(args.resources);
    if (slots.length === 0) args.notApplicable("no SeaweedFS master slots");
    const { maxMinutes } = args.getConfig<{ maxMinutes: number }>();
    for (const { slot } of slots) {
      const candidates = alarms.filter((a) => a.props.metricName === METRICS.isLeader && String(asRecord(a.props.dimensions).Slot) === slot);
      const problems = candidates.map((a) => ({ alarm: a, problem: silentAlarmProblem(a, slot, maxMinutes) }));
      if (problems.some((p) => p.problem === undefined)) continue;
      report(
        candidates.length === 0
          ? `slot ${slot}: no alarm fires when its master stops reporting ${METRICS.isLeader} (a crash loop or failed boot would go unnoticed while the others keep a leader)`
          : `slot ${slot}: ${problems.map((p) => `${p.alarm.name} ${p.problem}`).join("; ")}`,
      );
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
