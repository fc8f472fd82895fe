/**
 * Background observers for day-2 drills: {@link QuorumWatch} samples every master every 200 ms and records any moment
 * when fewer voters of the leader's raft configuration answer than its quorum needs (or two masters claim to lead);
 * {@link WriteLoad} keeps writing (assign, upload, read back) through the masters in turn, as clients behind the load
 * balancer would, and measures the longest stretch without a successful write.
 */
import { quorumOf } from "../../../infra/seaweed/quorum";
import { sleep } from "../cluster/http";
import type { LocalCluster } from "../localCluster";

/** How often the quorum is checked (issue #12: "check every 200 ms"). */
export const QUORUM_SAMPLE_MS = 200;

export class QuorumWatch {
  samples = 0;
  /** Moments the quorum was lost, with what was seen. */
  readonly lost: string[] = [];
  /** Moments two masters claimed leadership at once. */
  readonly splitBrain: string[] = [];
  /** Changes of the leader seen (a restart of the leader with transfer: one). */
  leaderChanges = 0;
  /** The raft configuration last reported by a leader (`host:port` ids). */
  configuration: string[] = [];
  private lastLeader?: string;
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

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** One sample: which masters answer, who leads, and whether the leader's configuration has a live majority. */
  async sample(): Promise<void> {
    const masters = this.cluster.masters.filter((m) => m.process.running);
    const statuses = await Promise.all(masters.map((m) => this.cluster.statusOf(m.slot, 1000)));
    this.samples++;
    const at = `+${((Date.now() - this.began) / 1000).toFixed(1)}s`;
    const leaders = statuses.filter((s) => s.isLeader);
    if (leaders.length > 1) this.splitBrain.push(`${at}: ${leaders.map((s) => `master-${s.slot}`).join(", ")} all lead`);
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
}

export class WriteLoad {
  attempts = 0;
  failures = 0;
  /** The longest time from one successful write to the next (ms). */
  longestOutageMs = 0;
  private lastOk = Date.now();
  private running = false;
  private loop?: Promise<void>;
  private turn = 0;

  constructor(private readonly cluster: LocalCluster) {}

  start(): this {
    this.running = true;
    this.lastOk = Date.now();
    this.loop = (async () => {
      while (this.running) {
        const live = this.cluster.liveSlots();
        if (live.length > 0) {
          const answer = await this.cluster.assign(live[this.turn++ % live.length], { timeoutMs: 2000 });
          this.attempts++;
          if (answer.stored) this.ok();
          else this.failures++;
        }
        await sleep(100);
      }
    })();
    return this;
  }

  private ok(): void {
    const now = Date.now();
    this.longestOutageMs = Math.max(this.longestOutageMs, now - this.lastOk);
    this.lastOk = now;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    // A stretch that is still failing when the load stops counts too.
    this.longestOutageMs = Math.max(this.longestOutageMs, Date.now() - this.lastOk);
  }
}
