/**
 * {@link QuorumWatch}: a background observer for the membership drills that samples every master every 200 ms and
 * records any moment when fewer voters of the leader's raft configuration answer than its quorum needs, or two
 * masters claim to lead, every change of leader, and every period in which no master led (with its length).
 */
import { quorumOf } from "../../../infra/seaweed/quorum";
import { sleep } from "../cluster/http";
import type { LocalCluster } from "../localCluster";

/** How often the quorum is checked (issue #12: "check every 200 ms"). */
export const QUORUM_SAMPLE_MS = 200;

/** A stretch of samples in which no answering master claimed leadership. */
export interface LeaderlessPeriod {
  /** When the first leaderless sample was taken, ms after the watch began. */
  sinceMs: number;
  /** Until the first sample that found a leader again (or until `stop()`), ms. */
  ms: number;
}

export class QuorumWatch {
  samples = 0;
  /** Moments the quorum was lost, with what was seen. */
  readonly lost: string[] = [];
  /** Moments two masters claimed leadership at once. */
  readonly splitBrain: string[] = [];
  /** Changes of the leader seen (a restart of the leader with transfer: one). */
  leaderChanges = 0;
  /** Periods without a leader, each closed by the next sample that found one or by `stop()`. */
  readonly leaderless: LeaderlessPeriod[] = [];
  /** The raft configuration last reported by a leader (`host:port` ids). */
  configuration: string[] = [];
  private lastLeader?: string;
  /** When the leaderless period under way began (epoch ms). */
  private leaderlessSince?: number;
  private running = false;
  private loop?: Promise<void>;
  private readonly began = Date.now();

  constructor(private readonly cluster: LocalCluster) {}

  start(): this {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        await this.sample();
        await sleep(Math.max(0, QUORUM_SAMPLE_MS - (Date.now() - started)));
      }
    })();
    return this;
  }

  /** Stops sampling; a leaderless period still open counts, up to now. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.endLeaderless(Date.now());
  }

  /** One sample: which masters answer, who leads, and whether the leader's configuration has a live majority. */
  async sample(): Promise<void> {
    const masters = this.cluster.masters.filter((m) => m.process.running);
    const sampled = Date.now();
    const statuses = await Promise.all(masters.map((m) => this.cluster.statusOf(m.slot, 1000)));
    this.samples++;
    const at = `+${((Date.now() - this.began) / 1000).toFixed(1)}s`;
    const leaders = statuses.filter((s) => s.isLeader);
    if (leaders.length > 1) this.splitBrain.push(`${at}: ${leaders.map((s) => `master-${s.slot}`).join(", ")} all lead`);
    if (leaders.length === 0) this.leaderlessSince ??= sampled;
    else this.endLeaderless(sampled);
    if (leaders.length === 1) {
      const address = this.cluster.master(leaders[0].slot).address;
      // Hashicorp raft lists every member, itself included (goraft leaves itself out).
      this.configuration = [...new Set([...leaders[0].peers, address])].sort();
      if (this.lastLeader !== undefined && this.lastLeader !== address) this.leaderChanges++;
      this.lastLeader = address;
    }
    if (this.configuration.length === 0) return;
    const answering = new Set(statuses.filter((s) => s.reachable).map((s) => this.cluster.master(s.slot).address));
    const live = this.configuration.filter((id) => answering.has(id)).length;
    const quorum = quorumOf(this.configuration.length);
    if (live < quorum) this.lost.push(`${at}: ${live} of ${this.configuration.length} voters answer, quorum is ${quorum}`);
  }

  private endLeaderless(now: number): void {
    if (this.leaderlessSince === undefined) return;
    this.leaderless.push({ sinceMs: this.leaderlessSince - this.began, ms: now - this.leaderlessSince });
    this.leaderlessSince = undefined;
  }
}
