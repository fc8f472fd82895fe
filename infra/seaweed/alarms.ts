/**
 * The alarm kinds every platform raises about a master tier: what each means (one sentence, with the thresholds of
 * the stack), whether it puts the tier at risk, and where its runbook is. The CloudWatch alarms
 * (infra/aws/monitoring/alarms.ts) and the Kubernetes PrometheusRule (infra/kubernetes/monitoring.ts) both take
 * their descriptions, criticality and runbooks from this table; each adds its own query and AWS adds AWS-only kinds
 * (NLB hosts, EC2 status checks, memory).
 */
import { METRICS } from "./constants";

/** Platform-neutral alarm kinds. */
export type MasterAlarmKind = "leader-count" | "leader-flapping" | "masters-below-quorum" | "slot-down" | "data-disk-used";

/**
 * Minutes without a single `SeaweedFS_master_is_leader` sample from a slot before its master counts as down. Every
 * master (leader or not) reports it each scrape, so silence means no running, scraped master: a boot that failed or
 * still waits for its predecessor, a crash-looping weed, or a dead agent.
 */
export const MASTER_SILENT_MINUTES = 3;

/** The stack's thresholds the sentences quote. */
export interface AlarmThresholds {
  leaderChangesMax: number;
  leaderChangesWindowMinutes: number;
  diskUsedPercent: number;
  /** Raft quorum of the tier. */
  quorum: number;
}

export interface MasterAlarm {
  kind: MasterAlarmKind;
  /** A tier-wide alarm, or one per master slot. */
  scope: "cluster" | "slot";
  /** What fired and why it matters, one sentence; the platform prefixes the cluster or the slot. */
  describe(t: AlarmThresholds): string;
  /** The first response. */
  runbook: string;
  /**
   * Counts toward "the master tier is at risk". A cluster-wide critical alarm pages on its own; a slot's counts once
   * enough slots are down that one more failure would lose quorum.
   */
  critical: boolean;
}

export const MASTER_ALARMS: readonly MasterAlarm[] = [
  {
    kind: "leader-count",
    scope: "cluster",
    describe: () => `the number of masters reporting ${METRICS.isLeader} = 1 is not exactly 1 (0: no quorum, writes and assignments fail; 2+: split brain).`,
    runbook: "docs/runbooks/lost-quorum.md",
    critical: true,
  },
  {
    kind: "leader-flapping",
    scope: "cluster",
    describe: (t) => `more than ${t.leaderChangesMax} leader elections within ${t.leaderChangesWindowMinutes} min (${METRICS.leaderChanges} summed over every slot).`,
    runbook: "docs/runbooks/lost-quorum.md",
    critical: false,
  },
  {
    kind: "masters-below-quorum",
    scope: "cluster",
    describe: (t) => `fewer than ${t.quorum} masters are up and healthy: one more failure (or none) and raft loses quorum.`,
    runbook: "docs/runbooks/lost-quorum.md",
    critical: true,
  },
  {
    kind: "slot-down",
    scope: "slot",
    describe: () => `no ${METRICS.isLeader} sample for ${MASTER_SILENT_MINUTES} min: its master is not running (failed or waiting boot, crash loop) or not scraped.`,
    runbook: "docs/runbooks/replace-master.md",
    critical: true,
  },
  {
    kind: "data-disk-used",
    scope: "slot",
    describe: (t) => `the data volume (raft state) is more than ${t.diskUsedPercent}% full; a full volume stops the master.`,
    runbook: "docs/runbooks/replace-master.md",
    critical: false,
  },
];

/** The shared definition of a kind. */
export function masterAlarm(kind: MasterAlarmKind): MasterAlarm {
  return MASTER_ALARMS.find((a) => a.kind === kind)!;
}

/** `<subject>: <sentence> Runbook: <path>`, the description both platforms show. */
export function alarmText(subject: string, sentence: string, runbook: string): string {
  return `${subject}: ${sentence} Runbook: ${runbook}`;
}
