/**
 * The checks a rollout (or a scaling step) must pass before and after touching a master slot. They speak plain
 * HTTP to the masters' own addresses and write through the load-balanced path, so the same code gates a local
 * cluster and a deployed tier:
 *   healthz     every master's `/cluster/healthz` is 200 (the NLB's health check);
 *   leader      exactly one master claims leadership and every master names it;
 *   membership  the leader's raft configuration (`/cluster/status` Peers) is exactly the expected peer list;
 *   write       an assignment, a blob upload to the assigned volume server and a byte-identical read-back.
 * A master that has just rejoined can still cause an election seconds later, so {@link waitForStableGates} asks
 * for the gates to hold, with the same leader, for a whole stability window before it says yes.
 */
import { ENDPOINTS, HEALTH_CHECK } from "../../../infra/seaweed/constants";
import { uploadAndReadBack } from "../cluster/blob";
import { jsonOf, request, sleep } from "../cluster/http";
import { bearerToken } from "../cluster/jwt";
import { MasterStatus, parseClusterStatus } from "../cluster/status";

export type GateName = "healthz" | "leader" | "membership" | "write";

/** The gates in the order they are checked, with what each one means (printed by `--dry-run`). */
export const GATES: readonly { name: GateName; description: string }[] = [
  { name: "healthz", description: `every master answers ${HEALTH_CHECK.path} with 200` },
  { name: "leader", description: "exactly one master claims leadership and every master names it" },
  { name: "membership", description: `the leader's raft membership (${ENDPOINTS.clusterStatus} Peers) is exactly the expected peer list` },
  { name: "write", description: `${ENDPOINTS.dirAssign} through the load-balanced path, a blob upload to the assigned volume server, a byte-identical read-back` },
];

/** One master as the gates reach it. */
export interface GateMaster {
  slot: number;
  /** `host:port`, the master's raft identity (as listed in `-peers`). */
  address: string;
  /** Base URL of its HTTP API, e.g. `http://10.20.0.10:9333` (a loopback stand-in locally). */
  url: string;
}

/** The outcome of one write probe. */
export interface WriteProbe {
  ok: boolean;
  /** What was written (the fid), or what went wrong. */
  detail: string;
}

/** What the gates check: the masters, the membership they must agree on, and how to write through the LB path. */
export interface GateTier {
  masters: readonly GateMaster[];
  /** The raft membership every step must end with (identities, `host:port`). @default the masters' addresses */
  expectedPeers?: readonly string[];
  /** One write through the load-balanced path (see {@link writeThrough} for a deployed tier). */
  write(): Promise<WriteProbe>;
  /** Per-request timeout of the HTTP checks. @default 1500 */
  requestTimeoutMs?: number;
}

export interface GateResult {
  gate: GateName;
  ok: boolean;
  /** Why it failed, or what it saw when it passed. */
  detail: string;
}

export interface GateCheck {
  /** Every gate passed. */
  ok: boolean;
  /** The agreed leader's slot when the leader gate passed. */
  leaderSlot?: number;
  results: GateResult[];
  /** The first failed gate's result (undefined when all passed). */
  failed?: GateResult;
  /** When the check ran (epoch ms). */
  at: number;
}

/** Each master's own view (`/cluster/status`), read in parallel. */
export async function readStatuses(tier: GateTier): Promise<MasterStatus[]> {
  const slotOf = (address: string) => tier.masters.find((m) => m.address === address)?.slot;
  return Promise.all(
    tier.masters.map(async (m) => parseClusterStatus(m.slot, await request(`${m.url}${ENDPOINTS.clusterStatus}`, { timeoutMs: tier.requestTimeoutMs }), slotOf)),
  );
}

/** Raft membership as a master reports it: hashicorp lists every member, goraft leaves itself out. */
export function membershipOf(status: MasterStatus, self: string): string[] {
  return [...new Set([...status.peers, self])].sort();
}

