/**
 * g. Full restart: every master and volume server stopped, the masters started alone (their raft state is the
 * only source of truth), then the volume servers: same TopologyId, MaxVolumeId not lower, a leader, writes.
 */
import { settledLeader, writesBackSince } from "./steps";
import { electionBoundMs, expect, Scenario } from "./types";

export const fullRestart: Scenario = {
  id: "full-restart",
  letter: "g",
  title: "full restart: same TopologyId, MaxVolumeId not lower, leader elected",
  async run(context) {
    const { cluster, step } = context;
    await settledLeader(cluster);
    const before = await cluster.dirStatus();
    step("stopping every master and volume server (SIGTERM)");
    await Promise.all([...cluster.masters.map((m) => m.process.stop()), ...cluster.volumeServers.map((v) => v.stop(1000))]);
    step("starting the masters alone");
    const since = Date.now();
    for (const m of cluster.masters) await cluster.start(m.slot);
    const leader = await cluster.waitForLeader({ timeoutMs: electionBoundMs(cluster) });
    expect(leader !== undefined, "no leader after restarting every master");
    const newLeaderMs = Date.now() - since;
    await settledLeader(cluster);
    const fromRaft = await cluster.dirStatus();
    expect(fromRaft.topologyId === before.topologyId, `TopologyId changed from ${before.topologyId} to ${fromRaft.topologyId}`);
    expect(fromRaft.maxVolumeId >= before.maxVolumeId, `MaxVolumeId from raft alone went back from ${before.maxVolumeId} to ${fromRaft.maxVolumeId}`);
    step(`master-${leader} leads after ${newLeaderMs} ms; raft kept TopologyId and MaxVolumeId ${fromRaft.maxVolumeId}; starting the volume servers`);
    for (const v of cluster.volumeServers) v.start();
    const writesBackMs = await writesBackSince(cluster, fromRaft.leader, since);
    step(`writes back after ${writesBackMs} ms`);
    return { newLeaderMs, writesBackMs };
  },
};
