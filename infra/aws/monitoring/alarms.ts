/**
 * The master tier's alarms as data: for each, the metric (or metric math), threshold, periods and what missing data
 * means. The platform-neutral kinds take their description, criticality and runbook from infra/seaweed/alarms.ts
 * (shared with the Kubernetes PrometheusRule); the AWS-only kinds (NLB, EC2, memory) are written here.
 * docs/monitoring.md explains each one and its first response. The Monitoring component adds the actions.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmThresholds, alarmText, MASTER_SILENT_MINUTES, masterAlarm, MasterAlarmKind } from "../../seaweed/alarms";
import { METRICS } from "../../seaweed/constants";
import { AWS_METRICS, HOST_METRICS, METRIC_NAMESPACE, METRICS_INTERVAL_SECONDS, MonitoredSlot, MonitoredTargetGroup, slotDimensions, statisticOf } from "./metrics";
import { GuardedUnit, HEARTBEAT_HOST, UNIT_RUNNING_METRIC } from "./heartbeat";

/** The alarm kinds, one entry per row of docs/monitoring.md. */
export type AlarmKind =
  | "leader-count"
  | "leader-flapping"
  | "unhealthy-hosts"
  | "healthy-hosts-below-threshold"
  | "status-check-failed"
  | "no-in-service-instance"
  | "master-not-reporting"
  | "data-disk-used"
  | "memory-used"
  | "unit-not-running";

/** The shared kind each CloudWatch kind realises (the others are AWS-only). */
export const SHARED_KINDS: Partial<Record<AlarmKind, MasterAlarmKind>> = {
  "leader-count": "leader-count",
  "leader-flapping": "leader-flapping",
  "healthy-hosts-below-threshold": "masters-below-quorum",
  "master-not-reporting": "slot-down",
  "data-disk-used": "data-disk-used",
};

/** Alarm thresholds and windows, from the stack config (infra/config/keys-monitoring.ts). */
export interface AlarmSettings {
  /** @default 3 */
  leaderCountMinutes: number;
  /** @default 2 */
  leaderChangesMax: number;
  /** @default 15 */
  leaderChangesWindowMinutes: number;
  /** Healthy masters per target group below which the alarm fires (the quorum by default). */
  healthyHostsBelow: number;
  /** @default 0 */
  unhealthyHostsAbove: number;
  /** @default 10 */
  instanceMissingMinutes: number;
  /** @default 80 */
  diskUsedPercent: number;
  /** @default 90 */
  memoryUsedPercent: number;
}

/** One alarm before actions are attached. */
export interface AlarmDefinition {
  kind: AlarmKind;
  /** Suffix of the Pulumi resource name and of the CloudWatch alarm name (after the cluster name). */
  id: string;
  /** The slot it watches, if it watches one. */
  slot?: number;
  /** Whether the "master tier at risk" composite counts it. */
  critical: boolean;
  args: Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmActions" | "okActions" | "tags">;
}

/** The thresholds the shared sentences quote (the healthy-host threshold stands for the quorum). */
function thresholdsOf(s: AlarmSettings): AlarmThresholds {
  return { leaderChangesMax: s.leaderChangesMax, leaderChangesWindowMinutes: s.leaderChangesWindowMinutes, diskUsedPercent: s.diskUsedPercent, quorum: s.healthyHostsBelow };
}

/** Description and criticality of a shared kind, for `subject` (the cluster, or `Slot <n>`). */
function shared(kind: MasterAlarmKind, subject: string, s: AlarmSettings): { critical: boolean; alarmDescription: string } {
  const alarm = masterAlarm(kind);
  return { critical: alarm.critical, alarmDescription: alarmText(subject, alarm.describe(thresholdsOf(s)), alarm.runbook) };
}

