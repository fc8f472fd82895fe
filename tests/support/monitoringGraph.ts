/**
 * A stack's program run under Pulumi's mocks (config overrides allowed), with helpers to read the Monitoring
 * component's alarms, dashboard, agent config and policies from the recorded graph.
 */
import { projectKeys, PROJECT } from "../../infra/config";
import { parseConfig, SeaweedConfig } from "../../infra/platforms";
import { ProgramRun, RecordedResource, runUnderMocks } from "../../tools/lib/mockGraph";
import { readStackConfig } from "../../tools/lib/stackFiles";
import program = require("../../infra/index");

/** The load balancer's target groups as the monitoring names them. */
export const TARGET_GROUPS = ["http", "grpc"];

export interface MonitoringRun extends ProgramRun {
  config: SeaweedConfig;
  /** Every resource of a type in the stack. */
  of(type: string): RecordedResource[];
  /** The resources of a type that the Monitoring component registered. */
  mine(type: string): RecordedResource[];
}

const runs = new Map<string, Promise<MonitoringRun>>();

/** Runs the stack's program under mocks (once per stack and overrides); `overrides` replace config keys (without namespace). */
export function monitoringGraph(stack: string, overrides: Record<string, string> = {}): Promise<MonitoringRun> {
  const key = JSON.stringify([stack, overrides]);
  if (!runs.has(key)) runs.set(key, runGraph(stack, overrides));
  return runs.get(key)!;
}

async function runGraph(stack: string, overrides: Record<string, string>): Promise<MonitoringRun> {
  const stackConfig = readStackConfig(stack);
  const engineConfig = { ...stackConfig.config, ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`${PROJECT}:${k}`, v])) };
  const config = parseConfig(projectKeys(engineConfig), { stack });
  const run = await runUnderMocks(program, { project: PROJECT, stack, config: engineConfig, secretKeys: stackConfig.secretKeys });
  const of = (type: string) => run.resources.filter((r) => r.type === type);
  return { ...run, config, of, mine: (type) => of(type).filter((r) => r.parentUrn?.includes("seaweed:aws:Monitoring::")) };
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
  for (const alarm of run.mine("aws:cloudwatch/metricAlarm:MetricAlarm")) {
    if (alarm.inputs.metricName) names.add(`${alarm.inputs.namespace}/${alarm.inputs.metricName}`);
    for (const q of (alarm.inputs.metricQueries ?? []) as RecordedQuery[]) if (q.metric) names.add(`${q.metric.namespace}/${q.metric.metricName}`);
  }
  return names;
}

/** The dashboard body of the run, parsed. */
export function dashboardOf(run: MonitoringRun): { widgets: { type: string; x: number; y: number; width: number; height: number; properties: Record<string, unknown> }[] } {
  const [dashboard] = run.mine("aws:cloudwatch/dashboard:Dashboard");
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
