/**
 * How a running master tier changes its raft membership (a change of `masterCount`), written once for the plan,
 * the program's guard, the policy pack, the drills and the runbook.
 *
 * Why this order (SeaweedFS 4.44, `-raftHashicorp`, read in the source and proven by the `scale-out` / `scale-in`
 * drills): hashicorp raft keeps membership in its replicated log and changes it one server at a time
 * (`AddVoter` / `RemoveServer`, reached through `weed shell` `cluster.raft.add` / `cluster.raft.remove`), so every
 * intermediate configuration keeps a live majority as long as one member changes per step. Two SeaweedFS behaviours
 * fix the rest of the order:
 * - `-peers` is read at a master's start, and a master that started on existing state reconciles the configuration
 *   to its own `-peers` the first time it becomes leader (`updatePeers()`, `weed/server/raft_hashicorp.go`): it adds
 *   every listed member that is missing (even a stopped one) and removes every unlisted one. So no election may be
 *   won by a master with the old list: the kept masters are rolled followers first, the leader last, and in a
 *   scale-in leadership is first handed to a kept master (a leaving leader would otherwise trigger an election that
 *   a not-yet-rolled master can win and re-add the members already removed).
 * - A leader admits every master that connects to it and is not a member (`AdmitRaftPeer`, `master_server.go`),
 *   whatever its `-peers`: a new member joins on its own, and a removed member still running re-joins the next time
 *   its client reconnects. So a leaving master is stopped right after its removal, while the leader is stable.
 * Changing `-peers` on every master at once (a full restart) loses quorum for the whole restart.
 */
import { GRPC_PORT_OFFSET } from "./constants";
import { isValidMasterCount, quorumOf } from "./quorum";

/** One step of a membership change, in the order it must run. */
export type MembershipStep =
  /** Start a new slot's master with the new peer list (empty `-mdir`: it cannot campaign, the leader admits it). */
  | { action: "start-member"; slot: number }
  /** `cluster.raft.add` the slot as a voter (4.44's leader admits a newcomer on its own; the step makes sure). */
  | { action: "add-voter"; slot: number }
  /** When a leaving slot leads, `cluster.raft.transferLeader` to kept slot `slot` (one planned election). */
  | { action: "keep-leader"; slot: number }
  /** `cluster.raft.remove` the slot (never the leader: see keep-leader). */
  | { action: "remove-voter"; slot: number }
  /** Stop a removed slot's master for good (after its removal, so the configuration never counts it while down). */
  | { action: "stop-member"; slot: number }
  /** Restart a kept slot's master on the new peer list (same `-mdir`, same address); followers first, leader last. */
  | { action: "roll"; slot: number };

export interface MembershipChange {
  from: number;
  to: number;
  kind: "scale-out" | "scale-in";
  /** Slots that join (new numbers above the kept ones; slots are never renumbered). */
  added: number[];
  /** Slots that leave (the highest numbers). */
  removed: number[];
  /** Slots that stay and are rolled onto the new peer list. */
  kept: number[];
  steps: MembershipStep[];
}

/**
 * The steps that take a running tier of `from` masters (slots 0..from-1) to `to`, one member at a time.
 * @throws Error when either count is not one SeaweedFS runs (odd, at least 1) or nothing changes
 */
export function membershipChange(from: number, to: number): MembershipChange {
  for (const [name, count] of [["from", from], ["to", to]] as const) {
    if (!isValidMasterCount(count)) throw new Error(`membership change ${name} ${count} masters: SeaweedFS runs an odd number of masters`);
  }
  if (from === to) throw new Error(`membership change from ${from} to ${to} masters changes nothing`);
  const range = (start: number, end: number) => Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
  const kept = range(0, Math.min(from, to));
  if (to > from) {
    const added = range(from, to);
    return {
      from,
      to,
      kind: "scale-out",
      added,
      removed: [],
      kept,
      steps: [...added.flatMap((slot): MembershipStep[] => [{ action: "start-member", slot }, { action: "add-voter", slot }]), ...kept.map((slot): MembershipStep => ({ action: "roll", slot }))],
    };
  }
  const removed = range(to, from).reverse();
  return {
    from,
    to,
    kind: "scale-in",
    added: [],
    removed,
    kept,
    steps: [
      { action: "keep-leader", slot: kept[0] },
      ...removed.flatMap((slot): MembershipStep[] => [{ action: "remove-voter", slot }, { action: "stop-member", slot }]),
      ...kept.map((slot): MembershipStep => ({ action: "roll", slot })),
    ],
  };
}