/** Per-slot metric-math inputs: one query per slot, not returned, reduced with `stat`. */
function perSlotQueries(prefix: string, clusterName: string, slots: readonly MonitoredSlot[], metricName: string, period: number) {
  return slots.map((s) => ({
    id: `${prefix}${s.slot}`,
    returnData: false,
    metric: { namespace: METRIC_NAMESPACE, metricName, dimensions: slotDimensions(clusterName, s.slot), period, stat: statisticOf(metricName) },
  }));
}

function leaderAlarms(clusterName: string, slots: readonly MonitoredSlot[], s: AlarmSettings): AlarmDefinition[] {
  const leaders = perSlotQueries("leader", clusterName, slots, METRICS.isLeader, METRICS_INTERVAL_SECONDS);
  const window = s.leaderChangesWindowMinutes * 60;
  const changes = perSlotQueries("changes", clusterName, slots, METRICS.leaderChanges, window);
  const list = (queries: { id: string }[]) => `[${queries.map((q) => q.id).join(", ")}]`;
  const count = shared("leader-count", clusterName, s);
  const flapping = shared("leader-flapping", clusterName, s);
  return [
    {
      kind: "leader-count",
      id: "leader-count",
      critical: count.critical,
      args: {
        alarmDescription: count.alarmDescription,
        metricQueries: [
          ...leaders,
          { id: "leaders", expression: `SUM(${list(leaders)})`, label: "masters that are leader", returnData: false },
          { id: "deviation", expression: "ABS(leaders - 1)", label: "leaders - 1 (absolute)", returnData: true },
        ],
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: s.leaderCountMinutes,
        datapointsToAlarm: s.leaderCountMinutes,
        // No is_leader from any slot means no agent and no master is reporting: treat it as no leader.
        treatMissingData: "breaching",
      },
    },
    {
      kind: "leader-flapping",
      id: "leader-flapping",
      critical: flapping.critical,
      args: {
        alarmDescription: flapping.alarmDescription,
        metricQueries: [...changes, { id: "elections", expression: `SUM(${list(changes)})`, label: "leader elections", returnData: true }],
        comparisonOperator: "GreaterThanThreshold",
        threshold: s.leaderChangesMax,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        // Counters only report while scraped; silence is covered by leader-count.
        treatMissingData: "notBreaching",
      },
    },
  ];
}

function loadBalancerAlarms(loadBalancerArnSuffix: pulumi.Input<string>, groups: readonly MonitoredTargetGroup[], s: AlarmSettings): AlarmDefinition[] {
  // The NLB's view of masters-below-quorum: its own sentence (per target group), the shared runbook and criticality.
  const belowQuorum = masterAlarm("masters-below-quorum");
  return groups.flatMap((group): AlarmDefinition[] => {
    const dimensions = { LoadBalancer: loadBalancerArnSuffix, TargetGroup: group.arnSuffix };
    return [
      {
        kind: "unhealthy-hosts",
        id: `${group.name}-unhealthy-hosts`,
        critical: false,
        args: {
          alarmDescription: `More than ${s.unhealthyHostsAbove} master(s) fail the ${group.name} target group's health check (/cluster/healthz answers 503 without a leader). Runbook: docs/runbooks/replace-master.md`,
          namespace: AWS_METRICS.unhealthyHosts.namespace,
          metricName: AWS_METRICS.unhealthyHosts.name,
          dimensions,
          statistic: "Maximum",
          period: 60,
          comparisonOperator: "GreaterThanThreshold",
          threshold: s.unhealthyHostsAbove,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          treatMissingData: "notBreaching",
        },
      },
      {
        kind: "healthy-hosts-below-threshold",
        id: `${group.name}-healthy-hosts-low`,
        critical: belowQuorum.critical,
        args: {
          alarmDescription: `Fewer than ${s.healthyHostsBelow} healthy masters in the ${group.name} target group: one more failure (or none) and raft loses quorum. Runbook: ${belowQuorum.runbook}`,
          namespace: AWS_METRICS.healthyHosts.namespace,
          metricName: AWS_METRICS.healthyHosts.name,
          dimensions,
          // Each load balancer node reports its own view (cross-zone on: every master); the worst node counts.
          statistic: "Minimum",
          period: 60,
          comparisonOperator: "LessThanThreshold",
          threshold: s.healthyHostsBelow,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          // The NLB reports every minute while it exists; silence means it cannot see its targets.
          treatMissingData: "breaching",
        },
      },
    ];
  });
}

