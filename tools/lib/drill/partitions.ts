/**
 * Network partitions (nftables inside the drill's own network namespace, see tools/lib/cluster/partition.ts):
 *
 * - `leader-partitioned`: the leader is cut off from every other master but still reachable by volume servers and
 *   clients. Passes when the majority elects a new leader, the isolated master stops handing out file ids, writes
 *   resume within {@link partitionWriteBoundMs}, and after healing there is exactly one leader, followed by the old
 *   one. The runner checks that no file id was handed out twice (the isolated master's ones included).
 * - `follower-partitioned`: one follower is cut off from every other master. Passes when the leader stays (or one
 *   clean election happens), writes through the others keep working, and one leader remains after healing.
 * - `asymmetric`: the leader can send to one follower but not receive from it (the follower's connections towards
 *   the leader carry nothing; the leader's towards the follower work). Same pass conditions.
 */
import { poll, sleep } from "../cluster/http";
import { applyCuts, Cut, heal, isolate } from "../cluster/partition";
import type { LocalCluster } from "../localCluster";
import { partitionWriteBoundMs } from "./bounds";
import { atMostOneLeader, settledLeader, writesBackSince, writeWorks } from "./steps";
import { electionBoundMs, expect, Scenario, ScenarioMeasurements } from "./types";

/** How long writes are watched through a partition of a follower: many heartbeat timeouts, so an election would show. */
const OBSERVE_MS = 8000;

/** Heals, then waits for one leader that every master (the cut-off ones included) follows; returns it. */
async function healAndSettle(cluster: LocalCluster, since: number, result: ScenarioMeasurements & { extra: Record<string, number> }): Promise<number> {
  heal(cluster);
  const healed = Date.now();
  const all = cluster.masters.map((m) => m.slot);
  const leader = await poll(async () => {
    const statuses = await Promise.all(all.map((s) => cluster.statusOf(s)));
    const leaders = statuses.filter((s) => s.isLeader);
    expect(leaders.length <= 1, `two leaders at once after healing: ${leaders.map((s) => `master-${s.slot}`).join(", ")}`);
    return leaders.length === 1 && statuses.every((s) => s.leaderSlot === leaders[0].slot) ? leaders[0].slot : undefined;
  }, electionBoundMs(cluster));
  expect(leader !== undefined, "no single leader followed by every master after healing the partition");
  result.extra.oneLeaderAfterHealMs = Date.now() - healed;
  result.extra.partitionMs = healed - since;
  return leader;
}

/** Writes through every master but `avoid`, for `ms`: each must work. Returns how many did. */
async function writesKeepWorking(cluster: LocalCluster, avoid: number[], ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let count = 0;
  while (Date.now() < deadline) {
    await atMostOneLeader(cluster);
    const via = cluster.liveSlots().filter((s) => !avoid.includes(s))[count % (cluster.liveSlots().length - avoid.length)];
    const write = await writeWorks(cluster, via);
    expect(write.ok, `a write through master-${via} failed during the partition: ${write.why}`);
    count++;
    await sleep(200);
  }
  return count;
}

/** Leadership changes seen while `run` runs (sampled every 100 ms among the majority side). */
async function countElections(cluster: LocalCluster, among: () => number[], run: () => Promise<void>): Promise<{ changes: number; run: Promise<void> }> {
  let last = await cluster.leader();
  let changes = 0;
  let done = false;
  const watcher = (async () => {
    while (!done) {
      const leaders = await cluster.leaders(among());
      if (leaders.length === 1 && leaders[0] !== last) {
        changes++;
        last = leaders[0];
      }
      await sleep(100);
    }
  })();
  const running = run().finally(() => {
    done = true;
  });
  await running;
  await watcher;
  return { changes, run: running };
}

