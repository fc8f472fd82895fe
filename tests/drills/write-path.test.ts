/**
 * "Takes writes" means the whole write path (issue #13, item 2): an assignment alone is not a write. With both
 * volume servers frozen, masters still hand out file ids from the volume layout they hold, so a check that only
 * assigns would pass; every takes-writes check of the drills must fail instead, naming the upload.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { LocalCluster } from "../../tools/lib/localCluster";
import { assignThroughEveryMaster, followerOf, writesBackSince, writeWorks } from "../../tools/lib/drill/steps";
import { DrillFailure } from "../../tools/lib/drill/types";

describe("the drills' write checks upload and read back", { timeout: 120_000 }, () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start({ stack: "dev", watchdog: false });
  });
  after(async () => {
    await cluster?.stop();
  });

  it("a write is assign + upload + byte-identical read-back, and works on a healthy cluster", async () => {
    const leader = (await cluster.leader())!;
    const answer = await cluster.assign(followerOf(cluster, leader));
    assert.ok(answer.ok && answer.written && answer.stored, answer.writeError ?? answer.body);
  });

  it("fails every takes-writes check when uploads fail although assignments still succeed", async () => {
    const leader = (await cluster.leader())!;
    for (const v of cluster.volumeServers) v.signal("SIGSTOP");
    try {
      // The negative control: what the old checks looked at still says yes.
      assert.equal((await cluster.assign(followerOf(cluster, leader), { write: false })).ok, true, "masters should still assign");
      const write = await writeWorks(cluster, followerOf(cluster, leader));
      assert.equal(write.ok, false);
      assert.match(write.why, /upload of \d+,[0-9a-f]+ to 127\.\d+\.100\.\d:8080: HTTP -1/);
      await assert.rejects(assignThroughEveryMaster(cluster), (e: unknown) => e instanceof DrillFailure && /upload of/.test(e.message));
      await assert.rejects(writesBackSince(cluster, leader, Date.now(), 3000), (e: unknown) => e instanceof DrillFailure && /still failing 3000 ms.*upload of/.test(e.message));
      await assert.rejects(cluster.waitWritable(3000), /no write \(assign, upload, read back\) worked within 3000 ms; last: upload of/);
    } finally {
      for (const v of cluster.volumeServers) v.signal("SIGCONT");
    }
  });
});
