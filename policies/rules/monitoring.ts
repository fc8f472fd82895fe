/**
 * Monitoring, when the stack has any: the alarms that matter for a master tier exist, and every alarm notifies
 * someone. The leader alarm is judged by its math, replayed on made-up leader counts (./alarmMath.ts); the other
 * alarm kinds are recognised by the metric names they watch (SeaweedFS names come from infra/seaweed).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { METRIC_NAMESPACE, METRICS_INTERVAL_SECONDS, slotDimensions } from "../../infra/aws/monitoring/cloudwatch";
import { METRICS } from "../../infra/seaweed/constants";
import { alarmMathOf, Datapoint, evaluateAlarm, MetricStat } from "./alarmMath";
import { asArray, asRecord, flag, ofType, TAGS, tagsOf, TYPES } from "./graph";
import { masterSlots } from "./masters";

/** An alarm kind: satisfied by any alarm that watches one of `metrics`. */
export interface AlarmKind {
  kind: string;
  metrics: string[];
}

/** The kinds recognised by metric name; the leader alarm is always required, and judged by its math. */
export const DEFAULT_ALARM_KINDS: AlarmKind[] = [
  { kind: "unhealthy master behind the load balancer", metrics: ["UnHealthyHostCount", "HealthyHostCount"] },
  { kind: "failed instance status check", metrics: ["StatusCheckFailed", "StatusCheckFailed_Instance", "StatusCheckFailed_System"] },
];

/** The leader alarm's kind, as violations name it. */
export const LEADER_KIND = "no or several leaders";

/** Metric names an alarm watches, directly or through its metric queries. */
export function watchedMetrics(alarm: PolicyResource): string[] {
  const queries = asArray(alarm.props.metricQueries).map((q) => asRecord(asRecord(q).metric).metricName);
  return [alarm.props.metricName, ...queries].filter((m): m is string => typeof m === "string");
}

/** One made-up state of the tier, held for the whole replay: each slot's `is_leader`, or undefined when silent. */
interface LeaderScenario {
  name: string;
  isLeader: (slot: string) => number | undefined;
  /** Whether a leader alarm must be in ALARM by the end of the replay. */
  fires: boolean;
}

/** Exactly one leader (each slot in turn), none, two (each pair), and no master reporting at all. */
function leaderScenarios(slots: readonly string[]): LeaderScenario[] {
  const pairs = slots.flatMap((a, i) => slots.slice(i + 1).map((b) => [a, b]));
  return [
    ...slots.map((leader) => ({ name: `one leader (slot ${leader})`, isLeader: (s: string) => (s === leader ? 1 : 0), fires: false })),
    { name: "no leader", isLeader: () => 0, fires: true },
    ...pairs.map(([a, b]) => ({ name: `two leaders (slots ${a} and ${b})`, isLeader: (s: string) => (s === a || s === b ? 1 : 0), fires: true })),
    { name: "no master reporting", isLeader: () => undefined, fires: true },
  ];
}

/**
 * Why `alarm` is not a leader alarm, or undefined when it is: replayed for `maxMinutes` on the series the masters'
 * agent publishes (`is_leader` of each slot every METRICS_INTERVAL_SECONDS, under the slot's dimensions), it must stay
 * OK with exactly one leader and fire with none, with two, and when no master reports.
 */