/** One line per step, as the plan, the guard and the runbook print them; `addressOf` gives a slot's `host:port` when known. */
export function describeStep(step: MembershipStep, peers: string, addressOf: (slot: number) => string | undefined = () => undefined): string {
  const id = addressOf(step.slot) ?? `<slot ${step.slot} host:port>`;
  const grpc = addressOf(step.slot)?.replace(/:(\d+)$/, (_, port: string) => `:${Number(port) + GRPC_PORT_OFFSET}`) ?? "<host:grpcPort>";
  switch (step.action) {
    case "start-member":
      return `start slot ${step.slot}'s master with -peers=${peers} (empty -mdir) and wait until it names the leader`;
    case "add-voter":
      return `weed shell: cluster.raft.add -id ${id} -address ${grpc} -voter (skip if cluster.raft.ps lists it); wait for healthz 200 everywhere`;
    case "keep-leader":
      return `if the leader is a leaving slot, weed shell: cluster.raft.transferLeader -id ${id} -address ${grpc}; wait for one agreed leader and a write`;
    case "remove-voter":
      return `weed shell: cluster.raft.remove -id ${id}; wait until cluster.raft.ps no longer lists it and one leader is agreed`;
    case "stop-member":
      return `stop slot ${step.slot}'s master for good right away (systemctl stop seaweedfs-master / delete the pod), before its client reconnects and the leader re-admits it`;
    case "roll":
      return `restart slot ${step.slot}'s master with -peers=${peers} (same -mdir and address), followers first, the leader last; gate: healthz 200 everywhere, one leader, raft peers as expected, a write`;
  }
}

/** The change as numbered lines: a title, then one line per step ({@link describeStep}). */
export function describeChange(change: MembershipChange, peers: string, addressOf?: (slot: number) => string | undefined): string[] {
  return [
    `raft membership change ${change.from} -> ${change.to} masters (${change.kind}), one step at a time, each gated:`,
    ...change.steps.map((step, i) => `  ${i + 1}. ${describeStep(step, peers, addressOf)}`),
  ];
}

/**
 * Raft voters in the configuration and live voters after each step, for a cluster that runs every member it should;
 * a rolled master counts as down while it restarts. Used to show (and test) that every step keeps a live majority.
 */
export function quorumAlongTheWay(change: MembershipChange): { step: MembershipStep; voters: number; liveDuringStep: number; quorum: number }[] {
  const voters = new Set(Array.from({ length: change.from }, (_, i) => i));
  const running = new Set(voters);
  return change.steps.map((step) => {
    if (step.action === "start-member") running.add(step.slot);
    if (step.action === "add-voter") voters.add(step.slot);
    if (step.action === "remove-voter") voters.delete(step.slot);
    if (step.action === "stop-member") running.delete(step.slot);
    const down = step.action === "roll" ? step.slot : undefined;
    const liveDuringStep = [...voters].filter((v) => running.has(v) && v !== down).length;
    return { step, voters: voters.size, liveDuringStep, quorum: quorumOf(voters.size) };
  });
}

/** The membership change from a deployment's slots (the `slots` output) to `masterCount`; undefined when none. */
export function membershipChangeSince(previousSlots: readonly number[], masterCount: number): MembershipChange | undefined {
  const deployed = new Set(previousSlots).size;
  if (deployed === 0 || deployed === masterCount || !isValidMasterCount(deployed) || !isValidMasterCount(masterCount)) return undefined;
  return membershipChange(deployed, masterCount);
}

/**
 * Why a deployment may not apply `change` yet, or undefined. A scale-in deletes the leaving slots' masters; unless
 * they were taken out of raft first (listed in `removedFromRaft`), the configuration keeps counting them as voters and
 * the next restart of any other master loses quorum (5 voters, 3 running, one restarting: 2 < 3). A scale-out is
 * safe to apply: the new slots' masters start with the new peer list and the leader admits them; the kept ones are
 * then rolled with the rollout.
 */
export function membershipChangeProblem(change: MembershipChange, removedFromRaft: readonly number[]): string | undefined {
  if (change.kind === "scale-out") return undefined;
  const pending = change.removed.filter((slot) => !removedFromRaft.includes(slot));
  if (pending.length === 0) return undefined;
  const voters = change.from - (change.removed.length - pending.length);
  const running = voters - pending.length;
  return (
    `shrinks the deployed ${change.from} masters to ${change.to}: this update would delete slot(s) ${pending.join(", ")} while raft still counts them as voters; ` +
    `with ${running} of ${voters} voters running, restarting one more master (the rollout of -peers) leaves ${running - 1} < quorum ${quorumOf(voters)}`
  );
}
