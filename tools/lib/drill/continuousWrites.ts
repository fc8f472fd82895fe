/**
 * A client writing continuously while a day-2 operation runs: each write is an assignment through the next running
 * master (round-robin, as the NLB spreads clients), a unique blob uploaded to the assigned volume server and read
 * back. A failed attempt is retried the way a well-behaved client does: after the master's `Retry-After` when it
 * sent one (a new leader's warm-up), else after a short pause, until the write succeeds or `giveUpMs` has passed,
 * which counts it as failed. Every stored blob is kept, so {@link ContinuousWrites.verifyAll} can read all of them
 * back at the end, and every file id goes to the harness's ledger (duplicates) as usual.
 */
import type { LocalCluster } from "../localCluster";
import { readBack, uniqueBlob, uploadAndReadBack } from "../cluster/blob";
import { sleep } from "../cluster/http";

/** Pause between writes, and between attempts that got no `Retry-After`. */
const PACE_MS = 200;

export interface WriteSummary {
  /** Writes that succeeded (possibly after retries). */
  stored: number;
  /** Writes still failing after `giveUpMs` of retries. */
  failed: number;
  /** Attempts that failed (retried or not). */
  failedAttempts: number;
  /** The longest time between two stored writes (the outage a client saw), ms. */
  longestGapMs: number;
  /** The first few reasons attempts failed. */
  reasons: string[];
}

export class ContinuousWrites {
  private running = false;
  private loop?: Promise<void>;
  private next = 0;
  private lastStored = 0;
  private readonly blobs: { fid: string; url: string; blob: string }[] = [];
  readonly summary: WriteSummary = { stored: 0, failed: 0, failedAttempts: 0, longestGapMs: 0, reasons: [] };

  /** @param giveUpMs how long one write is retried before it counts as failed (a bound from drill/bounds.ts) */
  constructor(
    private readonly cluster: LocalCluster,
    private readonly giveUpMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.lastStored = Date.now();
    this.loop = (async () => {
      while (this.running) {
        await this.writeOne();
        await sleep(PACE_MS);
      }
    })();
  }

  /** Stops after the write in flight and returns the summary. */
  async stop(): Promise<WriteSummary> {
    this.running = false;
    await this.loop;
    return this.summary;
  }

  /** Every blob stored so far, read back now; returns what did not come back byte-identical. */
  async verifyAll(): Promise<string[]> {
    const problems: string[] = [];
    for (const { fid, url, blob } of this.blobs) {
      const problem = await readBack(url, fid, blob);
      if (problem) problems.push(problem);
    }
    return problems;
  }

  /** The summary since the last reset (or the start); counting starts again from zero. */
  resetSummary(): WriteSummary {
    const taken = { ...this.summary, reasons: [...this.summary.reasons] };
    Object.assign(this.summary, { stored: 0, failed: 0, failedAttempts: 0, longestGapMs: 0, reasons: [] });
    return taken;
  }

  get blobCount(): number {
    return this.blobs.length;
  }

  private async writeOne(): Promise<void> {
    const began = Date.now();
    while (this.running || Date.now() - began < this.giveUpMs) {
      const live = this.cluster.liveSlots();
      const via = live[this.next++ % Math.max(1, live.length)];
      const attempt = await this.attempt(via);
      if (attempt.ok) {
        const now = Date.now();
        this.summary.longestGapMs = Math.max(this.summary.longestGapMs, now - this.lastStored);
        this.lastStored = now;
        this.summary.stored++;
        return;
      }
      this.summary.failedAttempts++;
      if (this.summary.reasons.length < 5) this.summary.reasons.push(attempt.why);
      if (Date.now() - began >= this.giveUpMs) {
        this.summary.failed++;
        return;
      }
      await sleep(Math.min(attempt.retryAfterMs ?? PACE_MS, this.giveUpMs - (Date.now() - began)));
      if (!this.running) return;
    }
  }

  private async attempt(via: number | undefined): Promise<{ ok: boolean; why: string; retryAfterMs?: number }> {
    if (via === undefined) return { ok: false, why: "no master process runs" };
    const started = Date.now();
    const answer = await this.cluster.assign(via, { write: false });
    if (!answer.ok || !answer.fid || !answer.url) {
      this.cluster.timeline?.write(false, via, started);
      return { ok: false, why: `assign through master-${via}: HTTP ${answer.status} ${answer.body.trim()}`, retryAfterMs: answer.retryAfterMs };
    }
    const blob = uniqueBlob(answer.fid);
    const problem = await uploadAndReadBack(answer.url, answer.fid, answer.auth, 3000, blob);
    this.cluster.timeline?.write(problem === undefined, via, started);
    if (problem) return { ok: false, why: problem };
    this.blobs.push({ fid: answer.fid, url: answer.url, blob });
    return { ok: true, why: "" };
  }
}
