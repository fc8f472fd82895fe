/**
 * A client writing continuously while a day-2 operation runs: each write is an assignment through the next running
 * master (round-robin, as the NLB spreads clients), a unique blob uploaded to the assigned volume server and read
 * back. A failed attempt is retried the way a well-behaved client does: after the master's `Retry-After` when it
 * sent one (a new leader's warm-up), else after a short pause, until the write succeeds or `giveUpMs` has passed,
 * which counts it as failed. Every stored blob is kept, so {@link ContinuousWrites.verifyAll} can read all of them
 * back at the end, and every file id goes to the harness's ledger (duplicates) as usual.
 *
 * The summaries are honest about the end of a window: a write belongs to the window in which it began (a reset waits
 * for it), a write still failing when the writer stops is counted as unfinished, and the time since the last stored
 * write counts as a gap when a window closes, so a master that refuses every write cannot leave a clean summary.
 */
import type { LocalCluster } from "../localCluster";
import { readBack, uniqueBlob, uploadAndReadBack } from "../cluster/blob";
import { sleep } from "../cluster/http";

/** Pause between writes, and between attempts that got no `Retry-After`. */
const PACE_MS = 200;

/**
 * How long the writer keeps going after an operation has passed its gates, for {@link settledWriteProblem}: several
 * writes at {@link PACE_MS}, so that each master of a 3- or 5-master round robin takes at least one.
 */
export const SETTLED_WINDOW_MS = 2000;

/** How many failure reasons a summary keeps (the first ones). */
const REASONS_KEPT = 5;

export interface WriteSummary {
  /** Writes begun in the window that succeeded (possibly after retries). */
  stored: number;
  /** Writes begun in the window still failing after `giveUpMs` of retries. */
  failed: number;
  /** Writes still failing when `stop()` ended them, before `giveUpMs` had passed: neither stored nor given up. */
  unfinished: number;
  /** Attempts of those writes that failed (retried or not). */
  failedAttempts: number;
  /**
   * The longest time a client went without a stored write, ms: between two stored writes, and from the last stored
   * write to the window's close (so a gap still open at a reset or at `stop()` counts). A gap that spans two windows
   * counts in both.
   */
  longestGapMs: number;
  /** The first few reasons attempts failed. */
  reasons: string[];
}

/** The part of a {@link LocalCluster} the writer uses (a fake one in tests/drills/continuous-writes.test.ts). */
export type WriteTarget = Pick<LocalCluster, "liveSlots" | "assign" | "timeline">;

function emptySummary(): WriteSummary {
  return { stored: 0, failed: 0, unfinished: 0, failedAttempts: 0, longestGapMs: 0, reasons: [] };
}

/**
 * What is wrong with the writes of a window that began after an operation had passed its gates (every healthz 200,
 * one agreed leader, a write through the load-balanced path), or undefined: at least one write must be stored and
 * every attempt must succeed at once. A failed attempt there is a master that its gates call healthy but that still
 * refuses writes, e.g. one rejecting every assignment while the retries through the others hide it from the gaps
 * and the give-ups.
 */
export function settledWriteProblem(window: WriteSummary): string | undefined {
  const attempts = window.stored + window.failedAttempts;
  if (window.stored === 0) return `no write was stored in the ${attempts} attempt(s) after the gates passed${window.reasons.length ? `: ${window.reasons.join(" | ")}` : ""}`;
  if (window.failedAttempts > 0) return `${window.failedAttempts} of ${attempts} write attempts failed after the gates passed (every one must succeed at once): ${window.reasons.join(" | ")}`;
  return undefined;
}

export class ContinuousWrites {
  private running = false;
  private loop?: Promise<void>;
  /** The write under way (or the last one): a reset waits for it. */
  private inFlight?: Promise<void>;
  private next = 0;
  private lastStored = 0;
  /** The window since the last reset (or the start). */
  private window = emptySummary();
  /** The whole run. */
  private readonly whole = emptySummary();
  private readonly blobs: { fid: string; url: string; blob: string }[] = [];

  /** @param giveUpMs how long one write is retried before it counts as failed (a bound from drill/bounds.ts) */
  constructor(
    private readonly cluster: WriteTarget,
    private readonly giveUpMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.lastStored = Date.now();
    this.loop = (async () => {
      while (this.running) {
        this.inFlight = this.writeOne([this.window, this.whole]);
        await this.inFlight;
        if (this.running) await sleep(PACE_MS);
      }
    })();
  }

  /**
   * Stops after the write in flight (no retry begins once stopped: a write still failing then is unfinished) and
   * returns the summary of the window since the last reset, its open gap closed.
   */
  async stop(): Promise<WriteSummary> {
    this.running = false;
    await this.loop;
    const now = Date.now();
    this.closeGap(this.window, now);
    this.closeGap(this.whole, now);
    return this.window;
  }

  /**
   * Closes the current window and opens the next: writes begun from now on count in the next one. Resolves once the
   * write begun in the closed window has ended (stored, or given up after `giveUpMs`), with that window's summary.
   */
  async resetSummary(): Promise<WriteSummary> {
    const closed = this.window;
    this.window = emptySummary();
    await this.inFlight;
    this.closeGap(closed, Date.now());
    return closed;
  }

  /** Every write of the run, whatever the windows; its last gap is closed by `stop()`. */
  get totals(): WriteSummary {
    return this.whole;
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

  get blobCount(): number {
    return this.blobs.length;
  }

  private closeGap(summary: WriteSummary, now: number): void {
    summary.longestGapMs = Math.max(summary.longestGapMs, now - this.lastStored);
  }

  /** One write, retried until stored, given up or stopped; counted in each of `into`. */
  private async writeOne(into: readonly WriteSummary[]): Promise<void> {
    const began = Date.now();
    for (;;) {
      const live = this.cluster.liveSlots();
      const attempt = await this.attempt(live[this.next++ % Math.max(1, live.length)]);
      if (attempt.ok) {
        const now = Date.now();
        for (const s of into) {
          s.stored++;
          s.longestGapMs = Math.max(s.longestGapMs, now - this.lastStored);
        }
        this.lastStored = now;
        return;
      }
      for (const s of into) {
        s.failedAttempts++;
        if (s.reasons.length < REASONS_KEPT) s.reasons.push(attempt.why);
      }
      const left = this.giveUpMs - (Date.now() - began);
      if (left <= 0) return this.count(into, "failed");
      if (!this.running) return this.count(into, "unfinished");
      await sleep(Math.min(attempt.retryAfterMs ?? PACE_MS, left));
      if (!this.running) return this.count(into, "unfinished");
    }
  }

  private count(into: readonly WriteSummary[], outcome: "failed" | "unfinished"): void {
    for (const s of into) s[outcome]++;
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
