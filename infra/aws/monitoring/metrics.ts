/**
 * The CloudWatch side of the metrics: the one namespace the masters publish into, its dimensions, the host metrics
 * the agent adds, and the AWS-published metrics the alarms read. Alarms, dashboard and tests take names from here.
 */
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMESPACE, SCRAPED_METRICS } from "./cloudwatch";

// Kept in ./cloudwatch.ts (no Pulumi imports) so that the policy pack can replay alarms on the published series.
export { METRIC_NAMESPACE, METRICS_INTERVAL_SECONDS, slotDimensions } from "./cloudwatch";

/** Host metrics the agent collects, named as CloudWatch receives them (plugin + measurement). */
export const HOST_METRICS = {
  /** Used percent of the data volume (mounted at HOST_PATHS.dataRoot). */
  dataDiskUsedPercent: "disk_used_percent",
  memoryUsedPercent: "mem_used_percent",
} as const;

/**
 * Days until a master's TLS certificate expires, published hourly per slot by the host itself
 * (infra/aws/host/tlsExpiry.ts) when the stack runs mutual TLS.
 */
export const TLS_EXPIRY_METRIC = "TlsCertificateDaysToExpiry";

/** Metrics AWS publishes by itself, which the alarms and dashboard read. */
export const AWS_METRICS = {
  healthyHosts: { namespace: "AWS/NetworkELB", name: "HealthyHostCount" },
  unhealthyHosts: { namespace: "AWS/NetworkELB", name: "UnHealthyHostCount" },
  statusCheckFailed: { namespace: "AWS/EC2", name: "StatusCheckFailed" },
  inServiceInstances: { namespace: "AWS/AutoScaling", name: "GroupInServiceInstances" },
} as const;

/** The metric the unit heartbeat publishes (infra/aws/monitoring/heartbeat.ts, which renders it from here). */
export const UNIT_RUNNING = "UnitRunning";

/** Every `namespace/metric` pair an alarm or the dashboard may reference: what the pipeline and AWS publish. */
export const PUBLISHED_METRICS: ReadonlySet<string> = new Set([
  ...SCRAPED_METRICS.map((m) => `${METRIC_NAMESPACE}/${m.name}`),
  ...Object.values(HOST_METRICS).map((name) => `${METRIC_NAMESPACE}/${name}`),
  `${METRIC_NAMESPACE}/${TLS_EXPIRY_METRIC}`,
  `${METRIC_NAMESPACE}/${UNIT_RUNNING}`,
  ...Object.values(AWS_METRICS).map((m) => `${m.namespace}/${m.name}`),
]);

/** How a series is reduced over a period: gauges by their worst value, counters (per-scrape deltas) by their sum. */
export function statisticOf(metricName: string): "Maximum" | "Sum" {
  const scraped = SCRAPED_METRICS.find((m) => m.name === metricName);
  return scraped?.kind === "counter" ? "Sum" : "Maximum";
}

/** One slot as monitoring sees it. */
export interface MonitoredSlot {
  slot: number;
  /** The master's fixed private IP (its `-ip`), where `/metrics` listens. */
  ip: string;
  /** The slot's Auto Scaling group (size 1). */
  autoScalingGroupName: pulumi.Input<string>;
}

/** A target group of the masters' load balancer. */
export interface MonitoredTargetGroup {
  /** Short name used in alarm and widget names, e.g. `http` or `grpc`. */
  name: string;
  /** The target group's `arnSuffix` (the CloudWatch `TargetGroup` dimension). */
  arnSuffix: pulumi.Input<string>;
}
