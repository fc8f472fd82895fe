/**
 * The Monitoring component of a stack, run under Pulumi's mocks with the stack's real config and stand-in master-tier
 * inputs (Auto Scaling group names, load balancer and target group ARN suffixes, instance role), so its alarms,
 * dashboard, agent config and policies can be asserted without the rest of the tier.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseConfig, projectKeys, PROJECT, SeaweedConfig } from "../../infra/config";
import { Monitoring } from "../../infra/aws/monitoring/monitoring";
import { monitoringSettingsOf } from "../../infra/aws/monitoring/settings";
import { ProgramRun, RecordedResource, runUnderMocks } from "../../tools/lib/mockGraph";
import { readStackConfig } from "../../tools/lib/stackFiles";

export const STAND_IN = {
  asgName: (slot: number) => `asg-slot-${slot}`,
  loadBalancerArnSuffix: "net/masters/0123456789abcdef",
  targetGroups: [
    { name: "http", arnSuffix: "targetgroup/masters-http/0123456789abcdef" },
    { name: "grpc", arnSuffix: "targetgroup/masters-grpc/0123456789abcdef" },
  ],
  instanceRoleName: "masters-role",
  ssmPrefix: (clusterName: string) => `/${PROJECT}/${clusterName}`,
};

export interface MonitoringRun extends ProgramRun {
  config: SeaweedConfig;
  of(type: string): RecordedResource[];
}

/** Runs the stack's Monitoring under mocks; `overrides` replace config keys (without namespace). */
export async function monitoringGraph(stack: string, overrides: Record<string, string> = {}): Promise<MonitoringRun> {
  const stackConfig = readStackConfig(stack);
  const engineConfig = { ...stackConfig.config, ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`${PROJECT}:${k}`, v])) };
  const config = parseConfig(projectKeys(engineConfig), { stack });
  const run = await runUnderMocks(
    async () => {
      const monitoring = new Monitoring(`${config.clusterName}-monitoring`, {
        ...monitoringSettingsOf(config),
        slots: config.topology.slots.map((s) => ({ slot: s.slot, ip: s.ip, autoScalingGroupName: pulumi.output(STAND_IN.asgName(s.slot)) })),
        loadBalancerArnSuffix: pulumi.output(STAND_IN.loadBalancerArnSuffix),
        targetGroups: STAND_IN.targetGroups.map((g) => ({ name: g.name, arnSuffix: pulumi.output(g.arnSuffix) })),
        ssmPrefix: STAND_IN.ssmPrefix(config.clusterName),
        instanceRoleName: pulumi.output(STAND_IN.instanceRoleName),
        tags: config.tagMap,
      });
      return { alarmTopicArn: monitoring.alarmTopic.arn };
    },
    { project: PROJECT, stack, config: engineConfig, secretKeys: stackConfig.secretKeys },
  );
  return { ...run, config, of: (type) => run.resources.filter((r) => r.type === type) };
}

/** An input as recorded, with Pulumi's secret wrapper (if any) removed. */
export function plain<T = unknown>(value: unknown): T {
  if (value && typeof value === "object" && "4dabf18193072939515e22adb298388d" in value) return (value as unknown as { value: T }).value;
  return value as T;
}

interface RecordedQuery {
  id: string;
  expression?: string;
  returnData?: boolean;
  metric?: { namespace: string; metricName: string; dimensions?: Record<string, string>; period: number; stat: string };
}

/** `namespace/metric` of every metric an alarm of the run reads (plain or through metric math). */
export function alarmMetrics(run: MonitoringRun): Set<string> {
  const names = new Set<string>();
  for (const alarm of run.of("aws:cloudwatch/metricAlarm:MetricAlarm")) {
    if (alarm.inputs.metricName) names.add(`${alarm.inputs.namespace}/${alarm.inputs.metricName}`);
    for (const q of (alarm.inputs.metricQueries ?? []) as RecordedQuery[]) if (q.metric) names.add(`${q.metric.namespace}/${q.metric.metricName}`);
  }
  return names;
}

/** The dashboard body of the run, parsed. */
export function dashboardOf(run: MonitoringRun): { widgets: { type: string; x: number; y: number; width: number; height: number; properties: Record<string, unknown> }[] } {
  const [dashboard] = run.of("aws:cloudwatch/dashboard:Dashboard");
  return JSON.parse(String(dashboard.inputs.dashboardBody));
}

/** `namespace/metric` of every metric row of the dashboard. */
export function dashboardMetrics(run: MonitoringRun): Set<string> {
  const names = new Set<string>();
  for (const widget of dashboardOf(run).widgets) {
    for (const row of (widget.properties.metrics ?? []) as unknown[][]) {
      if (typeof row[0] === "string") names.add(`${row[0]}/${String(row[1])}`);
    }
  }
  return names;
}

export type { RecordedQuery };
