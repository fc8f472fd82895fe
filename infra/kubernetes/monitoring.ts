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
import { labelMap } from "./labels";
import { Manifest, object } from "./manifests";
import { masterNames } from "./names";

/**
 * The masters' scrape job, the `job` label of every series of their metrics port; the master rules select by it. Only
 * masters carry it: an `up` of this job is a master's, so the quorum and slot rules count masters and nothing else.
 */
export function scrapeJob(config: KubernetesConfig): string {
  return masterNames(config).statefulSet;
}

/** The backup sidecars' scrape job (their own metrics port): only the backup-age rule reads it. */
export function backupScrapeJob(config: KubernetesConfig): string {
  return `${masterNames(config).statefulSet}-backup`;
}

/** How often Prometheus scrapes a master; the leader-flapping rule steps its subquery by it. */
export const MASTER_SCRAPE_SECONDS = 15;

/** The PodMonitor and PrometheusRule carry k8sMonitoringLabels, which the Prometheus Operator selects them by. */
function monitoringObject(config: KubernetesConfig, kind: string, spec: Manifest): Manifest {
  const manifest = object(config, "monitoring.coreos.com/v1", kind, masterNames(config).statefulSet, spec) as Manifest & { metadata: { labels: Record<string, string> } };
  return { ...manifest, metadata: { ...manifest.metadata, labels: { ...manifest.metadata.labels, ...labelMap(config.k8sMonitoringLabels) } } };
}

export function podMonitor(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  return monitoringObject(config, "PodMonitor", {
    selector: { matchLabels: names.selector },
    podMetricsEndpoints: [
      { port: "metrics", path: "/metrics", interval: `${MASTER_SCRAPE_SECONDS}s`, relabelings: [{ targetLabel: "job", replacement: scrapeJob(config) }] },
      // The backup sidecar's own endpoint (infra/kubernetes/backup.ts), a job of its own: the backup-age alert reads it.
      ...(backupsEnabled(config) ? [{ port: BACKUP_METRICS.portName, path: "/metrics", interval: "60s", relabelings: [{ targetLabel: "job", replacement: backupScrapeJob(config) }] }] : []),
    ],
  });
}

/**
 * The number of times a master became leader within `minutes`: the rising edges of each pod's is_leader, one per
 * scrape step. Not `increase(leader_changes)`: SeaweedFS counts a term only on the master that wins it, in a series
 * labelled with that master's address that starts at 1, and `increase` never sees a series' first sample, so a master
 * winning its first term (after every restart) counted nothing. A pod whose is_leader series starts at 1 (a
 * restarted pod elected before its first scrape) counts too: nothing was 1 a step before; so does, once, the leader
 * a restarted Prometheus first sees (on the safe side: one more election in the window). `max by (pod)` joins the
 * series of a pod across restarts (a new pod IP is a new instance label).
 */
function leaderElections(series: string, minutes: number): string {
  const leading = (offset: string) => `max by (pod) (${METRICS.isLeader}${series}${offset}) == 1`;
  return `(sum(count_over_time((${leading("")} unless ${leading(` offset ${MASTER_SCRAPE_SECONDS}s`)})[${minutes}m:${MASTER_SCRAPE_SECONDS}s])) or vector(0))`;
}

/** The PromQL of each alarm kind and how long it must hold. */
function ruleOf(kind: MasterAlarmKind, config: KubernetesConfig): { expr: string; for: string } {
  const names = masterNames(config);
  const series = `{namespace="${names.namespace}", job="${scrapeJob(config)}"}`;
  switch (kind) {
    case "leader-count":
      return { expr: `(sum(${METRICS.isLeader}${series}) or vector(0)) != 1`, for: `${config.alarmLeaderCountMinutes}m` };
    case "leader-flapping":
      return { expr: `${leaderElections(series, config.alarmLeaderChangesWindowMinutes)} > ${config.alarmLeaderChangesMax}`, for: "0m" };
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
  return monitoringObject(config, "PrometheusRule", { groups: [{ name: `${names.statefulSet}.rules`, rules: [...rules, ...backupRules] }] });
}

/**
 * The backup-age alert, as the AWS tier's CloudWatch alarm: no successful backup for backupAgeLimitMinutes. The age
 * counts from the newest upload any sidecar recorded, or before the first one from the newest sidecar start (a new
 * stack is not late at once); with no sidecar scraped at all (exporters down) it fires too.
 */
function backupAgeRule(config: KubernetesConfig): Record<string, unknown> {
  const series = `{namespace="${masterNames(config).namespace}", job="${backupScrapeJob(config)}"}`;
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
    // Elections are counted as the flapping alert counts them (see leaderElections), not by increase(leader_changes).
    const value = panel.metric === METRICS.leaderChanges && panel.increaseMinutes ? leaderElections(series, panel.increaseMinutes)
      : panel.increaseMinutes ? `increase(${panel.metric}${series}[${panel.increaseMinutes}m])` : `${panel.metric}${series}`;
    const expr = panel.view === "sum" ? `sum(${value})` : `sum by (pod) (${value})`;
    return { id: i + 1, type: "timeseries", title: panel.title, gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 }, targets: [{ expr, legendFormat: panel.view === "sum" ? panel.title : "{{pod}}" }] };
  });
  const alerts = { id: panels.length + 1, type: "alertlist", title: "Alerts", gridPos: { x: 0, y: Math.ceil(panels.length / 2) * 8, w: 24, h: 6 }, options: { alertName: "SeaweedFSMaster" } };
  return { title: `SeaweedFS masters ${config.clusterName} (${names.namespace})`, uid: `seaweedfs-${names.namespace}-${config.clusterName}`.slice(0, 40), schemaVersion: 39, time: { from: "now-6h", to: "now" }, panels: [...panels, alerts] };
}

/** Where the dashboard ConfigMap goes: k8sDashboardNamespace, by default the monitoring namespace (Grafana's). */
export function dashboardNamespace(config: KubernetesConfig): string {
  return config.k8sDashboardNamespace || config.k8sMonitoringNamespace;
}

/**
 * The dashboard ConfigMap, in Grafana's namespace: kube-prometheus-stack's Grafana sidecar loads labelled
 * ConfigMaps from its own namespace only unless told to search others (sidecar.dashboards.searchNamespace).
 */
export function grafanaDashboardConfigMap(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${names.statefulSet}-${names.namespace}-dashboard`, namespace: dashboardNamespace(config), labels: { ...names.labels, ...GRAFANA_DASHBOARD_LABEL } },
    data: { "seaweedfs-masters.json": JSON.stringify(grafanaDashboard(config)) },
  };
}
