/**
 * d. Majority lost: the survivors' `/cluster/healthz` turns non-200 (so the NLB drops them), their `/readyz` answers
 * 503 at once (so Kubernetes takes them out of the client Service) and they refuse writes; after the restart the same
 * cluster comes back: same TopologyId, MaxVolumeId not lower, every master ready.
 */
import { poll, request } from "../cluster/http";
import { HEALTH_CHECK, READINESS_PATH } from "../../../infra/seaweed/constants";
import { quorumOf } from "../../../infra/seaweed/quorum";
import { measureFailover, settledLeader } from "./steps";
import { electionBoundMs, expect, Scenario } from "./types";

export const majorityLoss: Scenario = {
  id: "majority-loss",
  letter: "d",
  title: "majority lost: survivors unhealthy, then same TopologyId and MaxVolumeId after restart",
  async run(context) {
    const { cluster, step } = context;
    const leader = await settledLeader(cluster);
    const before = await cluster.dirStatus();
    const slots = cluster.masters.map((m) => m.slot);
    const killCount = slots.length - quorumOf(slots.length) + 1;
    const victims = [leader, ...slots.filter((s) => s !== leader)].slice(0, killCount);
    const survivors = slots.filter((s) => !victims.includes(s));
    // Without survivors the health and refusal checks below would pass on an empty list.
    expect(survivors.length > 0, `killing ${killCount} of ${slots.length} masters leaves no survivor to check`);
    step(`SIGKILL ${killCount} of ${slots.length} masters (${victims.map((s) => `master-${s}`).join(", ")}), the leader among them`);
    const since = Date.now();
    await Promise.all(victims.map((s) => cluster.kill(s, "SIGKILL")));
    const bound = electionBoundMs(cluster);
    const unhealthy = await poll(async () => {
      const codes = await Promise.all(survivors.map((s) => cluster.healthz(s)));
      return codes.every((code) => code !== 200) ? codes : undefined;
    }, bound);
    expect(unhealthy, `survivors ${survivors.join(", ")} still answer /cluster/healthz 200 ${bound} ms after losing the majority`);
    const unhealthyMs = Date.now() - since;
    step(`survivors answer /cluster/healthz ${unhealthy.join("/")} after ${unhealthyMs} ms`);
    // Kubernetes' readiness path must agree with the load balancers' health check, at once (no lock-check retry).
    const ready = await Promise.all(survivors.map(async (s) => (await request(`${cluster.master(s).httpUrl}${READINESS_PATH}`, { timeoutMs: 1000 })).status));
    expect(ready.every((code) => code === HEALTH_CHECK.noLeaderStatusCode), `survivors answer ${READINESS_PATH} ${ready.join("/")} without a leader, not ${HEALTH_CHECK.noLeaderStatusCode}`);
    for (const survivor of survivors) {
      const answer = await cluster.assign(survivor);
      expect(!answer.ok, `master-${survivor} assigned ${answer.fid} without a quorum`);
    }
    step(`restarting ${victims.map((s) => `master-${s}`).join(", ")}`);
    const restarted = Date.now();
    for (const victim of victims) await cluster.start(victim);
    const { newLeaderMs, writesBackMs } = await measureFailover(context, [], restarted);
    await settledLeader(cluster);
    const readyAfter = await poll(async () => {
      const codes = await Promise.all(cluster.masters.map(async (m) => (await request(`${m.httpUrl}${READINESS_PATH}`, { timeoutMs: 1000 })).status));
      return codes.every((code) => code === 200) ? codes : undefined;
    }, bound);
    expect(readyAfter, `not every master answers ${READINESS_PATH} 200 within ${bound} ms of an agreed leader`);
    const after = await cluster.dirStatus();
    expect(after.topologyId === before.topologyId, `TopologyId changed from ${before.topologyId} to ${after.topologyId}`);
    expect(after.maxVolumeId >= before.maxVolumeId, `MaxVolumeId went back from ${before.maxVolumeId} to ${after.maxVolumeId}`);
    step(`same TopologyId ${after.topologyId}, MaxVolumeId ${before.maxVolumeId} -> ${after.maxVolumeId}`);
    return { newLeaderMs, writesBackMs, extra: { unhealthyMs } };
  },
};
