/**
 * The failover budget of `npm run bench`: reading and checking bench/failover-budget.yaml (what each number means
 * is documented there), and judging measured leader kills against it. Pure apart from reading the file, so the
 * gate itself is tested with literal figures (tests/unit/bench-budget.test.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { RaftTiming } from "../../../infra/seaweed/master";
import { WRITE_WARMUP_MS } from "../../../infra/seaweed/constants";
import { spread, Spread } from "../drill/stats";
import { REPO_ROOT } from "../stackFiles";

export const BUDGET_FILE = path.join(REPO_ROOT, "bench", "failover-budget.yaml");

export interface FailoverBudget {
  stack: string;
  runs: number;
  newLeaderSpeedupAtLeast: number;
  writesBackSlackSeconds: number;
  /**
   * With a TLS stack: the most its median new-leader time may be, as a multiple of the same masters' without TLS,
   * measured side by side in the same run.
   */
  tlsNewLeaderRatioAtMost: number;
}

export class BudgetError extends Error {}

/** Reads and checks a budget file; every problem names the key, the bad value and the fix. */
export function readBudget(file = BUDGET_FILE): FailoverBudget {
  let raw: unknown;
  try {
    raw = parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new BudgetError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return checkBudget(raw, file);
}

export function checkBudget(raw: unknown, file = BUDGET_FILE): FailoverBudget {
  const problems: string[] = [];
  const doc = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const number = (source: Record<string, unknown>, key: string, label: string, fix: string, ok: (n: number) => boolean): number => {
    const value = source[key];
    if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) problems.push(`${label}: ${JSON.stringify(value)} is not valid; ${fix}`);
    return value as number;
  };
  const stack = doc.stack;
  if (typeof stack !== "string" || !/^[a-z0-9-]+$/.test(stack)) problems.push(`stack: ${JSON.stringify(stack)} is not valid; name a stack file, e.g. dev for stacks/Pulumi.dev.yaml`);
  const budget: FailoverBudget = {
    stack: stack as string,
    runs: number(doc, "runs", "runs", "use a whole number >= 1 (leader kills per configuration)", (n) => Number.isInteger(n) && n >= 1),
    newLeaderSpeedupAtLeast: number(doc, "newLeaderSpeedupAtLeast", "newLeaderSpeedupAtLeast", "use a number > 1 (how many times faster than SeaweedFS defaults)", (n) => n > 1),
    writesBackSlackSeconds: number(doc, "writesBackSlackSeconds", "writesBackSlackSeconds", "use a number of seconds >= 0", (n) => n >= 0),
    tlsNewLeaderRatioAtMost: number(doc, "tlsNewLeaderRatioAtMost", "tlsNewLeaderRatioAtMost", "use a number >= 1 (how many times the no-TLS median new leader TLS may take)", (n) => n >= 1),
  };
  const known = new Set(["stack", "runs", "newLeaderSpeedupAtLeast", "writesBackSlackSeconds", "tlsNewLeaderRatioAtMost"]);
  for (const key of Object.keys(doc)) if (!known.has(key)) problems.push(`${key}: unknown key; the budget keys are ${[...known].join(", ")}`);
  if (problems.length > 0) throw new BudgetError(`${file}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return budget;
}

/**
 * The most the median writes-back may take after a leader kill whose median new leader took `newLeaderMs`: the
 * warm-up SeaweedFS imposes on a new leader, and the budget's slack. Never read from the stack's raft settings, so a
 * slower configuration cannot loosen it; how fast the leader came is the speed-up check's business.
 */
export function writesBackLimitMs(budget: FailoverBudget, newLeaderMs: number): number {
  return newLeaderMs + WRITE_WARMUP_MS + budget.writesBackSlackSeconds * 1000;
}

/** What one configuration's leader kills measured. */
export interface Side {
  raft: RaftTiming;
  newLeaderMs: number[];
  writesBackMs: number[];
  /** Runs in which the drill itself failed. */
  failures: string[];
}

export interface Check {
  name: string;
  passed: boolean;
  /** e.g. "x14.2 (defaults 12920 ms / stack 880 ms), budget >= x8" */
  detail: string;
}

export interface Medians {
  newLeaderMs: Spread | null;
  writesBackMs: Spread | null;
}

export interface Verdict {
  passed: boolean;
  /** min/median/max of each configuration's runs. */
  spreads: { stack: Medians; defaults: Medians };
  newLeaderSpeedup: number | null;
  writesBackLimitMs: number;
  checks: Check[];
}

/** Judges the stack's leader kills against the defaults' and the budget. */
export function judge(budget: FailoverBudget, stack: Side, defaults: Side): Verdict {
  const s = { newLeaderMs: spread(stack.newLeaderMs), writesBackMs: spread(stack.writesBackMs) };
  const d = { newLeaderMs: spread(defaults.newLeaderMs), writesBackMs: spread(defaults.writesBackMs) };
  const limit = s.newLeaderMs ? writesBackLimitMs(budget, s.newLeaderMs.median) : Number.NaN;
  const speedup = s.newLeaderMs && d.newLeaderMs ? d.newLeaderMs.median / Math.max(1, s.newLeaderMs.median) : null;
  const checks: Check[] = [
    {
      name: "every leader kill passed the drill",
      passed: stack.failures.length === 0 && defaults.failures.length === 0,
      detail: [...stack.failures.map((f) => `stack: ${f}`), ...defaults.failures.map((f) => `defaults: ${f}`)].join("; ") || `${stack.newLeaderMs.length} + ${defaults.newLeaderMs.length} runs`,
    },
    {
      name: "new leader at least as many times faster than SeaweedFS defaults as budgeted (median)",
      passed: speedup !== null && speedup >= budget.newLeaderSpeedupAtLeast,
      detail: speedup === null ? "no measurement" : `x${speedup.toFixed(1)} (defaults ${d.newLeaderMs!.median} ms / stack ${s.newLeaderMs!.median} ms), budget >= x${budget.newLeaderSpeedupAtLeast}`,
    },
    {
      name: "writes back within the warm-up and the slack after the new leader (median)",
      passed: s.writesBackMs !== null && s.writesBackMs.median <= limit,
      detail:
        s.writesBackMs === null || s.newLeaderMs === null
          ? "no measurement"
          : `${s.writesBackMs.median} ms, budget <= ${limit} ms (new leader ${s.newLeaderMs.median} ms + warm-up ${WRITE_WARMUP_MS} ms + slack ${budget.writesBackSlackSeconds * 1000} ms)`,
    },
  ];
  return { passed: checks.every((c) => c.passed), spreads: { stack: s, defaults: d }, newLeaderSpeedup: speedup, writesBackLimitMs: limit, checks };
}

/** What mutual TLS costs a failover: the TLS stack's leader kills beside the same masters' without TLS. */
export interface TlsVerdict {
  passed: boolean;
  spreads: { withTls: Medians; withoutTls: Medians };
  /** Median new leader with TLS / without; null without measurements on both sides. */
  newLeaderRatio: number | null;
  /** Median writes back with TLS / without (reported; the warm-up dominates it). */
  writesBackRatio: number | null;
  checks: Check[];
}

/** Judges a TLS stack's leader kills (`withTls`) against the same masters' without TLS, run side by side. */
export function judgeTls(budget: FailoverBudget, withTls: Side, withoutTls: Side): TlsVerdict {
  const t = { newLeaderMs: spread(withTls.newLeaderMs), writesBackMs: spread(withTls.writesBackMs) };
  const p = { newLeaderMs: spread(withoutTls.newLeaderMs), writesBackMs: spread(withoutTls.writesBackMs) };
  const ratio = (a: Spread | null, b: Spread | null) => (a && b ? a.median / Math.max(1, b.median) : null);
  const newLeaderRatio = ratio(t.newLeaderMs, p.newLeaderMs);
  const checks: Check[] = [
    {
      name: "every leader kill without TLS passed the drill",
      passed: withoutTls.failures.length === 0,
      detail: withoutTls.failures.join("; ") || `${withoutTls.newLeaderMs.length} runs`,
    },
    {
      name: "mutual TLS costs no failover time: new leader with TLS within the budgeted multiple of without (median)",
      passed: newLeaderRatio !== null && newLeaderRatio <= budget.tlsNewLeaderRatioAtMost,
      detail: newLeaderRatio === null ? "no measurement" : `x${newLeaderRatio.toFixed(2)} (TLS ${t.newLeaderMs!.median} ms / no TLS ${p.newLeaderMs!.median} ms), budget <= x${budget.tlsNewLeaderRatioAtMost}`,
    },
  ];
  return { passed: checks.every((c) => c.passed), spreads: { withTls: t, withoutTls: p }, newLeaderRatio, writesBackRatio: ratio(t.writesBackMs, p.writesBackMs), checks };
}
