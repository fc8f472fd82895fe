/**
 * The panels an operator needs on a master tier's dashboard, per platform-neutral signal: the Grafana dashboard of
 * Kubernetes stacks and the CloudWatch dashboard (infra/aws/monitoring/dashboard.ts, which adds AWS-only panels) are
 * both rendered from this list.
 */
import { METRICS } from "./constants";

export interface MasterPanel {
  title: string;
  metric: string;
  /** `sum`: one line for the tier; `perMaster`: one line per master. */
  view: "sum" | "perMaster";
  /** A counter shown as its increase over this many minutes. */
  increaseMinutes?: number;
  /** The label of the one line of a `sum` panel. */
  lineLabel?: string;
}

export function masterPanels(electionsWindowMinutes: number): MasterPanel[] {
  return [
    { title: "Leaders (must be 1)", metric: METRICS.isLeader, view: "sum", lineLabel: "masters that are leader" },
    { title: `Leader elections (per ${electionsWindowMinutes} min)`, metric: METRICS.leaderChanges, view: "sum", increaseMinutes: electionsWindowMinutes, lineLabel: "elections" },
    { title: "Volume-server heartbeats received", metric: METRICS.receivedHeartbeats, view: "perMaster", increaseMinutes: 5 },
    { title: "Writable volumes (leader's layouts)", metric: METRICS.volumeLayoutWritable, view: "perMaster" },
  ];
}
