/**
 * What a metrics pipeline must know about a master's Prometheus endpoint: which series to keep, whether each is a
 * gauge or a counter, and which label selects the meaningful series. The CloudWatch agent's scrape config and EMF
 * declarations (infra/aws/monitoring) are rendered from this table; the monitoring drill proves every name here is
 * exposed by real 4.44 masters.
 */
import { ENDPOINTS, METRICS } from "../../seaweed/constants";

/** One master series the pipeline publishes. */
export interface ScrapedMetric {
  name: string;
  /**
   * A gauge is published as scraped. A counter arrives as the delta since the previous scrape (the CloudWatch agent
   * drops a series' first sample), so sum it over time; never take its maximum.
   */
  kind: "gauge" | "counter";
  /** Only the series whose label has this value is published (e.g. the `total` heartbeat counter). */
  only?: { label: string; value: string };
  /** What it tells an operator. */
  meaning: string;
  /**
   * When a master first exposes the series: at start (every master), on winning an election, once volume servers
   * heartbeat to the leader, or on the leader's volume-grow pass, which runs 5 to 5.5 minutes after it took over.
   */
  appears: "start" | "election" | "heartbeats" | "growPass";
}

/**
 * The series the alarms and the dashboard read. Labelled series only appear once something sets them (see
 * `appears`). Followers keep `is_leader` at 0; the leader sets it to 1 on a 5 s tick while a client is connected,
 * so a new leader reports 1 about 6 s after a failover.
 */
export const SCRAPED_METRICS: readonly ScrapedMetric[] = [
  { name: METRICS.isLeader, kind: "gauge", appears: "start", meaning: "1 on the raft leader, 0 on followers: summed over every master it must be exactly 1" },
  { name: METRICS.leaderChanges, kind: "counter", appears: "election", meaning: "leader elections won by this master (hashicorp raft: only the winner counts); label type = new leader address" },
  { name: METRICS.receivedHeartbeats, kind: "counter", only: { label: "type", value: "total" }, appears: "heartbeats", meaning: "volume-server heartbeats received by the leader; zero on a leader means volume servers cannot reach it" },
  { name: METRICS.volumeLayoutWritable, kind: "gauge", appears: "growPass", meaning: "writable volumes per collection/replication layout, as the leader sees them; zero means writes will fail" },
  { name: METRICS.pickForWriteError, kind: "counter", appears: "start", meaning: "assignments the leader could not place on a writable volume" },
];

/** The Prometheus job name every scrape target carries; EMF declarations select on it. */
export const SCRAPE_JOB = "seaweedfs-master";

/** The labels a scrape target adds to every series, which become the CloudWatch dimensions. */
export const DIMENSION_LABELS = { cluster: "ClusterName", slot: "Slot" } as const;

/** The namespace of every metric the masters' CloudWatch agent publishes (SeaweedFS series and host metrics). */
export const METRIC_NAMESPACE = "SeaweedFS/Master";

/** Seconds between two scrapes or host samples; every alarm period is a multiple of it. */
export const METRICS_INTERVAL_SECONDS = 60;

/** The dimensions of one slot's series in {@link METRIC_NAMESPACE}. */
export function slotDimensions(clusterName: string, slot: number): Record<string, string> {
  return { [DIMENSION_LABELS.cluster]: clusterName, [DIMENSION_LABELS.slot]: String(slot) };
}

/** One master's scrape target. */
export interface ScrapeTarget {
  clusterName: string;
  slot: number;
  /** The master's `-ip`: SeaweedFS binds `/metrics` to `-metricsIp`, which falls back to `-ip`, not to loopback. */
  ip: string;
  metricsPort: number;
  /** Seconds between scrapes. */
  intervalSeconds: number;
}

function yamlString(value: string): string {
  return JSON.stringify(value);
}

/** A Prometheus regex matching exactly the given names. */
export function exactNames(names: readonly string[]): string {
  return `^(${names.join("|")})$`;
}

/**
 * The Prometheus scrape config (YAML) for one master: its own `/metrics`, the cluster and slot labels, and a
 * relabel rule that keeps only {@link SCRAPED_METRICS}, so nothing else is shipped or billed.
 */
export function renderScrapeConfig(target: ScrapeTarget): string {
  const keep = exactNames(SCRAPED_METRICS.map((m) => m.name));
  return `global:
  scrape_interval: ${target.intervalSeconds}s
  scrape_timeout: ${Math.min(10, target.intervalSeconds)}s
scrape_configs:
  - job_name: ${SCRAPE_JOB}
    metrics_path: ${ENDPOINTS.metrics}
    static_configs:
      - targets: [${yamlString(`${target.ip}:${target.metricsPort}`)}]
        labels:
          ${DIMENSION_LABELS.cluster}: ${yamlString(target.clusterName)}
          ${DIMENSION_LABELS.slot}: ${yamlString(String(target.slot))}
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: ${yamlString(keep)}
        action: keep
`;
}

/** One parsed sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (enough of it for SeaweedFS' `/metrics`: no escaped quotes in labels). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || line.startsWith("#")) continue;
    const labels: Record<string, string> = {};
    for (const [, label, value] of (match[2] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"/g)) labels[label] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}
