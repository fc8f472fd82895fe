/**
 * Prometheus Operator objects for the master tier (optional, `k8sPrometheusOperator`: their CRDs may be absent): a
 * PodMonitor scraping each master's metrics port, a PrometheusRule raising the alarm kinds of
 * infra/seaweed/alarms.ts with the thresholds of the stack's alarm keys, and a Grafana dashboard ConfigMap (for the
 * Grafana sidecar) with the panels of infra/seaweed/dashboard.ts. Metric names come from infra/seaweed.
 */
import type { KubernetesConfig } from "../config";
import { alarmText, MASTER_ALARMS, MASTER_SILENT_MINUTES, MasterAlarmKind } from "../seaweed/alarms";
import { backupAgeLimitMinutes } from "../seaweed/backup";
import { masterPanels } from "../seaweed/dashboard";
import { METRICS } from "../seaweed/constants";
import { quorumOf } from "../seaweed/quorum";
import { BACKUP_METRICS, backupsEnabled } from "./backup";
import { Manifest, object } from "./manifests";
import { masterNames } from "./names";

/** The scrape job's label on every series; PromQL below selects by it. */
export function scrapeJob(config: KubernetesConfig): string {
  return masterNames(config).statefulSet;
}

export function podMonitor(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  return object(config, "monitoring.coreos.com/v1", "PodMonitor", names.statefulSet, {
    selector: { matchLabels: names.selector },
    podMetricsEndpoints: [
      { port: "metrics", path: "/metrics", interval: "15s", relabelings: [{ targetLabel: "job", replacement: scrapeJob(config) }] },
      // The backup sidecar's own endpoint (infra/kubernetes/backup.ts): the backup-age alert reads it.
      ...(backupsEnabled(config) ? [{ port: BACKUP_METRICS.portName, path: "/metrics", interval: "60s", relabelings: [{ targetLabel: "job", replacement: scrapeJob(config) }] }] : []),
    ],
  });
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
      return { expr: `up${series} == 0`, for: `${MASTER_SILENT_MINUTES}m` };
    case "data-disk-used":
      return {
        expr: `100 * kubelet_volume_stats_used_bytes{namespace="${names.namespace}", persistentvolumeclaim=~"data-${names.statefulSet}-[0-9]+"} / kubelet_volume_stats_capacity_bytes > ${config.alarmDiskUsedPercent}`,
        for: "5m",
      };
  }
}

export function prometheusRule(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  const thresholds = {
    leaderChangesMax: config.alarmLeaderChangesMax,
    leaderChangesWindowMinutes: config.alarmLeaderChangesWindowMinutes,
    diskUsedPercent: config.alarmDiskUsedPercent,
    quorum: quorumOf(config.masterCount),
  };
  const rules = MASTER_ALARMS.map((alarm) => ({
    alert: `SeaweedFSMaster${alarm.kind.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
    ...ruleOf(alarm.kind, config),
    // A slot's alarm pages only through masters-below-quorum, the tier-wide form of "too many slots down".
    labels: { severity: alarm.critical && alarm.scope === "cluster" ? "critical" : "warning", kind: alarm.kind },
    annotations: {
      summary: alarmText(alarm.scope === "slot" ? `${config.clusterName} {{ $labels.pod }}{{ $labels.persistentvolumeclaim }}` : config.clusterName, alarm.describe(thresholds), alarm.runbook),
      runbook: alarm.runbook,
    },
  }));
  const backupRules = backupsEnabled(config) ? [backupAgeRule(config)] : [];
  return object(config, "monitoring.coreos.com/v1", "PrometheusRule", names.statefulSet, { groups: [{ name: `${names.statefulSet}.rules`, rules: [...rules, ...backupRules] }] });
}

/**
 * The backup-age alert, as the AWS tier's CloudWatch alarm: no successful backup for backupAgeLimitMinutes. The age
 * counts from the newest upload any sidecar recorded, or before the first one from the newest sidecar start (a new
 * stack is not late at once); with no sidecar scraped at all (exporters down) it fires too.
 */
function backupAgeRule(config: KubernetesConfig): Record<string, unknown> {
  const series = `{namespace="${masterNames(config).namespace}", job="${scrapeJob(config)}"}`;
  const limitMinutes = backupAgeLimitMinutes(config.backupIntervalMinutes);
  const runbook = "docs/runbooks/restore.md";
  return {
    alert: "SeaweedFSMasterBackupAge",
    expr: `time() - (max(${BACKUP_METRICS.lastSuccess}${series}) or max(${BACKUP_METRICS.started}${series})) > ${limitMinutes * 60} or absent(${BACKUP_METRICS.started}${series})`,
    for: "5m",
    labels: { severity: "warning", kind: "backup-age" },
    annotations: {
      summary: alarmText(config.clusterName, `no successful metadata backup for ${limitMinutes} min (twice backupIntervalMinutes), or no backup sidecar scraped.`, runbook),
      runbook,
    },
  };
}

/** The label the Grafana sidecar (kube-prometheus-stack) loads dashboards from. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" };

/** The dashboard JSON: one time-series panel per master panel, two per row, plus the tier's firing alerts. */
export function grafanaDashboard(config: KubernetesConfig): Record<string, unknown> {
  const names = masterNames(config);
  const series = `{namespace="${names.namespace}", job="${scrapeJob(config)}"}`;
  const panels = masterPanels(config.alarmLeaderChangesWindowMinutes).map((panel, i) => {
    const value = panel.increaseMinutes ? `increase(${panel.metric}${series}[${panel.increaseMinutes}m])` : `${panel.metric}${series}`;
    const expr = panel.view === "sum" ? `sum(${value})` : `sum by (pod) (${value})`;
    return { id: i + 1, type: "timeseries", title: panel.title, gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 }, targets: [{ expr, legendFormat: panel.view === "sum" ? panel.title : "{{pod}}" }] };
  });
  const alerts = { id: panels.length + 1, type: "alertlist", title: "Alerts", gridPos: { x: 0, y: Math.ceil(panels.length / 2) * 8, w: 24, h: 6 }, options: { alertName: "SeaweedFSMaster" } };
  return { title: `SeaweedFS masters ${config.clusterName} (${names.namespace})`, uid: `seaweedfs-${names.namespace}-${config.clusterName}`.slice(0, 40), schemaVersion: 39, time: { from: "now-6h", to: "now" }, panels: [...panels, alerts] };
}

export function grafanaDashboardConfigMap(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${names.statefulSet}-dashboard`, namespace: names.namespace, labels: { ...names.labels, ...GRAFANA_DASHBOARD_LABEL } },
    data: { "seaweedfs-masters.json": JSON.stringify(grafanaDashboard(config)) },
  };
}
