/** Steps several scenarios share: measuring a failover, waiting for writes through a follower, full recovery. */
import type { LocalCluster } from "../localCluster";
import { poll } from "../cluster/http";
import { electionBoundMs, expect, ScenarioContext } from "./types";

/** Warm-up after a leader change is 15 s in SeaweedFS 4.44; writes get this long to come back. */
export const WRITES_BACK_BOUND_MS = 60_000;

/** A live master other than `leader` (followers proxy `/dir/assign` to the leader, as the NLB would use them). */
export function followerOf(cluster: LocalCluster, leader: number): number {
  const follower = cluster.liveSlots().find((slot) => slot !== leader);
  expect(follower !== undefined, `no live follower next to leader master-${leader}`);
  return follower;
}

/** The current leader once the cluster has settled. */
export async function settledLeader(cluster: LocalCluster): Promise<number> {
  return cluster.waitForQuorum(electionBoundMs(cluster));
}

/**
 * Times a failover that began at `since`: until a leader other than `failed` exists, then until `/dir/assign`
 * through one of its followers succeeds.
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
  step(`master-${leader} leads after ${newLeaderMs} ms; waiting for /dir/assign through a follower`);
  const writesBackMs = await writesBackSince(cluster, leader, since);
  step(`writes back after ${writesBackMs} ms`);
  return { leader, newLeaderMs, writesBackMs };
}

/** Polls `/dir/assign` through a follower of `leader` until it succeeds; ms since `since`. */
export async function writesBackSince(cluster: LocalCluster, leader: number, since: number): Promise<number> {
  const ok = await poll(async () => ((await cluster.assign(followerOf(cluster, leader))).ok ? true : undefined), WRITES_BACK_BOUND_MS, 100);
  expect(ok, `/dir/assign through a follower still failing ${WRITES_BACK_BOUND_MS} ms after the new leader`);
  return Date.now() - since;
}

/** A few assignments through every live master: each must succeed. */
export async function assignThroughEveryMaster(cluster: LocalCluster): Promise<void> {
  for (const slot of cluster.liveSlots()) {
    const answer = await cluster.assign(slot);
    expect(answer.ok, `/dir/assign through master-${slot} failed: HTTP ${answer.status} ${answer.body}`);
    expect(answer.written, `writing to ${answer.fid} (assigned through master-${slot}) failed`);
  }
}

/** Brings every process back (thawing frozen ones) and waits for an agreed leader and writes. */
export async function recover(cluster: LocalCluster): Promise<void> {
  for (const m of cluster.masters) if (m.process.running && !cluster.liveSlots().includes(m.slot)) await cluster.kill(m.slot, "SIGCONT");
  await cluster.start(undefined, 120_000);
}
