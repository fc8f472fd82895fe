/**
 * The dev stack's masters as a real local SeaweedFS cluster go 3 -> 5 -> 3 through the documented membership steps
 * (the `scale-out` and `scale-in` drills: quorum sampled every 200 ms, writes throughout, same TopologyId, no
 * duplicate file id, leader changes exactly as planned), and the quorum watch itself reports a lost majority and a
 * period without a leader when they really happen. About 2.5 min.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ENDPOINTS } from "../../infra/seaweed/constants";
import { LocalCluster } from "../../tools/lib/localCluster";
import { raftMembers } from "../../tools/lib/rollout/membership";
import { QuorumWatch } from "../../tools/lib/drill/quorumWatch";
import { scaleIn, scaleOut } from "../../tools/lib/drill/scale";
import { recover } from "../../tools/lib/drill/steps";
import { request, sleep } from "../../tools/lib/cluster/http";

describe("dev masters change membership 3 -> 5 -> 3 on a real local cluster", { timeout: 480_000 }, () => {
  let cluster: LocalCluster;
  const steps: string[] = [];
  before(async () => {
    // The watchdog is not what is drilled here; without it the run is lighter on a shared machine.
    cluster = await LocalCluster.start({ stack: "dev", watchdog: false, log: (line) => steps.push(line) });
  });
  after(async () => {
    await cluster?.stop();
  });

  /** Every raft member is one of the cluster's masters, its process runs, and it answers naming the leader. */
  async function everyMemberARunningMaster(): Promise<string[]> {
    const members = await raftMembers(cluster);
    assert.ok(members, "no single leader to read the raft configuration from");
    assert.deepEqual(members.members, cluster.masters.map((m) => m.address).sort(), "raft members and the running masters differ");
    for (const m of cluster.masters) {
      const status = await cluster.statusOf(m.slot);
      assert.ok(m.process.running && status.reachable && status.leaderSlot === members.leader, `master-${m.slot} (${m.address}) is a voter but not a running master following master-${members.leader}: ${JSON.stringify(status)}`);
    }
    return members.members;
  }

  it("scale-out 3 -> 5 passes and leaves five voters, every one of them a running master", async () => {
    const original = cluster.masters.map((m) => m.address);
    await scaleOut.run({ cluster, step: (line) => steps.push(`scale-out: ${line}`) });
    const members = await everyMemberARunningMaster();
    assert.equal(members.length, 5);
    assert.ok(original.every((a) => members.includes(a)), `an original member is gone: ${members.join(", ")}`);
  });

  it("scale-in 5 -> 3 passes, the leaving masters are stopped and the original three remain", async () => {
    const leaving = cluster.masters.filter((m) => m.slot >= 3);
    assert.equal(leaving.length, 2);
    await scaleIn.run({ cluster, step: (line) => steps.push(`scale-in: ${line}`) });
    for (const m of leaving) {
      const answer = await request(`${m.httpUrl}${ENDPOINTS.clusterStatus}`, { timeoutMs: 1000 });
      assert.ok(!m.process.running && answer.status === -1, `leaving master-${m.slot} still runs or answers (HTTP ${answer.status})`);
    }
    assert.deepEqual(cluster.masters.map((m) => m.slot).sort(), [0, 1, 2]);
    await everyMemberARunningMaster();
  });

  it("negative control: the quorum watch reports a lost majority and a leaderless period when the leader and a follower of three stop", async () => {
    await recover(cluster);
    const watch = new QuorumWatch(cluster).start();
    await sleep(600);
    assert.ok(watch.lost.length === 0 && watch.leaderless.length === 0, `a healthy cluster reported as broken: lost ${watch.lost.join("; ")}, leaderless ${JSON.stringify(watch.leaderless)}`);
    const leader = await cluster.leader();
    const follower = cluster.masters.map((m) => m.slot).find((s) => s !== leader);
    assert.ok(leader !== undefined && follower !== undefined);
    await Promise.all([cluster.kill(leader, "SIGKILL"), cluster.kill(follower, "SIGKILL")]);
    await sleep(600);
    await watch.stop();
    assert.ok(watch.lost.length > 0, "two of three masters down and the watch saw no lost quorum");
    // The survivor is a follower: no master leads from the kill on, a period the watch's stop() closes.
    assert.equal(watch.leaderless.length, 1, `leaderless periods: ${JSON.stringify(watch.leaderless)}`);
    assert.ok(watch.leaderless[0].ms > 0);
    // The cluster is left without quorum on purpose: this is the last test, and after() stops it.
  });
});
