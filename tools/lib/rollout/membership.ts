/**
 * Runs a raft membership change ({@link membershipChange}: start and add the new members, or remove and stop the
 * leaving ones, then roll the kept masters onto the new `-peers`) against a {@link LocalCluster}. Every step is gated
 * by the rollout engine's gates (every master's healthz 200, one leader everyone names, raft membership exactly the
 * expected members, a write and read-back), and the roll of the kept masters is the rollout engine itself with the
 * local back end (followers first, the leader last after a leadership transfer).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { projectKeys } from "../../../infra/config";
import { parseStackConfig } from "../../../infra/platforms";
import { membershipChange, MembershipStep } from "../../../infra/seaweed/membership";
import { GRPC_PORT_OFFSET } from "../../../infra/seaweed/constants";
import { poll } from "../cluster/http";
import { runRollout, stabilityWindowMs } from "./engine";
import { waitForStableGates } from "./gates";
import { localBackend, localGateTier } from "./local";
import { PlannedMaster, planCluster } from "../cluster/plan";
import { weedBinary, weedEnv } from "../cluster/weed";
import type { LocalCluster } from "../localCluster";
import { readStackConfig } from "../stackFiles";

const run = promisify(execFile);

/** A master's gRPC address (`host:grpcPort`) from its raft id (`host:port`). */
function grpcAddress(cluster: LocalCluster, address: string): string {
  return `${address.slice(0, address.lastIndexOf(":"))}:${cluster.plan.settings.port + GRPC_PORT_OFFSET}`;
}

/** The last non-empty line a `weed shell` printed (its answer), or a dash. */
function lastLine(output: string): string {
  return output.trim().split("\n").filter(Boolean).slice(-1)[0] ?? "-";
}

/** How long one gate may take; long enough for an election after a leader's restart (3-17 s seen) plus the warm-up. */
const GATE_TIMEOUT_MS = 90_000;

/**
 * How long the gates must hold after an add, remove or hand-over step: no master restarted, so the rollout's longer
 * window for a rejoining master ({@link stabilityWindowMs}) is not needed; a few heartbeats show the new configuration
 * holds.
 */
const MEMBERSHIP_STABLE_MS = 2000;

/** How often a leadership transfer is asked for before the step fails. */
const TRANSFER_ATTEMPTS = 3;

/** The cluster's stack planned with `count` masters on the same loopback network and run directory. */
export function plannedMembers(cluster: LocalCluster, count: number): PlannedMaster[] {
  const raw = { ...projectKeys(readStackConfig(cluster.stack).config), masterCount: String(count) };
  const config = parseStackConfig(raw, { stack: cluster.stack });
  const raftOverride = cluster.plan.settings.raftImplementation === "goraft" ? { implementation: "goraft" as const, ...cluster.plan.settings.raft } : undefined;
  return planCluster(config, { network: cluster.network, runDir: cluster.runDir, raft: raftOverride, volumeServers: cluster.volumeServers.length }).masters;
}

/**
 * Runs `weed shell` commands against a master (the shell follows it to the leader); returns stdout.
 * @param timeoutMs the shell is killed and the call rejects after this (a shell whose master never answers waits forever)
 */
export async function weedShell(cluster: LocalCluster, via: number, commands: string[], timeoutMs = 30_000): Promise<string> {
  const master = cluster.master(via);
  const child = run(weedBinary(), ["shell", `-master=${master.address}`], { cwd: master.dir, env: weedEnv(master.dir), timeout: timeoutMs });
  child.child.stdin?.end(`${commands.join("\n")}\nexit\n`);
  const { stdout } = await child;
  return stdout;
}

/** Raft members (`host:port` ids) in the leader's configuration, or undefined when no live master leads. */
export async function raftMembers(cluster: LocalCluster): Promise<{ leader: number; members: string[] } | undefined> {
  const statuses = await Promise.all(cluster.liveSlots().map((s) => cluster.statusOf(s)));
  const leaders = statuses.filter((s) => s.isLeader);
  if (leaders.length !== 1) return undefined;
  // Hashicorp raft reports every server id of its configuration, itself included; goraft leaves itself out.
  const members = new Set(leaders[0].peers);
  members.add(cluster.master(leaders[0].slot).address);
  return { leader: leaders[0].slot, members: [...members].sort() };
}

/** Hands leadership to `slot` (`cluster.raft.transferLeader`, hashicorp raft) and waits until it leads. */
export async function transferLeadership(cluster: LocalCluster, slot: number, progress: (line: string) => void): Promise<void> {
  const address = cluster.master(slot).address;
  // Hashicorp raft gives up a transfer after one election timeout when the target lags (seen on a loaded host with
  // 4.48): the leader stays, so asking again after the cluster settles is safe.
  for (let attempt = 1; ; attempt++) {
    const leader = await cluster.waitForQuorum(GATE_TIMEOUT_MS);
    if (leader === slot) return;
    try {
      const out = await weedShell(cluster, leader, [`cluster.raft.transferLeader -id ${address} -address ${grpcAddress(cluster, address)}`]);
      progress(`cluster.raft.transferLeader master-${leader} -> master-${slot}: ${lastLine(out)}`);
      break;
    } catch (error) {
      if (attempt >= TRANSFER_ATTEMPTS) throw error;
      progress(`cluster.raft.transferLeader master-${leader} -> master-${slot} failed (attempt ${attempt}/${TRANSFER_ATTEMPTS}): ${lastLine(error instanceof Error ? error.message : String(error))}`);
    }
  }
  const now = await cluster.waitForLeader({ among: cluster.liveSlots(), timeoutMs: GATE_TIMEOUT_MS });
  if (now !== slot) throw new Error(`master-${slot} does not lead ${GATE_TIMEOUT_MS} ms after cluster.raft.transferLeader (leader: ${now ?? "none"})`);
}

