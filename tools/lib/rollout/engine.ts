/**
 * The rollout engine: replaces (or restarts) the master slots one at a time, followers first and the leader last,
 * and gates every step on {@link checkGates}. It refuses to start when any gate fails beforehand (a rollout must
 * never take an already degraded tier below quorum), checks the gates again before touching each slot, waits after
 * each step until the gates have held for a stability window, and stops at the first gate that does not come back.
 * How a slot is replaced is the back end's business (tools/lib/rollout/local.ts, aws.ts). The leader's turn
 * starts with a raft leadership transfer when the back end can do one, so the rollout costs one planned
 * election instead of a leader loss.
 * The {@link RolloutReport} is the `--json` contract of `npm run rollout` (fields are only ever added).
 */
import { durationMs, RaftTiming } from "../../../infra/seaweed/master";
import { checkGates, GateCheck, GateMaster, GateName, GateResult, GATES, GateTier, waitForStableGates } from "./gates";

/** How one slot is replaced. */
export interface RolloutBackend {
  /** `local` (the drill harness) or `aws` (Auto Scaling groups). */
  readonly name: string;
  /**
   * Replaces the slot's master and resolves once the replacement runs (the gates then judge whether it rejoined).
   * @returns facts for the report, e.g. the old and the new instance id
   */
  replace(master: GateMaster, log: (line: string) => void): Promise<Record<string, string>>;
  /**
   * Hands raft leadership from `leader` to another voter and resolves with the new leader's identity; absent when
   * the back end cannot reach the masters' admin API.
   */
  transferLeadership?(leader: GateMaster, log: (line: string) => void): Promise<string>;
}

export interface RolloutOptions {
  tier: GateTier;
  backend: RolloutBackend;
  /** Transfer leadership before the leader's turn (needs {@link RolloutBackend.transferLeadership}). @default true */
  transferLeadership?: boolean;
  /** The gates must hold this long, with one leader, after each step. */
  stableMs: number;
  /** How long a step's gates may take to come back before the rollout stops. */
  gateTimeoutMs: number;
  /** Pause between gate checks. @default 500 */
  intervalMs?: number;
  /** Only these slots. @default every master of the tier */
  slots?: readonly number[];
  progress: (line: string) => void;
}

export interface RolloutStep {
  slot: number;
  address: string;
  /** The slot led when its turn came. */
  wasLeader: boolean;
  /** The leadership transfer that began the leader's turn (null when none was made). */
  transfer: { ms: number; newLeader: string } | null;
  /** Until the back end had the replacement running. */
  replaceMs: number | null;
  /** From the replacement until the gates had held for the stability window. */
  gatesMs: number | null;
  passed: boolean;
  /** The gate that stopped the rollout at this step (null when it passed, or when the back end failed). */
  failedGate: GateName | null;
  message: string;
  /** What the back end reported (e.g. oldInstanceId, newInstanceId). */
  facts: Record<string, string>;
}

export interface RolloutReport {
  backend: string;
  passed: boolean;
  /** The rollout did not start: a gate failed beforehand. */
  refused: boolean;
  /** One line: what happened, or the first failure. */
  message: string;
  leadershipTransfer: boolean;
  stableMs: number;
  gates: typeof GATES;
  /** The gates as checked before the first step. */
  preflight: GateResult[];
  /** Slots in the order they were taken (followers first, the leader last). */
  order: number[];
  steps: RolloutStep[];
  /** Times the agreed leader changed between two gate checks, over the whole rollout. */
  leaderChanges: number;
  totalMs: number;
}

/**
 * How long the gates must hold after a step: a rejoined master that missed heartbeats can still start a vote a few
 * election timeouts later, so the window spans two election timeouts plus one for the vote itself (at least 5 s).
 */
export function stabilityWindowMs(raft: RaftTiming): number {
  return Math.max(5000, 3 * durationMs(raft.electionTimeout));
}

/** The next slot to take: the lowest-numbered follower, the leader only once it is the last one left. */
export function nextSlot(remaining: readonly number[], leader: number | undefined): number {
  const followers = remaining.filter((s) => s !== leader).sort((a, b) => a - b);
  return followers[0] ?? remaining[0];
}

/** The order a rollout takes when `leader` leads throughout (what `--dry-run` prints). */
export function plannedOrder(slots: readonly number[], leader: number | undefined): number[] {
  const remaining = [...slots];
  const order: number[] = [];
  while (remaining.length > 0) {
    const slot = nextSlot(remaining, leader);
    order.push(slot);
    remaining.splice(remaining.indexOf(slot), 1);
  }
  return order;
}

/** Why a check (or a wait for stable gates, which can end on a passing check that did not hold long enough) failed. */
function failedLine(result: GateResult | undefined): string {
  return result ? `gate ${result.gate} failed: ${result.detail}` : "the gates passed now and then but never held for the stability window (the leader or a gate kept changing)";
}