/** Runs every gate once, in order; a gate whose precondition failed (no leader, so no membership) fails with why. */
export async function checkGates(tier: GateTier): Promise<GateCheck> {
  const at = Date.now();
  const results: GateResult[] = [];
  const codes = await Promise.all(tier.masters.map(async (m) => (await request(`${m.url}${HEALTH_CHECK.path}`, { timeoutMs: tier.requestTimeoutMs })).status));
  const unhealthy = tier.masters.flatMap((m, i) => (codes[i] === 200 ? [] : [`master-${m.slot} (${m.address}) answered ${describeCode(codes[i])}`]));
  results.push({ gate: "healthz", ok: unhealthy.length === 0, detail: unhealthy.length === 0 ? `${tier.masters.length} masters answer 200` : unhealthy.join("; ") });

  const statuses = await readStatuses(tier);
  const claimants = statuses.filter((s) => s.isLeader);
  const leader = claimants.length === 1 ? claimants[0] : undefined;
  const dissenters = leader ? statuses.filter((s) => s.leaderSlot !== leader.slot) : [];
  let leaderDetail: string;
  if (claimants.length === 0) leaderDetail = "no master claims leadership";
  else if (claimants.length > 1) leaderDetail = `${claimants.length} masters claim leadership: ${claimants.map((s) => `master-${s.slot}`).join(", ")}`;
  else if (dissenters.length > 0) {
    leaderDetail = `master-${leader!.slot} leads but ${dissenters.map((s) => `master-${s.slot} ${s.reachable ? `names ${s.leader ?? "no leader"}` : "does not answer"}`).join(", ")}`;
  } else leaderDetail = `master-${leader!.slot} leads and every master names it`;
  const leaderOk = leader !== undefined && dissenters.length === 0;
  results.push({ gate: "leader", ok: leaderOk, detail: leaderDetail });

  const expected = [...(tier.expectedPeers ?? tier.masters.map((m) => m.address))].sort();
  if (!leader) results.push({ gate: "membership", ok: false, detail: "no single leader to read the raft membership from" });
  else {
    const actual = membershipOf(leader, tier.masters.find((m) => m.slot === leader.slot)!.address);
    const missing = expected.filter((p) => !actual.includes(p));
    const extra = actual.filter((p) => !expected.includes(p));
    const ok = missing.length === 0 && extra.length === 0;
    results.push({
      gate: "membership",
      ok,
      detail: ok ? `${actual.length} members as expected` : `raft membership ${actual.join(",")} differs from the expected ${expected.join(",")}${missing.length ? ` (missing ${missing.join(",")})` : ""}${extra.length ? ` (unexpected ${extra.join(",")})` : ""}`,
    });
  }

  const write = await tier.write();
  results.push({ gate: "write", ok: write.ok, detail: write.detail });
  const failed = results.find((r) => !r.ok);
  return { ok: failed === undefined, leaderSlot: leaderOk ? leader!.slot : undefined, results, failed, at };
}

function describeCode(code: number): string {
  return code === -1 ? "nothing (unreachable or timed out)" : `HTTP ${code}`;
}

export interface StableGatesOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** The gates must hold, with one unchanged leader, for this long. */
  stableMs: number;
  /** Pause between checks. @default 500 */
  intervalMs?: number;
  /** Called with each check (progress lines, leader-change counting). */
  onCheck?: (check: GateCheck) => void;
}

export interface StableGates {
  ok: boolean;
  /** The last check (the passing one, or the last failing one at the timeout). */
  last: GateCheck;
  /** From the call until the gates had held for the stability window (or until the timeout). */
  waitedMs: number;
}

/**
 * Waits until every gate has passed continuously, with the same leader, for `stableMs`; any failure or leader change
 * restarts the window. At the timeout `ok` is false and `last.failed` names the gate that kept failing.
 */
export async function waitForStableGates(tier: GateTier, options: StableGatesOptions): Promise<StableGates> {
  const started = Date.now();
  const interval = options.intervalMs ?? 500;
  let since: number | undefined;
  let leader: number | undefined;
  for (;;) {
    const check = await checkGates(tier);
    options.onCheck?.(check);
    if (!check.ok) since = undefined;
    else if (since === undefined || check.leaderSlot !== leader) since = check.at;
    leader = check.leaderSlot;
    if (since !== undefined && Date.now() - since >= options.stableMs) return { ok: true, last: check, waitedMs: Date.now() - started };
    if (Date.now() - started >= options.timeoutMs) return { ok: false, last: check, waitedMs: Date.now() - started };
    await sleep(interval);
  }
}

/**
 * One write through a load-balanced master URL (an NLB, or any master: followers proxy to the leader): assign, upload
 * to the assigned volume server with the assignment's JWT, read back.
 */
export async function writeThrough(baseUrl: string, timeoutMs = 3000): Promise<WriteProbe> {
  const answer = await request(`${baseUrl}${ENDPOINTS.dirAssign}`, { timeoutMs });
  const body = jsonOf<{ fid?: string; url?: string }>(answer);
  if (answer.status !== 200 || !body?.fid || !body.url) {
    return { ok: false, detail: `assign through ${baseUrl}: ${answer.status === -1 ? answer.error : `HTTP ${answer.status} ${answer.body.trim()}`}` };
  }
  const problem = await uploadAndReadBack(body.url, body.fid, bearerToken(answer.headers.get("authorization")), timeoutMs);
  return problem ? { ok: false, detail: problem } : { ok: true, detail: `wrote and read back ${body.fid} on ${body.url}` };
}
