/** Steps several scenarios share: measuring a failover, waiting for writes through a follower, full recovery. */
import type { LocalCluster } from "../localCluster";
import { poll, sleep } from "../cluster/http";
import { raftStatsOf } from "../cluster/raftStats";
import { heal } from "../cluster/partition";
import { DrillFailure, electionBoundMs, expect, ScenarioContext } from "./types";

/** Warm-up after a leader change is 15 s in SeaweedFS 4.44; writes get this long to come back. */
export const WRITES_BACK_BOUND_MS = 60_000;

/**
 * A live master other than `leader` and `avoid` (followers proxy `/dir/assign` to the leader, as the NLB would use
 * them); cut-off masters count as not live.
 */
export function followerOf(cluster: LocalCluster, leader: number, avoid: readonly number[] = cluster.partitionedSlots()): number {
  const follower = cluster.liveSlots().find((slot) => slot !== leader && !avoid.includes(slot));
  expect(follower !== undefined, `no live follower next to leader master-${leader}`);
  return follower;
}

/**
 * The leader once the cluster has held still for `holdMs`: the same settled leader (every master names it, every
 * `/cluster/healthz` 200) at every look, and, where the masters serve hashicorp's `/raft/stats`, the same term on all
 * and the same last log index (every follower caught up). A master restarted a moment ago can still start a vote a
 * few election timeouts later, and a fault injected before then measures that vote as much as the fault.
 */
export async function steadyLeader(cluster: LocalCluster, holdMs: number): Promise<number> {
  const boundMs = holdMs + electionBoundMs(cluster, 4);
  const began = Date.now();
  let steadySince: number | undefined;
  let steady: number | undefined;
  while (Date.now() - began < boundMs) {
    const leader = await settledLeader(cluster);
    const stats = await Promise.all(cluster.liveSlots().map((s) => raftStatsOf(cluster, s)));
    const known = stats.filter((x) => x !== undefined);
    const caughtUp = known.length < stats.length || known.every((x) => x.term === known[0].term && x.lastLogIndex === known[0].lastLogIndex);
    if (!caughtUp || leader !== steady) steadySince = caughtUp ? Date.now() : undefined;
    steady = caughtUp ? leader : undefined;
    if (steadySince !== undefined && Date.now() - steadySince >= holdMs) return leader;
    await sleep(250);
  }
  throw new DrillFailure(`the cluster did not hold still (one leader, every follower caught up) for ${holdMs} ms within ${boundMs} ms`);
}

/** The current leader once the cluster has settled. */
export async function settledLeader(cluster: LocalCluster): Promise<number> {
  return cluster.waitForQuorum(electionBoundMs(cluster));
}

/**
 * The settled leader, once every volume server heartbeats to it (its topology lists them all). The harness's start
 * waits for one working write, and one volume server is enough for that: another may still be on its way to the
 * leader (5 s after a refused heartbeat, 3 s before following a redirect). A fault whose effect depends on where the
 * volume servers heartbeat (a frozen leader keeps theirs) starts only once they all do so to the leader.
 */
export async function leaderOfEveryVolumeServer(cluster: LocalCluster): Promise<number> {
  let missing: string[] = [];
  let leader: number | undefined;
  const boundMs = electionBoundMs(cluster);
  const ready = await poll(async () => {
    leader = await settledLeader(cluster);
    const known = await cluster.volumeServersKnownTo(leader);
    missing = cluster.volumeServerAddresses.filter((address) => !known.includes(address));
    return missing.length === 0 ? leader : undefined;
  }, boundMs, 200);
  expect(ready !== undefined, `volume server(s) ${missing.join(", ")} not heartbeating to leader master-${leader} within ${boundMs} ms`);
  return ready;
}

/**
 * Times a failover that began at `since`: until a leader other than `failed` exists, then until a write through
 * one of its followers works (assign, upload to the assigned volume server, read back byte-identical).
 */