export const leaderPartitioned: Scenario = {
  id: "leader-partitioned",
  title: "leader cut off from the other masters (not from volume servers): new leader, isolated one stops assigning, writes resume, one leader after healing",
  watchdogBaseline: true,
  needsNetworkNamespace: true,
  async run({ cluster, step }) {
    const old = await settledLeader(cluster);
    const others = cluster.masters.map((m) => m.slot).filter((s) => s !== old);
    step(`cutting leader master-${old} off from masters ${others.join(", ")}`);
    const since = Date.now();
    applyCuts(cluster, isolate(cluster, old), [old]);
    const result: ScenarioMeasurements & { extra: Record<string, number>; notes: string[] } = { extra: {}, notes: [] };

    const leader = await cluster.waitForLeader({ among: others, timeoutMs: electionBoundMs(cluster) });
    expect(leader !== undefined, `no leader among the majority (${others.join(", ")}) after cutting off master-${old}`);
    result.newLeaderMs = Date.now() - since;
    cluster.timeline?.interval("new leader", since, since + result.newLeaderMs);
    step(`master-${leader} leads the majority after ${result.newLeaderMs} ms; the isolated master must stop assigning`);

    // Probed as a real client would use it: assign, then write at once. SeaweedFS learns the file-key high-water mark
    // only from volume servers, so an id the isolated master hands out and nobody writes could be issued again by
    // the new leader (docs/failover.md).
    const stopped = await poll(async () => {
      const answer = await cluster.assign(old, { timeoutMs: 1000 });
      return answer.ok ? undefined : true;
    }, electionBoundMs(cluster), 200);
    expect(stopped, `isolated master-${old} still hands out file ids ${electionBoundMs(cluster)} ms after the cut`);
    result.extra.isolatedStopsAssigningMs = Date.now() - since;
    step(`isolated master-${old} refuses assignments after ${result.extra.isolatedStopsAssigningMs} ms; waiting for writes through the majority`);

    const bound = partitionWriteBoundMs(cluster);
    result.writesBackMs = await writesBackSince(cluster, leader, since, bound - (Date.now() - since));
    cluster.timeline?.interval("write outage", since, since + result.writesBackMs);
    step(`writes back after ${result.writesBackMs} ms (bound ${bound} ms); the isolated master still refuses?`);
    const stillRefuses = await cluster.assign(old, { timeoutMs: 1000 });
    expect(!stillRefuses.ok, `isolated master-${old} handed out ${stillRefuses.fid} while cut off from the majority`);

    const after = await healAndSettle(cluster, since, result);
    step(`healed: one leader master-${after}, followed by all (${result.extra.oneLeaderAfterHealMs} ms after healing)`);
    await settledLeader(cluster);
    return result;
  },
};

/** follower-partitioned and asymmetric share their checks; only the cut differs. */
function partialPartition(id: string, title: string, cutsOf: (cluster: LocalCluster, leader: number, victim: number) => Cut[]): Scenario {
  return {
    id,
    title,
    watchdogBaseline: true,
    needsNetworkNamespace: true,
    async run({ cluster, step }) {
      const leader = await settledLeader(cluster);
      const victim = [...cluster.liveSlots()].reverse().find((s) => s !== leader)!;
      const cuts = cutsOf(cluster, leader, victim);
      step(`leader master-${leader}; cutting ${cuts.map((c) => `master-${c.from} -> master-${c.to}`).join(", ")}`);
      const since = Date.now();
      const result: ScenarioMeasurements & { extra: Record<string, number>; notes: string[] } = { extra: {}, notes: [] };
      let writes = 0;
      const majority = () => cluster.liveSlots().filter((s) => s !== victim);
      const { changes } = await countElections(cluster, majority, async () => {
        applyCuts(cluster, cuts, [victim]);
        writes = await writesKeepWorking(cluster, [victim], OBSERVE_MS);
      });
      result.extra.electionsDuringPartition = changes;
      result.extra.writesDuringPartition = writes;
      result.noWriteOutage = true;
      expect(changes <= 1, `${changes} leader changes during the partition of master-${victim}; at most one clean election is allowed`);
      step(`${writes} writes worked during the partition, ${changes} leader change(s); healing`);
      const after = await healAndSettle(cluster, since, result);
      const write = await writeWorks(cluster, after);
      expect(write.ok, `a write through the leader master-${after} failed after healing: ${write.why}`);
      step(`healed: one leader master-${after} (${after === leader ? "unchanged" : `was master-${leader}`}), followed by all`);
      await settledLeader(cluster);
      return result;
    },
  };
}

export const followerPartitioned = partialPartition(
  "follower-partitioned",
  "a follower cut off from the other masters: leader kept or one clean election, writes continue, one leader after healing",
  (cluster, _leader, victim) => isolate(cluster, victim),
);

export const asymmetricPartition = partialPartition(
  "asymmetric",
  "the leader can send to one follower but not receive from it: leader kept or one clean election, writes continue, one leader after healing",
  (_cluster, leader, victim) => [{ from: victim, to: leader }],
);