export async function runRollout(options: RolloutOptions): Promise<RolloutReport> {
  const { tier, backend, progress } = options;
  const started = Date.now();
  const transfer = (options.transferLeadership ?? true) && backend.transferLeadership !== undefined;
  let leaderChanges = 0;
  let lastLeader: number | undefined;
  const observe = (check: GateCheck) => {
    if (check.leaderSlot === undefined) return;
    if (lastLeader !== undefined && check.leaderSlot !== lastLeader) leaderChanges++;
    lastLeader = check.leaderSlot;
  };
  const waitStable = () => waitForStableGates(tier, { timeoutMs: options.gateTimeoutMs, stableMs: options.stableMs, intervalMs: options.intervalMs, onCheck: observe });
  const report: RolloutReport = {
    backend: backend.name,
    passed: false,
    refused: false,
    message: "",
    leadershipTransfer: transfer,
    stableMs: options.stableMs,
    gates: GATES,
    preflight: [],
    order: [],
    steps: [],
    leaderChanges: 0,
    totalMs: 0,
  };
  const finish = (passed: boolean, message: string): RolloutReport => {
    progress(message);
    return Object.assign(report, { passed, message, leaderChanges, totalMs: Date.now() - started });
  };

  progress(`rollout (${backend.name}): checking the gates before the first step`);
  const preflight = await checkGates(tier);
  observe(preflight);
  report.preflight = preflight.results;
  if (!preflight.ok) {
    report.refused = true;
    return finish(false, `refusing to start: the tier is not healthy now (${failedLine(preflight.failed)}); a rollout would risk quorum. Fix the tier first.`);
  }
  const remaining = [...(options.slots ?? tier.masters.map((m) => m.slot))];
  let leader = preflight.leaderSlot;
  while (remaining.length > 0) {
    const slot = nextSlot(remaining, leader);
    remaining.splice(remaining.indexOf(slot), 1);
    report.order.push(slot);
    const master = tier.masters.find((m) => m.slot === slot);
    if (!master) return finish(false, `slot ${slot} is not one of the tier's masters (${tier.masters.map((m) => m.slot).join(", ")})`);
    const step: RolloutStep = { slot, address: master.address, wasLeader: slot === leader, transfer: null, replaceMs: null, gatesMs: null, passed: false, failedGate: null, message: "", facts: {} };
    report.steps.push(step);
    const log = (line: string) => progress(`slot ${slot} (${master.address}): ${line}`);
    const stop = (message: string, failed?: GateResult): RolloutReport => {
      step.message = message;
      step.failedGate = failed?.gate ?? null;
      return finish(false, `stopped at slot ${slot}: ${message}`);
    };

    const before = await checkGates(tier);
    observe(before);
    if (!before.ok) return stop(`not touched, the tier is unhealthy before this step (${failedLine(before.failed)})`, before.failed);
    leader = before.leaderSlot;
    step.wasLeader = slot === leader;

    if (step.wasLeader && transfer) {
      log("leads; transferring leadership first");
      const since = Date.now();
      try {
        const newLeader = await backend.transferLeadership!(master, log);
        const settled = await waitStable();
        if (!settled.ok) return stop(`after the leadership transfer, ${failedLine(settled.last.failed)}`, settled.last.failed);
        if (settled.last.leaderSlot === slot) return stop(`the leadership transfer left master-${slot} leading`);
        step.transfer = { ms: Date.now() - since, newLeader };
        leader = settled.last.leaderSlot;
        log(`leadership moved to ${newLeader}; gates stable after ${step.transfer.ms} ms`);
      } catch (error) {
        return stop(`leadership transfer failed: ${messageOf(error)}`);
      }
    }

    log(`replacing (${backend.name})`);
    const replaceStarted = Date.now();
    try {
      step.facts = await backend.replace(master, log);
    } catch (error) {
      return stop(`replacement failed: ${messageOf(error)}`);
    }
    step.replaceMs = Date.now() - replaceStarted;
    log(`replacement runs after ${step.replaceMs} ms; waiting for the gates to hold for ${options.stableMs} ms`);
    const gatesStarted = Date.now();
    const settled = await waitStable();
    if (!settled.ok) return stop(`${failedLine(settled.last.failed)} (still failing ${options.gateTimeoutMs} ms after the replacement)`, settled.last.failed);
    step.gatesMs = Date.now() - gatesStarted;
    leader = settled.last.leaderSlot;
    step.passed = true;
    step.message = `rejoined; gates held after ${step.gatesMs} ms`;
    log(step.message);
  }
  return finish(true, `rolled ${report.order.length} slot(s) (${report.order.join(", ")}) in ${Date.now() - started} ms; ${leaderChanges} leader change(s)`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
