/**
 * The prod stack (5 masters, 2/2/1 over three zones) keeps a quorum when a whole zone is lost (scenario e): both
 * masters of the zone that holds the leader are killed at once, and the other three elect a leader and take writes.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { LocalCluster } from "../../tools/lib/localCluster";
import { azLoss } from "../../tools/lib/drill/azLoss";
import { formation } from "../../tools/lib/drill/formation";

describe("prod masters as a real local SeaweedFS cluster", { timeout: 240_000 }, () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start({ stack: "prod" });
  });
  after(async () => {
    await cluster?.stop();
  });

  it("forms one leader over five masters in three zones", async () => {
    await formation.run({ cluster, step: () => {} });
    assert.equal(cluster.masters.length, 5);
    assert.deepEqual(cluster.masters.map((m) => m.ip.split(".")[2]), ["1", "2", "3", "1", "2"]);
  });

  it("survives the loss of the zone holding the leader (e)", async () => {
    const leader = (await cluster.leader())!;
    const zone = cluster.master(leader).az;
    const result = await azLoss.run({ cluster, step: () => {} });
    assert.equal(cluster.masters.filter((m) => m.az === zone).length, 2, "the leader's zone should hold two masters");
    assert.ok(result.newLeaderMs !== undefined && result.writesBackMs !== undefined, "the leader's zone was lost, so a failover should be timed");
    assert.equal((await cluster.leaders()).length, 1);
    assert.deepEqual(cluster.fileIds.duplicates, []);
    assert.deepEqual(cluster.maxVolumeIds.regressions, []);
  });
});