export { MASTER_SILENT_MINUTES };

/** Minutes a guarded unit may read not running (or its heartbeat stay silent) before its alarm fires. */
export const UNIT_NOT_RUNNING_MINUTES = 5;

/** Per guarded unit of a slot: its heartbeat reads 0, or nothing, for {@link UNIT_NOT_RUNNING_MINUTES}. */
function unitAlarms(clusterName: string, slot: MonitoredSlot, units: readonly GuardedUnit[]): AlarmDefinition[] {
  return units.map((u) => ({
    kind: "unit-not-running",
    id: `slot-${slot.slot}-${u.label}-not-running`,
    slot: slot.slot,
    critical: false,
    args: {
      alarmDescription: `Slot ${slot.slot}: ${u.unit} has not been running for ${UNIT_NOT_RUNNING_MINUTES} min, or the slot's unit heartbeat (${HEARTBEAT_HOST.timer}) is silent: a boot step that kept failing (the instance's journal, \`journalctl -t seaweedfs-boot\`) or a unit that stopped. The master may be fine, but unguarded. Runbook: docs/runbooks/replace-master.md`,
      namespace: METRIC_NAMESPACE,
      metricName: UNIT_RUNNING_METRIC.name,
      dimensions: { ...slotDimensions(clusterName, slot.slot), [UNIT_RUNNING_METRIC.dimension]: u.label },
      statistic: "Minimum",
      period: 60,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: UNIT_NOT_RUNNING_MINUTES,
      datapointsToAlarm: UNIT_NOT_RUNNING_MINUTES,
      // No heartbeat means nothing says the unit runs: the heartbeat step failed, or the host is gone.
      treatMissingData: "breaching",
    },
  }));
}

