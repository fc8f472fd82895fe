/**
 * The master tier's CloudWatch dashboard body: the platform-neutral panels of infra/seaweed/dashboard.ts (leaders,
 * elections, heartbeats, writable volumes) around the AWS-only ones (load-balancer health per target group, disk and
 * memory per slot, the alarm states). Widgets sit on a fixed 3-column grid in a fixed
 * order, so the body only changes when the tier does.
 */
import * as pulumi from "@pulumi/pulumi";
import { METRICS } from "../../seaweed/constants";
import { MasterPanel, masterPanels } from "../../seaweed/dashboard";
import { AWS_METRICS, HOST_METRICS, METRIC_NAMESPACE, METRICS_INTERVAL_SECONDS, MonitoredSlot, MonitoredTargetGroup, statisticOf } from "./metrics";
import { DIMENSION_LABELS } from "./cloudwatch";

const WIDTH = 8;
const HEIGHT = 6;
const COLUMNS = 3;

/** What the dashboard shows. */
export interface DashboardInput {
  clusterName: string;
  region: pulumi.Input<string>;
  slots: readonly MonitoredSlot[];
  loadBalancerArnSuffix: pulumi.Input<string>;
  targetGroups: readonly MonitoredTargetGroup[];
  /** ARNs of the alarms in the alarm-status widget. */
  alarmArns: pulumi.Input<string>[];
  /** The leader-flapping alarm's window: leader elections are charted per window. */
  electionsWindowMinutes: number;
}

type MetricRow = pulumi.Input<string | Record<string, unknown>>[];

interface Widget {
  type: "metric" | "alarm";
  properties: Record<string, unknown>;
}

function slotRow(clusterName: string, metricName: string, slot: number, options: Record<string, unknown>): MetricRow {
  return [METRIC_NAMESPACE, metricName, DIMENSION_LABELS.cluster, clusterName, DIMENSION_LABELS.slot, String(slot), options];
}

function metricWidget(title: string, region: pulumi.Input<string>, metrics: MetricRow[], extra: Record<string, unknown> = {}): Widget {
  return { type: "metric", properties: { title, region, view: "timeSeries", stacked: false, period: METRICS_INTERVAL_SECONDS, metrics, ...extra } };
}

/** One series per slot of a metric in the master namespace. */
function perSlot(input: DashboardInput, title: string, metricName: string, extra: Record<string, unknown> = {}): Widget {
  const rows = input.slots.map((s) => slotRow(input.clusterName, metricName, s.slot, { stat: statisticOf(metricName), label: `slot ${s.slot}` }));
  return metricWidget(title, input.region, rows, extra);
}

/** A per-slot metric summed into one line (the per-slot series are hidden inputs of the expression). */
function summed(input: DashboardInput, title: string, metricName: string, label: string, period: number, extra: Record<string, unknown> = {}): Widget {
  const ids = input.slots.map((s) => `s${s.slot}`);
  const rows: MetricRow[] = input.slots.map((s, i) =>
    slotRow(input.clusterName, metricName, s.slot, { stat: statisticOf(metricName), id: ids[i], visible: false, period }),
  );
  rows.push([{ expression: `SUM([${ids.join(", ")}])`, label, id: "total" }]);
  return metricWidget(title, input.region, rows, { period, ...extra });
}

function perTargetGroup(input: DashboardInput, title: string, metric: { namespace: string; name: string }, stat: string): Widget {
  const rows = input.targetGroups.map((g): MetricRow => [
    metric.namespace,
    metric.name,
    "LoadBalancer",
    input.loadBalancerArnSuffix,
    "TargetGroup",
    g.arnSuffix,
    { stat, label: g.name },
  ]);
  return metricWidget(title, input.region, rows);
}

/**
 * A shared panel as a CloudWatch widget: a `sum` panel is one line summed over the slots (a counter over its increase
 * window as the period), a `perMaster` panel one line per slot with the metric's own statistic.
 */
function sharedWidget(input: DashboardInput, panel: MasterPanel): Widget {
  if (panel.view === "perMaster") return perSlot(input, panel.title, panel.metric);
  const period = panel.increaseMinutes ? panel.increaseMinutes * 60 : METRICS_INTERVAL_SECONDS;
  // A leader count below 0 cannot happen; anchoring the axis there keeps 0 leaders visible as the floor.
  const extra = panel.metric === METRICS.isLeader ? { yAxis: { left: { min: 0 } } } : {};
  return summed(input, panel.title, panel.metric, panel.lineLabel ?? panel.title, period, extra);
}

/** The dashboard's widgets, in display order. */
export function dashboardWidgets(input: DashboardInput): Widget[] {
  const percent = { yAxis: { left: { min: 0, max: 100 } } };
  const panels = masterPanels(input.electionsWindowMinutes);
  // Tier-wide lines first, per-slot panels after the load balancer's: every shared panel appears, in its order.
  const shared = (view: MasterPanel["view"]) => panels.filter((p) => p.view === view).map((p) => sharedWidget(input, p));
  return [
    ...shared("sum"),
    { type: "alarm", properties: { title: "Alarms", alarms: input.alarmArns, sortBy: "stateUpdatedTimestamp" } },
    perTargetGroup(input, "Healthy masters per target group", AWS_METRICS.healthyHosts, "Minimum"),
    perTargetGroup(input, "Unhealthy masters per target group", AWS_METRICS.unhealthyHosts, "Maximum"),
    ...shared("perMaster"),
    perSlot(input, "Data volume used %", HOST_METRICS.dataDiskUsedPercent, percent),
    perSlot(input, "Memory used %", HOST_METRICS.memoryUsedPercent, percent),
  ];
}

/** The dashboard body (JSON), widgets placed row by row on the grid. */
export function dashboardBody(input: DashboardInput): pulumi.Output<string> {
  const widgets = dashboardWidgets(input).map((w, i) => ({
    ...w,
    x: (i % COLUMNS) * WIDTH,
    y: Math.floor(i / COLUMNS) * HEIGHT,
    width: WIDTH,
    height: HEIGHT,
  }));
  return pulumi.jsonStringify({ start: "-PT6H", periodOverride: "inherit", widgets });
}