export async function measureFailover(
  { cluster, step }: ScenarioContext,
  failed: number[],
  since: number,
): Promise<{ leader: number; newLeaderMs: number; writesBackMs: number }> {
  step("waiting for a new leader");
  const leader = await cluster.waitForLeader({ exclude: failed, timeoutMs: electionBoundMs(cluster) });
  expect(leader !== undefined, `no new leader within ${electionBoundMs(cluster)} ms after losing master(s) ${failed.join(", ")}`);
  const newLeaderMs = Date.now() - since;
  step(`master-${leader} leads after ${newLeaderMs} ms; waiting for a write through a follower`);
  const writesBackMs = await writesBackSince(cluster, leader, since);
  step(`writes back after ${writesBackMs} ms`);
  return { leader, newLeaderMs, writesBackMs };
}

/** One write through `via`: assign, upload to the assigned volume server, read back byte-identical. */
export async function writeWorks(cluster: LocalCluster, via: number): Promise<{ ok: boolean; why: string }> {
  const answer = await cluster.assign(via);
  return { ok: answer.stored, why: answer.writeError ?? `assign through master-${via}: HTTP ${answer.status} ${answer.body}` };
}

/** Polls a write through a follower of `leader` until it works; ms since `since`. */
export async function writesBackSince(cluster: LocalCluster, leader: number, since: number, boundMs = WRITES_BACK_BOUND_MS): Promise<number> {
  let last = "";
  const ok = await poll(async () => {
    const write = await writeWorks(cluster, followerOf(cluster, leader));
    last = write.why;
    return write.ok ? true : undefined;
  }, boundMs, 100);
  expect(ok, `a write through a follower still failing ${boundMs} ms after the new leader (last: ${last})`);
  return Date.now() - since;
}

/**
 * After `frozen`'s process was SIGSTOPped: the one leader among the masters that run (the frozen process never
 * counts), within `timeoutMs`. That may be `frozen`'s own slot once the watchdog (AWS) or the liveness probe
 * (Kubernetes) has replaced the frozen process: when the others' election has not finished by then (a follower
 * that just rejoined refuses votes while it still knows the old leader), the restarted master, holding the
 * freshest log, can win it. Returns the leader and whether it is such a replacement.
 */
export async function leaderAfterFreeze(cluster: LocalCluster, frozen: number, timeoutMs: number): Promise<{ leader: number; replacedFrozen: boolean } | undefined> {
  const leader = await cluster.waitForLeader({ timeoutMs });
  return leader === undefined ? undefined : { leader, replacedFrozen: leader === frozen };
}

/**
 * After a freeze of `old`: one leader among every master, followed by `old`'s slot, which may lead itself only when
 * its frozen process was replaced (`mayLead`). Resolves with the leader, or undefined after `timeoutMs`.
 */
export async function oneLeaderFollowedBy(cluster: LocalCluster, old: number, mayLead: boolean, timeoutMs: number): Promise<number | undefined> {
  const all = cluster.masters.map((m) => m.slot);
  return poll(async () => {
    await atMostOneLeader(cluster, all);
    const leaders = await cluster.leaders(all);
    const status = await cluster.statusOf(old);
    return leaders.length === 1 && (mayLead || !status.isLeader) && status.leaderSlot === leaders[0] ? leaders[0] : undefined;
  }, timeoutMs);
}

/** Fails the scenario when two of `slots` (default: live masters) claim leadership at once. */
export async function atMostOneLeader(cluster: LocalCluster, slots = cluster.liveSlots()): Promise<void> {
  const leaders = await cluster.leaders(slots);
  expect(leaders.length <= 1, `two leaders at once: ${leaders.map((s) => `master-${s}`).join(", ")}`);
}

/** A write (assign, upload, read back) through every live master: each must work. */
export async function assignThroughEveryMaster(cluster: LocalCluster): Promise<void> {
  for (const slot of cluster.liveSlots()) {
    const write = await writeWorks(cluster, slot);
    expect(write.ok, `a write through master-${slot} failed: ${write.why}`);
  }
}

/** Brings every process back (thawing frozen ones, healing a partition) and waits for an agreed leader and writes. */
export async function recover(cluster: LocalCluster): Promise<void> {
  if (cluster.partitionedSlots().length > 0) heal(cluster);
  for (const m of cluster.masters) if (m.process.running && !cluster.liveSlots().includes(m.slot)) await cluster.kill(m.slot, "SIGCONT");
  await cluster.start(undefined, 120_000);
}
