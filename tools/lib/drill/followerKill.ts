/** c. Follower killed: the leader stays, writes (assign, upload, read back) continue without a pause. */
import { sleep } from "../cluster/http";
import { followerOf, settledLeader, writeWorks } from "./steps";
import { expect, Scenario } from "./types";

/** Longer than several hashicorp heartbeat timeouts: long enough for a needless election to show. */
const OBSERVE_MS = 3000;

export const followerKill: Scenario = {
  id: "follower-kill",
  letter: "c",
  title: "follower SIGKILL: leader unchanged, assignments continue",
  async run({ cluster, step }) {
    const leader = await settledLeader(cluster);
    const victim = [...cluster.liveSlots()].reverse().find((s) => s !== leader)!;
    step(`SIGKILL follower master-${victim}`);
    await cluster.kill(victim, "SIGKILL");
    const deadline = Date.now() + OBSERVE_MS;
    let assigned = 0;
    while (Date.now() < deadline) {
      const leaders = await cluster.leaders();
      expect(leaders.length === 1 && leaders[0] === leader, `leaders [${leaders.join(", ")}] after losing a follower, expected [${leader}]`);
      const write = await writeWorks(cluster, followerOf(cluster, leader));
      expect(write.ok, `a write failed after losing a follower: ${write.why}`);
      assigned++;
      await sleep(200);
    }
    step(`leader master-${leader} kept, ${assigned} writes worked; restarting master-${victim}`);
    await cluster.start(victim);
    const after = await settledLeader(cluster);
    expect(after === leader, `leadership moved to master-${after} when the follower came back`);
    return {};
  },
};