export interface MembershipRun {
  /** Each step with how long it and its gate took. */
  steps: { step: MembershipStep; ms: number }[];
  /** Slots whose master was leader when its turn came (rolled or removed last / at its turn). */
  leaderSteps: string[];
}

/**
 * Takes the cluster from its current member count to `to`, one step at a time, each gated.
 * @param progress one line per step
 */
export async function changeMembership(cluster: LocalCluster, to: number, progress: (line: string) => void): Promise<MembershipRun> {
  const from = cluster.masters.length;
  const change = membershipChange(from, to);
  const target = plannedMembers(cluster, to);
  const targetOf = (slot: number) => target.find((m) => m.slot === slot)!;
  const members = new Set(cluster.masters.map((m) => m.address));
  const result: MembershipRun = { steps: [], leaderSteps: [] };
  const gate = async (stableMs: number) => {
    const gates = await waitForStableGates(localGateTier(cluster, [...members]), { timeoutMs: GATE_TIMEOUT_MS, stableMs });
    if (!gates.ok) throw new Error(`gate ${gates.last.failed?.gate}: ${gates.last.failed?.detail}`);
  };
  const steps = change.steps.filter((s) => s.action !== "roll");
  for (const [index, step] of steps.entries()) {
    const started = Date.now();
    progress(`${change.kind} ${from} -> ${to}, step ${index + 1}/${change.steps.length}: ${step.action} slot ${step.slot}`);
    switch (step.action) {
      case "start-member": {
        await cluster.addMaster(targetOf(step.slot));
        await cluster.start(step.slot);
        const named = await poll(async () => ((await cluster.statusOf(step.slot)).leader ? true : undefined), GATE_TIMEOUT_MS, 200);
        if (!named) throw new Error(`new master-${step.slot} named no leader within ${GATE_TIMEOUT_MS} ms`);
        break;
      }
      case "add-voter": {
        const address = cluster.master(step.slot).address;
        const current = await raftMembers(cluster);
        if (!current?.members.includes(address)) {
          const out = await weedShell(cluster, current?.leader ?? cluster.liveSlots()[0], [`cluster.raft.add -id ${address} -address ${grpcAddress(cluster, address)} -voter`]);
          progress(`cluster.raft.add ${address}: ${lastLine(out)}`);
        } else {
          progress(`${address} is a voter already (the leader admitted it when it connected)`);
        }
        members.add(address);
        await gate(MEMBERSHIP_STABLE_MS);
        break;
      }
      case "keep-leader": {
        const leader = await cluster.waitForQuorum(GATE_TIMEOUT_MS);
        if (!change.removed.includes(leader)) {
          progress(`master-${leader} leads and stays: nothing to hand over`);
          break;
        }
        result.leaderSteps.push(`keep-leader from slot ${leader}`);
        await transferLeadership(cluster, step.slot, progress);
        await gate(MEMBERSHIP_STABLE_MS);
        break;
      }
      case "remove-voter": {
        const address = cluster.master(step.slot).address;
        const via = cluster.liveSlots().find((s) => s !== step.slot)!;
        const out = await weedShell(cluster, via, [`cluster.raft.remove -id ${address}`]);
        progress(`cluster.raft.remove ${address}: ${lastLine(out)}`);
        members.delete(address);
        const gone = await poll(async () => {
          const others = cluster.liveSlots().filter((s) => s !== step.slot);
          const statuses = await Promise.all(others.map((s) => cluster.statusOf(s)));
          const leader = statuses.find((s) => s.isLeader);
          return leader && !leader.peers.includes(address) ? true : undefined;
        }, GATE_TIMEOUT_MS, 200);
        if (!gone) throw new Error(`master-${step.slot} (${address}) is still a raft member ${GATE_TIMEOUT_MS} ms after cluster.raft.remove`);
        break;
      }
      case "stop-member":
        // Right after its removal, while the leader is stable: a running ex-member would be re-admitted on reconnect.
        await cluster.removeMaster(step.slot);
        await gate(MEMBERSHIP_STABLE_MS);
        break;
    }
    result.steps.push({ step, ms: Date.now() - started });
  }
  // The kept masters onto the new -peers: the rollout engine itself, followers first, the leader last.
  const kept = change.kept;
  progress(`${change.kind} ${from} -> ${to}, steps ${steps.length + 1}-${change.steps.length}: roll slots ${kept.join(", ")} onto the new -peers (rollout engine)`);
  const rollout = await runRollout({
    tier: localGateTier(cluster, [...members]),
    backend: localBackend(cluster, (slot) => ({ args: () => targetOf(slot).args })),
    stableMs: stabilityWindowMs(cluster.plan.settings.raft),
    gateTimeoutMs: GATE_TIMEOUT_MS,
    slots: kept,
    progress,
  });
  if (!rollout.passed) throw new Error(`rolling the kept masters onto the new -peers: ${rollout.message}`);
  for (const step of rollout.steps) {
    result.steps.push({ step: { action: "roll", slot: step.slot }, ms: (step.transfer?.ms ?? 0) + (step.replaceMs ?? 0) + (step.gatesMs ?? 0) });
    if (step.wasLeader) result.leaderSteps.push(`roll slot ${step.slot}${step.transfer ? " (leadership transferred first)" : ""}`);
  }
  return result;
}
