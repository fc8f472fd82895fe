/**
 * The panels an operator needs on a master tier's dashboard, per platform-neutral signal: the Grafana dashboard of
 * Kubernetes stacks is rendered from this list (the CloudWatch dashboard shows the same signals plus AWS-only ones).
 */
import { METRICS } from "./constants";

export interface MasterPanel {
  title: string;
  metric: string;
  /** `sum`: one line for the tier; `perMaster`: one line per master. */
  view: "sum" | "perMaster";
  /** A counter shown as its increase over this many minutes. */
  increaseMinutes?: number;
}

export function masterPanels(electionsWindowMinutes: number): MasterPanel[] {
  return [
    { title: "Leaders (must be 1)", metric: METRICS.isLeader, view: "sum" },
    { title: `Leader elections (per ${electionsWindowMinutes} min)`, metric: METRICS.leaderChanges, view: "sum", increaseMinutes: electionsWindowMinutes },
    { title: "Volume-server heartbeats received", metric: METRICS.receivedHeartbeats, view: "perMaster", increaseMinutes: 5 },
    { title: "Writable volumes (leader's layouts)", metric: METRICS.volumeLayoutWritable, view: "perMaster" },
  ];
}
