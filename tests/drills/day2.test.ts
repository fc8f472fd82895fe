/**
 * The day-2 slot-rebuild drills on the dev stack's real 3-master cluster, inside npm test (~1 min): a follower's and
 * then the leader's `-mdir` wiped and the slot restarted with the same identity through the rollout engine, with a
 * client writing throughout; then every master down and the first peer back blank and alone. Each scenario throws
 * when the cluster forks, loses a blob, stops writes beyond one election, refuses a write once its gates pass, or
 * holds other elections than predicted; here the harness's own ledgers are checked as well. The slower rolling
 * upgrade (4.44 -> 4.48 -> 4.44) runs from .ci/run (`npm run drill -- --suite day2`).
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { blankFirstPeer, slotRebuild } from "../../tools/lib/drill/day2";
import { sharedDrillCluster } from "../support/sharedDrillCluster";

describe("day-2 slot rebuilds on the dev masters (real weed)", { timeout: 300_000 }, () => {
  const dev = sharedDrillCluster({ stack: "dev", failureContextLines: 15 });
  const { drill } = dev;

  it("re-admits a blank follower and then a blank leader with the same identity, writes read back", async () => {
    const measured = await drill(slotRebuild);
    const extra = measured.extra ?? {};
    assert.ok(extra.blobsVerified > 0, "blobs were written and read back");
    for (const key of ["followerRebuildWriteOutageMs", "leaderRebuildWriteOutageMs", "leaderRebuildElections"]) assert.ok(key in extra, `measured figures lack ${key}: ${JSON.stringify(extra)}`);
    assert.deepEqual(dev.cluster.fileIds.duplicates, []);
    assert.deepEqual(dev.cluster.maxVolumeIds.regressions, []);
  });

  it("comes back as the same cluster when the first peer returns blank and alone", async () => {
    await drill(blankFirstPeer);
    assert.deepEqual(dev.cluster.fileIds.duplicates, []);
    assert.deepEqual(dev.cluster.maxVolumeIds.regressions, []);
  });
});