function slotAlarms(clusterName: string, slot: MonitoredSlot, s: AlarmSettings): AlarmDefinition[] {
  const group = { AutoScalingGroupName: slot.autoScalingGroupName };
  const host = slotDimensions(clusterName, slot.slot);
  const silent = shared("slot-down", `Slot ${slot.slot}`, s);
  const disk = shared("data-disk-used", `Slot ${slot.slot}`, s);
  return [
    {
      kind: "master-not-reporting",
      id: `slot-${slot.slot}-master-silent`,
      slot: slot.slot,
      critical: silent.critical,
      args: {
        alarmDescription: silent.alarmDescription,
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.isLeader,
        dimensions: host,
        statistic: "SampleCount",
        period: 60,
        comparisonOperator: "LessThanThreshold",
        threshold: 1,
        evaluationPeriods: MASTER_SILENT_MINUTES,
        datapointsToAlarm: MASTER_SILENT_MINUTES,
        // Silence is the failure this alarm exists for.
        treatMissingData: "breaching",
      },
    },
    {
      kind: "status-check-failed",
      id: `slot-${slot.slot}-status-check`,
      slot: slot.slot,
      critical: true,
      args: {
        alarmDescription: `Slot ${slot.slot}: the EC2 instance or system status check fails. Runbook: docs/runbooks/replace-master.md`,
        namespace: AWS_METRICS.statusCheckFailed.namespace,
        metricName: AWS_METRICS.statusCheckFailed.name,
        dimensions: group,
        statistic: "Maximum",
        period: 60,
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        // No instance means no status data; no-in-service-instance covers that case.
        treatMissingData: "notBreaching",
      },
    },
    {
      kind: "no-in-service-instance",
      id: `slot-${slot.slot}-no-instance`,
      slot: slot.slot,
      critical: true,
      args: {
        alarmDescription: `Slot ${slot.slot}: its Auto Scaling group has had no in-service instance for ${s.instanceMissingMinutes} min (a replacement should take a few). Runbook: docs/runbooks/replace-master.md`,
        namespace: AWS_METRICS.inServiceInstances.namespace,
        metricName: AWS_METRICS.inServiceInstances.name,
        dimensions: group,
        statistic: "Minimum",
        period: 60,
        comparisonOperator: "LessThanThreshold",
        threshold: 1,
        evaluationPeriods: s.instanceMissingMinutes,
        datapointsToAlarm: s.instanceMissingMinutes,
        // Group metrics are published every minute while collection is on; silence means the group is gone.
        treatMissingData: "breaching",
      },
    },
    {
      kind: "data-disk-used",
      id: `slot-${slot.slot}-data-disk`,
      slot: slot.slot,
      critical: disk.critical,
      args: {
        alarmDescription: disk.alarmDescription,
        namespace: METRIC_NAMESPACE,
        metricName: HOST_METRICS.dataDiskUsedPercent,
        dimensions: host,
        statistic: "Maximum",
        period: 300,
        comparisonOperator: "GreaterThanThreshold",
        threshold: s.diskUsedPercent,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        // Missing host samples say nothing about the disk; keep the last state.
        treatMissingData: "missing",
      },
    },
    {
      kind: "memory-used",
      id: `slot-${slot.slot}-memory`,
      slot: slot.slot,
      critical: false,
      args: {
        alarmDescription: `Slot ${slot.slot}: memory use above ${s.memoryUsedPercent}% for 15 min; the OOM killer would restart weed. Runbook: docs/runbooks/replace-master.md`,
        namespace: METRIC_NAMESPACE,
        metricName: HOST_METRICS.memoryUsedPercent,
        dimensions: host,
        statistic: "Maximum",
        period: 300,
        comparisonOperator: "GreaterThanThreshold",
        threshold: s.memoryUsedPercent,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: "missing",
      },
    },
  ];
}

/** Every alarm of the master tier, in a stable order. */
export function masterTierAlarms(input: {
  clusterName: string;
  slots: readonly MonitoredSlot[];
  loadBalancerArnSuffix: pulumi.Input<string>;
  targetGroups: readonly MonitoredTargetGroup[];
  settings: AlarmSettings;
  /** Units each slot must keep running, watched through the unit heartbeat. @default [] */
  guardedUnits?: readonly GuardedUnit[];
}): AlarmDefinition[] {
  const slots = [...input.slots].sort((a, b) => a.slot - b.slot);
  return [
    ...leaderAlarms(input.clusterName, slots, input.settings),
    ...loadBalancerAlarms(input.loadBalancerArnSuffix, input.targetGroups, input.settings),
    ...slots.flatMap((slot) => [...slotAlarms(input.clusterName, slot, input.settings), ...unitAlarms(input.clusterName, slot, input.guardedUnits ?? [])]),
  ];
}

/** Every way to pick `size` items of a list, in order. */
export function combinations<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, i) => combinations(items.slice(i + 1), size - 1).map((rest) => [item, ...rest]));
}

/**
 * The "master tier at risk" rule: a critical cluster-wide alarm, or so many slots down that one more failure would
 * lose quorum (at least `max(1, toleratedFailures)` slots). `slotDown` are the per-slot "down" composite names.
 */
export function atRiskRule(criticalAlarmNames: readonly string[], slotDownNames: readonly string[], toleratedFailures: number): string {
  const quote = (name: string) => `ALARM("${name}")`;
  const slotTerms = combinations(slotDownNames, Math.min(slotDownNames.length, Math.max(1, toleratedFailures))).map((combo) =>
    combo.length === 1 ? quote(combo[0]) : `(${combo.map(quote).join(" AND ")})`,
  );
  return [...criticalAlarmNames.map(quote), ...slotTerms].join(" OR ");
}
