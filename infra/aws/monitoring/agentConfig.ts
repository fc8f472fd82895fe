/**
 * The CloudWatch agent configuration of one master slot, rendered by the program and stored in SSM: it scrapes the
 * master's Prometheus endpoint (series from infra/aws/monitoring/cloudwatch.ts, turned into metrics through EMF), samples
 * the data volume and memory, and ships the weed journal. Every series carries the ClusterName and Slot dimensions.
 */
import { DIMENSION_LABELS, exactNames, renderScrapeConfig, SCRAPE_JOB, SCRAPED_METRICS } from "./cloudwatch";
import { HOST_METRICS, METRIC_NAMESPACE, METRICS_INTERVAL_SECONDS, slotDimensions } from "./metrics";
import { HOST_PATHS } from "../host/paths";

/** Files the boot-script fragment writes and the agent reads, on a master host. */
export const AGENT_PATHS = {
  ctl: "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl",
  scrapeConfig: "/opt/aws/amazon-cloudwatch-agent/etc/seaweedfs-prometheus.yaml",
  /** The master's journal, copied by a small systemd unit so the agent (which reads files) can ship it. */
  journalFile: "/var/log/seaweedfs-master/journal.log",
  journalCursor: "/var/lib/seaweedfs-journal-export/cursor",
} as const;

/** The SSM parameters holding one slot's agent config and scrape config. */
export interface AgentParameterNames {
  agentConfig: string;
  scrapeConfig: string;
  /** The agent's setup script (renderAgentSetup), which the boot script fetches and runs. */
  setupScript: string;
}

/**
 * Where a slot's configs live under the stack's SSM prefix. A pure function of the prefix and the slot, so the boot
 * script can name them without waiting for the parameters to exist.
 */
export function agentParameterNames(ssmPrefix: string, slot: number): AgentParameterNames {
  const base = `${ssmPrefix.replace(/\/+$/, "")}/cloudwatch-agent/slot-${slot}`;
  return { agentConfig: `${base}/agent-config`, scrapeConfig: `${base}/prometheus-scrape`, setupScript: `${base}/setup-script` };
}

/** What one slot's agent config depends on. */
export interface AgentConfigInput {
  clusterName: string;
  slot: number;
  ip: string;
  metricsPort: number;
  /** Log group of the weed journal. */
  journalLogGroup: string;
  /** Log group of the EMF events the Prometheus metrics are extracted from. */
  metricsLogGroup: string;
}

/** The EMF declarations: which scraped series become CloudWatch metrics, with which dimensions. */
function metricDeclarations(): object[] {
  const dimensions = [[DIMENSION_LABELS.cluster, DIMENSION_LABELS.slot]];
  const unfiltered = SCRAPED_METRICS.filter((m) => !m.only);
  const filtered = SCRAPED_METRICS.filter((m) => m.only);
  return [
    { source_labels: ["job"], label_matcher: `^${SCRAPE_JOB}$`, dimensions, metric_selectors: [exactNames(unfiltered.map((m) => m.name))] },
    ...filtered.map((m) => ({
      source_labels: ["job", m.only!.label],
      label_matcher: `^${SCRAPE_JOB};${m.only!.value}$`,
      dimensions,
      metric_selectors: [exactNames([m.name])],
    })),
  ];
}

/** The agent's JSON config for one slot (compact: it must fit a standard SSM parameter). */
export function renderAgentConfig(input: AgentConfigInput): string {
  const dimensions = slotDimensions(input.clusterName, input.slot);
  const config = {
    // root: the journal copy lives in a root-only directory.
    agent: { metrics_collection_interval: METRICS_INTERVAL_SECONDS, omit_hostname: true, run_as_user: "root" },
    metrics: {
      namespace: METRIC_NAMESPACE,
      metrics_collected: {
        disk: { resources: [HOST_PATHS.dataRoot], measurement: ["used_percent"], drop_device: true, append_dimensions: dimensions },
        mem: { measurement: ["used_percent"], append_dimensions: dimensions },
      },
      // Publishes disk_used_percent without the agent's path/fstype dimensions, so alarms can name it exactly.
      aggregation_dimensions: [[DIMENSION_LABELS.cluster, DIMENSION_LABELS.slot]],
    },
    logs: {
      force_flush_interval: 15,
      logs_collected: {
        files: {
          collect_list: [
            { file_path: AGENT_PATHS.journalFile, log_group_name: input.journalLogGroup, log_stream_name: `slot-${input.slot}/{instance_id}` },
          ],
        },
      },
      metrics_collected: {
        prometheus: {
          log_group_name: input.metricsLogGroup,
          prometheus_config_path: AGENT_PATHS.scrapeConfig,
          emf_processor: { metric_declaration_dedup: true, metric_namespace: METRIC_NAMESPACE, metric_declaration: metricDeclarations() },
        },
      },
    },
  };
  return JSON.stringify(config);
}

/** The Prometheus scrape config for one slot (YAML), which the agent reads from {@link AGENT_PATHS.scrapeConfig}. */
export function renderAgentScrapeConfig(input: Pick<AgentConfigInput, "clusterName" | "slot" | "ip" | "metricsPort">): string {
  return renderScrapeConfig({ ...input, intervalSeconds: METRICS_INTERVAL_SECONDS });
}

/** The metric names the agent config publishes into {@link METRIC_NAMESPACE}. */
export function agentPublishedMetricNames(): string[] {
  return [...SCRAPED_METRICS.map((m) => m.name), ...Object.values(HOST_METRICS)];
}
