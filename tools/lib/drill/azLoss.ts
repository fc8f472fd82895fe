/**
 * e. Availability zone lost: every master of the stack's largest zone killed at once. Where the stack's
 * placement promises it (the zone-loss table of the topology), the survivors keep a quorum and take writes.
 */
import { poll } from "../cluster/http";
import { measureFailover, settledLeader } from "./steps";
import { electionBoundMs, expect, Scenario } from "./types";

export const azLoss: Scenario = {
  id: "az-loss",
  letter: "e",
  title: "availability zone lost: all masters of the largest zone killed at once, quorum holds",
  async run(context) {
    const { cluster, step } = context;
    const leader = await settledLeader(cluster);
    const leaderZone = cluster.master(leader).az;
    const largest = [...cluster.config.topology.azLoss].sort((a, b) => b.lost - a.lost || Number(b.az === leaderZone) - Number(a.az === leaderZone))[0];
    const victims = cluster.masters.filter((m) => m.az === largest.az).map((m) => m.slot);
    const survivors = cluster.masters.filter((m) => m.az !== largest.az).map((m) => m.slot);
    // Without survivors the health checks below would pass on an empty list.
    expect(survivors.length > 0, `every master is in ${largest.az}: no survivor to check after losing it`);
    step(`SIGKILL every master of ${largest.az} (${victims.map((s) => `master-${s}`).join(", ")}); the stack expects quorum ${largest.quorumKept ? "kept" : "LOST"}`);
    const since = Date.now();
    await Promise.all(victims.map((s) => cluster.kill(s, "SIGKILL")));
    let measured = {};
    if (largest.quorumKept) {
      const failover = await measureFailover(context, victims, since);
      const codes = await Promise.all(survivors.map((s) => cluster.healthz(s)));
      expect(codes.every((c) => c === 200), `survivors' /cluster/healthz: ${codes.join("/")}, expected 200 on all`);
      measured = victims.includes(leader) ? { newLeaderMs: failover.newLeaderMs, writesBackMs: failover.writesBackMs } : {};
    } else {
      const unhealthy = await poll(async () => ((await Promise.all(survivors.map((s) => cluster.healthz(s)))).every((c) => c !== 200) ? true : undefined), electionBoundMs(cluster));
      expect(unhealthy, `the stack does not keep quorum without ${largest.az}, yet survivors still report healthy`);
    }
    step(`restarting ${largest.az}`);
    for (const victim of victims) await cluster.start(victim);
    await settledLeader(cluster);
    return measured;
  },
};
