/** a. Formation: one leader that every master names, healthy everywhere, every master a member. */
import { assignThroughEveryMaster, settledLeader } from "./steps";
import { expect, Scenario } from "./types";

export const formation: Scenario = {
  id: "formation",
  letter: "a",
  title: "formation: one agreed leader, /cluster/healthz 200 everywhere, peers = N",
  async run({ cluster, step }) {
    step("waiting for an agreed leader");
    const leader = await settledLeader(cluster);
    const slots = cluster.masters.map((m) => m.slot);
    const statuses = await Promise.all(slots.map((s) => cluster.statusOf(s)));
    const claimants = statuses.filter((s) => s.isLeader).map((s) => s.slot);
    expect(claimants.length === 1 && claimants[0] === leader, `masters claiming leadership: [${claimants.join(", ")}], expected only master-${leader}`);
    for (const status of statuses) {
      expect(status.leaderSlot === leader, `master-${status.slot} names ${status.leader ?? "no leader"}, not master-${leader}`);
      const self = cluster.master(status.slot).address;
      const members = new Set([...status.peers, self]);
      const expected = cluster.masters.map((m) => m.address);
      expect(
        members.size === expected.length && expected.every((a) => members.has(a)),
        `master-${status.slot} knows peers [${status.peers.join(", ")}], expected the ${expected.length} masters [${expected.join(", ")}]`,
      );
      const health = await cluster.healthz(status.slot);
      expect(health === 200, `master-${status.slot} /cluster/healthz answered ${health}, expected 200`);
    }
    step(`master-${leader} leads ${slots.length} masters; assigning through each`);
    await assignThroughEveryMaster(cluster);
    return {};
  },
};
