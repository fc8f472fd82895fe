/**
 * The dev stack's masters as a real local SeaweedFS cluster go 3 -> 5 -> 3 through the documented membership steps
 * (the `scale-out` and `scale-in` drills: quorum sampled every 200 ms, writes throughout, same TopologyId, no
 * duplicate file id), and the quorum watch itself reports a lost majority when one is really lost. About 2.5 min.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { LocalCluster } from "../../tools/lib/localCluster";
import { raftMembers } from "../../tools/lib/rollout/membership";
import { QuorumWatch } from "../../tools/lib/drill/quorumWatch";
import { scaleIn, scaleOut } from "../../tools/lib/drill/scale";
import { recover } from "../../tools/lib/drill/steps";
import { sleep } from "../../tools/lib/cluster/http";

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

  it("scale-out 3 -> 5 passes and leaves five voters, every one of them a running master", async () => {
    const original = cluster.masters.map((m) => m.address);
    await scaleOut.run({ cluster, step: (line) => steps.push(`scale-out: ${line}`) });
    const members = await raftMembers(cluster);
    assert.equal(members?.members.length, 5);
    assert.ok(original.every((a) => members.members.includes(a)), `an original member is gone: ${members.members.join(", ")}`);
  });

  it("scale-in 5 -> 3 passes, the leaving masters are stopped and the original three remain", async () => {
    await scaleIn.run({ cluster, step: (line) => steps.push(`scale-in: ${line}`) });
    assert.deepEqual(cluster.masters.map((m) => m.slot).sort(), [0, 1, 2]);
    const members = await raftMembers(cluster);
    assert.deepEqual(members?.members, cluster.masters.map((m) => m.address).sort());
  });

  it("negative control: the quorum watch reports a lost majority when two of three masters stop", async () => {
    await recover(cluster);
    const watch = new QuorumWatch(cluster).start();
    await sleep(600);
    assert.equal(watch.lost.length, 0, `quorum reported lost on a healthy cluster: ${watch.lost.join("; ")}`);
    const [a, b] = cluster.masters.map((m) => m.slot);
    await Promise.all([cluster.kill(a, "SIGKILL"), cluster.kill(b, "SIGKILL")]);
    await sleep(600);
    await watch.stop();
    assert.ok(watch.lost.length > 0, "two of three masters down and the watch saw no lost quorum");
    await recover(cluster);
  });
});
