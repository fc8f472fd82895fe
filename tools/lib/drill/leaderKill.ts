/** b. Leader killed: a new leader, writes back through a follower, the old leader rejoins as a follower. */
import { poll } from "../cluster/http";
import { measureFailover, settledLeader } from "./steps";
import { electionBoundMs, expect, Scenario } from "./types";

export const leaderKill: Scenario = {
  id: "leader-kill",
  letter: "b",
  title: "leader SIGKILL: new leader, writes back via a follower, old leader rejoins",
  baseline: true,
  async run(context) {
    const { cluster, step } = context;
    const old = await settledLeader(cluster);
    step(`SIGKILL leader master-${old}`);
    const since = Date.now();
    await cluster.kill(old, "SIGKILL");
    const { leader, newLeaderMs, writesBackMs } = await measureFailover(context, [old], since);
    step(`restarting master-${old} on its own -mdir`);
    const restarted = Date.now();
    await cluster.start(old);
    const rejoined = await poll(async () => {
      const status = await cluster.statusOf(old);
      return status.reachable && !status.isLeader && status.leaderSlot === leader ? true : undefined;
    }, electionBoundMs(cluster));
    expect(rejoined, `master-${old} did not rejoin as a follower of master-${leader}`);
    const rejoinMs = Date.now() - restarted;
    const leaders = await cluster.leaders();
    expect(leaders.length === 1 && leaders[0] === leader, `after the rejoin, leaders are [${leaders.join(", ")}], expected [${leader}]`);
    step(`master-${old} follows master-${leader} after ${rejoinMs} ms`);
    return { newLeaderMs, writesBackMs, extra: { rejoinMs } };
  },
};
