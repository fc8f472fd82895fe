/**
 * What happened during one scenario run, for the HTML report: each master's role over time (sampled), the faults
 * and healings the harness caused, and every write attempt with its outcome. The harness records faults and writes
 * itself (LocalCluster.timeline), so scenarios need no bookkeeping beyond naming their measured intervals.
 */
import type { LocalCluster } from "../localCluster";

export type Role = "leader" | "follower" | "no-leader" | "down" | "frozen" | "unreachable";

export interface TimelineSample {
  /** ms since the timeline began */
  t: number;
  /** role per master slot */
  roles: Record<number, Role>;
  /** slots cut off by a partition at that moment */
  partitioned: number[];
}

export interface TimelineEvent {
  t: number;
  kind: "fault" | "heal" | "note";
  label: string;
}

export interface TimelineWrite {
  t: number;
  ok: boolean;
  via: number;
}

export interface TimelineInterval {
  label: string;
  from: number;
  to: number;
}

export interface ScenarioTimeline {
  scenario: string;
  series: string;
  run: number;
  passed: boolean;
  slots: number[];
  durationMs: number;
  samples: TimelineSample[];
  events: TimelineEvent[];
  writes: TimelineWrite[];
  intervals: TimelineInterval[];
}

const SAMPLE_EVERY_MS = 250;

export class Timeline {
  private readonly began = Date.now();
  private readonly samples: TimelineSample[] = [];
  private readonly events: TimelineEvent[] = [];
  private readonly writes: TimelineWrite[] = [];
  private readonly intervals: TimelineInterval[] = [];
  private sampling = false;
  private sampler?: Promise<void>;

  /** ms since the timeline began, of `at` (epoch ms; default now). */
  at(at = Date.now()): number {
    return at - this.began;
  }

  event(kind: TimelineEvent["kind"], label: string): void {
    this.events.push({ t: this.at(), kind, label });
  }

  write(ok: boolean, via: number, at = Date.now()): void {
    this.writes.push({ t: this.at(at), ok, via });
  }

  /** A measured interval, from and to in epoch ms. */
  interval(label: string, from: number, to: number): void {
    this.intervals.push({ label, from: this.at(from), to: this.at(to) });
  }

  /** Samples every master's role until {@link stop}. */
  start(cluster: LocalCluster): void {
    this.sampling = true;
    this.sampler = (async () => {
      while (this.sampling) {
        const t = this.at();
        const roles: Record<number, Role> = {};
        await Promise.all(cluster.masters.map(async (m) => {
          roles[m.slot] = await roleOf(cluster, m.slot);
        }));
        this.samples.push({ t, roles, partitioned: cluster.partitionedSlots() });
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
      }
    })();
  }

  async stop(): Promise<void> {
    this.sampling = false;
    await this.sampler;
  }

  finish(meta: { scenario: string; series: string; run: number; passed: boolean; slots: number[] }): ScenarioTimeline {
    return { ...meta, durationMs: this.at(), samples: this.samples, events: this.events, writes: this.writes, intervals: this.intervals };
  }
}

async function roleOf(cluster: LocalCluster, slot: number): Promise<Role> {
  const master = cluster.master(slot);
  if (!master.process.running) return "down";
  if (cluster.isFrozen(slot)) return "frozen";
  const status = await cluster.statusOf(slot, 400);
  if (!status.reachable) return "unreachable";
  if (status.isLeader) return "leader";
  return status.leaderSlot !== undefined ? "follower" : "no-leader";
}