function leaderAlarmProblem(alarm: PolicyResource, slots: readonly { slot: string; cluster: string }[], maxMinutes: number): string | undefined {
  let math;
  try {
    math = alarmMathOf(alarm.props);
  } catch (e) {
    return `cannot be replayed: ${(e as Error).message}`;
  }
  const periods = new Set(math.metricQueries.flatMap((q) => (q.metric ? [q.metric.period] : [])));
  if (periods.size !== 1) return `reads metrics with periods ${[...periods].join(", ") || "none"}; one period is needed`;
  const period = [...periods][0];
  const horizon = maxMinutes * 60;
  const samplesOf = (scenario: LeaderScenario) => (metric: MetricStat): Datapoint[] => {
    const slot = slots.find((s) => metric.namespace === METRIC_NAMESPACE && metric.metricName === METRICS.isLeader && sameDimensions(metric.dimensions, slotDimensions(s.cluster, Number(s.slot))));
    const value = slot === undefined ? undefined : scenario.isLeader(slot.slot);
    if (value === undefined) return [];
    return Array.from({ length: horizon / METRICS_INTERVAL_SECONDS }, (_, i) => ({ t: i * METRICS_INTERVAL_SECONDS * 1000, value }));
  };
  for (const scenario of leaderScenarios(slots.map((s) => s.slot))) {
    let fired;
    try {
      fired = evaluateAlarm(math, samplesOf(scenario), 0, period * 1000, Math.floor(horizon / period)).firstAlarmPeriod >= 0;
    } catch (e) {
      return `cannot be replayed: ${(e as Error).message}`;
    }
    if (fired && !scenario.fires) return `fires with ${scenario.name}`;
    if (!fired && scenario.fires) return `stays OK for ${maxMinutes} min with ${scenario.name}`;
  }
  return undefined;
}

/** CloudWatch names a series by its exact dimension set. */
function sameDimensions(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const left = Object.entries(a ?? {}).sort();
  const right = Object.entries(b).sort();
  return left.length === right.length && left.every(([k, v], i) => k === right[i][0] && v === right[i][1]);
}

export const requiredAlarms: StackValidationPolicy = {
  name: "seaweedfs-required-alarms",
  description:
    "When the stack has alarms: one whose math, replayed on the masters' is_leader series, stays OK with one leader and fires within leaderAlarmMaxMinutes with none, two or no master reporting; and one watching each required kind (load-balancer health and instance status by default).",
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
      leaderAlarmMaxMinutes: { type: "integer", minimum: 1, default: 10 },
    },
  },
  validateStack: (args, report) => {
    const alarms = ofType(args.resources, TYPES.metricAlarm);
    if (alarms.length === 0 && ofType(args.resources, TYPES.compositeAlarm).length === 0) args.notApplicable("no alarms in this stack");
    const { requiredAlarmKinds, leaderAlarmMaxMinutes } = args.getConfig<{ requiredAlarmKinds: AlarmKind[]; leaderAlarmMaxMinutes: number }>();
    const leaderProblem = missingLeaderAlarm(alarms, args.resources, leaderAlarmMaxMinutes);
    if (leaderProblem) report(`no alarm for "${LEADER_KIND}": ${leaderProblem}`);
    const watched = new Set(alarms.flatMap(watchedMetrics));
    for (const { kind, metrics } of requiredAlarmKinds) {
      if (!metrics.some((m) => watched.has(m))) report(`no alarm for "${kind}": none watches ${metrics.join(" or ")}`);
    }
  },
};

/** Why no alarm of the stack is a leader alarm (each candidate's first failed replay), or undefined when one is. */
function missingLeaderAlarm(alarms: readonly PolicyResource[], resources: readonly PolicyResource[], maxMinutes: number): string | undefined {
  const slots = masterSlots(resources).map((s) => ({ slot: s.slot, cluster: tagsOf(s.eni.props)[TAGS.cluster] ?? "" }));
  if (slots.length === 0) return "no SeaweedFS master slots to replay an alarm's math on";
  const candidates = alarms.filter((a) => watchedMetrics(a).includes(METRICS.isLeader)).sort((a, b) => a.name.localeCompare(b.name));
  if (candidates.length === 0) return `none watches ${METRICS.isLeader}`;
  const problems = candidates.map((a) => ({ name: a.name, problem: leaderAlarmProblem(a, slots, maxMinutes) }));
  if (problems.some((p) => p.problem === undefined)) return undefined;
  return `no alarm on ${METRICS.isLeader} stays OK with one leader and fires with none, two or no master reporting: ${problems.map((p) => `${p.name} ${p.problem}`).join("; ")}`;
}

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
