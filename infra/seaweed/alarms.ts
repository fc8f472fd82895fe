/**
 * The alarm kinds every platform raises about a master tier, with what each means and where its runbook is. The
 * Kubernetes PrometheusRule is rendered from this table; the CloudWatch alarms (infra/aws/monitoring/alarms.ts)
 * carry the same kinds plus AWS-only ones (NLB hosts, EC2 status checks, memory).
 */

/** Platform-neutral alarm kinds (ids match the CloudWatch alarm kinds where both exist). */
export type MasterAlarmKind = "leader-count" | "leader-flapping" | "masters-below-quorum" | "slot-down" | "data-disk-used";

export interface MasterAlarm {
  kind: MasterAlarmKind;
  /** One line for the notification. */
  summary: string;
  /** The first response. */
  runbook: string;
  /** The master tier is at risk (page), rather than degraded (ticket). */
  critical: boolean;
}

export const MASTER_ALARMS: readonly MasterAlarm[] = [
  {
    kind: "leader-count",
    summary: "The number of masters reporting SeaweedFS_master_is_leader = 1 is not exactly 1 (0: no quorum, writes and assignments fail; 2+: split brain).",
    runbook: "docs/runbooks/lost-quorum.md",
    critical: true,
  },
  {
    kind: "leader-flapping",
    summary: "Leader elections keep happening: masters lose their leader repeatedly (network, CPU starvation, a frozen leader).",
    runbook: "docs/failover.md",
    critical: false,
  },
  {
    kind: "masters-below-quorum",
    summary: "Fewer masters are up than the raft quorum: the tier cannot elect a leader.",
    runbook: "docs/runbooks/lost-quorum.md",
    critical: true,
  },
  {
    kind: "slot-down",
    summary: "A master slot is down: the tier tolerates one failure less until it is back.",
    runbook: "docs/runbooks/replace-master.md",
    critical: false,
  },
  {
    kind: "data-disk-used",
    summary: "A master's -mdir volume is filling up; raft stops when it is full.",
    runbook: "docs/runbooks/replace-master.md",
    critical: false,
  },
];
