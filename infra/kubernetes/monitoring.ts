/**
 * Prometheus Operator objects for the master tier (optional, `k8sPrometheusOperator`: their CRDs may be absent): a
 * PodMonitor scraping each master's metrics port and a PrometheusRule raising the alarm kinds of
 * infra/seaweed/alarms.ts with the thresholds of the stack's alarm keys. Metric names come from infra/seaweed.
 */
import type { KubernetesConfig } from "../config";
import { MASTER_ALARMS, MasterAlarmKind } from "../seaweed/alarms";
import { METRICS } from "../seaweed/constants";
import { quorumOf } from "../seaweed/quorum";
import type { Manifest } from "./manifests";
import { masterNames } from "./names";

/** The scrape job's label on every series; PromQL below selects by it. */
export function scrapeJob(config: KubernetesConfig): string {
  return `${masterNames(config).statefulSet}`;
}

export function podMonitor(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: names.statefulSet, namespace: names.namespace, labels: names.labels },
    spec: {
      selector: { matchLabels: names.selector },
      podMetricsEndpoints: [{ port: "metrics", path: "/metrics", interval: "15s", relabelings: [{ targetLabel: "job", replacement: scrapeJob(config) }] }],
    },
  };
}

/** The PromQL of each alarm kind and how long it must hold. */
function ruleOf(kind: MasterAlarmKind, config: KubernetesConfig): { expr: string; for: string } {
  const names = masterNames(config);
  const series = `{namespace="${names.namespace}", job="${scrapeJob(config)}"}`;
  switch (kind) {
    case "leader-count":
      return { expr: `(sum(${METRICS.isLeader}${series}) or vector(0)) != 1`, for: `${config.alarmLeaderCountMinutes}m` };
    case "leader-flapping":
      return { expr: `sum(increase(${METRICS.leaderChanges}${series}[${config.alarmLeaderChangesWindowMinutes}m])) > ${config.alarmLeaderChangesMax}`, for: "0m" };
    case "masters-below-quorum":
      return { expr: `(count(up${series} == 1) or vector(0)) < ${quorumOf(config.masterCount)}`, for: "1m" };
    case "slot-down":
      return { expr: `up${series} == 0`, for: "2m" };
    case "data-disk-used":
      return {
        expr: `100 * kubelet_volume_stats_used_bytes{namespace="${names.namespace}", persistentvolumeclaim=~"data-${names.statefulSet}-[0-9]+"} / kubelet_volume_stats_capacity_bytes > ${config.alarmDiskUsedPercent}`,
        for: "5m",
      };
  }
}

export function prometheusRule(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: names.statefulSet, namespace: names.namespace, labels: names.labels },
    spec: {
      groups: [
        {
          name: `${names.statefulSet}.rules`,
          rules: MASTER_ALARMS.map((alarm) => ({
            alert: `SeaweedFSMaster${alarm.kind.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
            ...ruleOf(alarm.kind, config),
            labels: { severity: alarm.critical ? "critical" : "warning", kind: alarm.kind },
            annotations: { summary: `${config.clusterName}: ${alarm.summary}`, runbook: alarm.runbook },
          })),
        },
      ],
    },
  };
}
