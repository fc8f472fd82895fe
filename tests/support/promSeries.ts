/**
 * Prometheus scrapes written out as `promtool test rules` input series: per scrape step, each master's recorded
 * `/metrics` exposition (tests/support/fixtures/master-metrics.json, from real SeaweedFS masters) or nothing when it
 * is down, and each backup exporter up or down. What Prometheus itself adds is added the way it does: `up` per target
 * (1 after a good scrape, 0 after a failed one), the target's labels on every series, and a staleness marker on every
 * series of a target in the first scrape that misses it.
 */
import { parseExposition } from "../../infra/aws/monitoring/cloudwatch";

/** One scrape of the whole tier: a master's exposition (null: down), and whether each backup exporter answers. */
export interface ScrapeStep {
  masters: readonly (string | null)[];
  exporters: readonly boolean[];
}

/** The target labels of one pod's endpoint, as a PodMonitor gives them (namespace, job, pod, instance). */
export interface TargetLabels {
  master: (slot: number) => Record<string, string>;
  exporter: (slot: number) => Record<string, string>;
}

/** The sidecar's start gauge (infra/kubernetes/backup.ts), which an exporter that answers always serves. */
const SIDECAR_STARTED = "seaweedfs_master_backup_sidecar_start_timestamp_seconds";

function seriesName(name: string, labels: Record<string, string>): string {
  const inner = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`)
    .join(", ");
  return `${name}{${inner}}`;
}

/** The input series of `steps` (one value per step; `_` where a series has no sample). */
export function inputSeries(steps: readonly ScrapeStep[], targets: TargetLabels): { series: string; values: string }[] {
  const values = new Map<string, (number | undefined)[]>();
  const set = (series: string, step: number, value: number) => {
    if (!values.has(series)) values.set(series, Array.from({ length: steps.length }, () => undefined));
    values.get(series)![step] = value;
  };
  steps.forEach((step, i) => {
    step.masters.forEach((exposition, slot) => {
      const target = targets.master(slot);
      set(seriesName("up", target), i, exposition === null ? 0 : 1);
      for (const sample of exposition === null ? [] : parseExposition(exposition)) set(seriesName(sample.name, { ...sample.labels, ...target }), i, sample.value);
    });
    step.exporters.forEach((answers, slot) => {
      const target = targets.exporter(slot);
      set(seriesName("up", target), i, answers ? 1 : 0);
      if (answers) set(seriesName(SIDECAR_STARTED, target), i, 0);
    });
  });
  return [...values].map(([series, row]) => ({
    series,
    // A series missing right after a sample: the scrape that missed it wrote a staleness marker.
    values: row.map((v, i) => (v !== undefined ? String(v) : i > 0 && row[i - 1] !== undefined ? "stale" : "_")).join(" "),
  }));
}
