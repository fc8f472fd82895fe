/**
 * The dev stack's rendered master configuration, run as a real 3-master SeaweedFS cluster on loopback, survives
 * the failures of issue #4 (scenarios a-d, f, g) without ever handing out a file id twice or losing volume ids.
 * Each scenario throws when the cluster misbehaves or exceeds its own time-outs; timings are not asserted here:
 * `npm run drill` measures them and `npm run bench` gates the failover on a budget.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { groupAlive } from "../../tools/lib/cluster/processes";
import { verifyFileIdToken } from "../../tools/lib/cluster/jwt";
import { renderHostSecurityToml } from "../../infra/aws/host/systemd";
import { METRICS } from "../../infra/seaweed/constants";
import { formation } from "../../tools/lib/drill/formation";
import { leaderKill } from "../../tools/lib/drill/leaderKill";
import { followerKill } from "../../tools/lib/drill/followerKill";
import { majorityLoss } from "../../tools/lib/drill/majorityLoss";
import { frozenLeaderFor } from "../../tools/lib/drill/frozenLeader";
import { fullRestart } from "../../tools/lib/drill/fullRestart";
import { sharedDrillCluster } from "../support/sharedDrillCluster";

describe("dev masters as a real local SeaweedFS cluster", { timeout: 300_000 }, () => {
  const dev = sharedDrillCluster({ stack: "dev" });
  const { drill } = dev;

  it("forms one agreed leader, healthy everywhere, with every master as a member (a)", async () => {
    await drill(formation);
    const leaders = await dev.cluster.leaders();
    assert.equal(leaders.length, 1);
    assert.match(await dev.cluster.metrics(leaders[0]), new RegExp(`^${METRICS.isLeader} `, "m"), "the leader serves /metrics on -metricsPort");
  });

  it("signs assignments with the key from WEED_JWT_SIGNING_KEY, as the systemd unit provides it", async () => {
    const leader = (await dev.cluster.leader())!;
    const follower = dev.cluster.liveSlots().find((s) => s !== leader)!;
    const answer = await dev.cluster.assign(follower, { write: false });
    assert.ok(answer.ok && answer.fid && answer.url && answer.auth, `assign without a token: ${answer.body}`);
    const claims = verifyFileIdToken(answer.auth, dev.cluster.jwtSigningKey);
    assert.ok(claims, "the token does not verify with the configured signing key");
    assert.equal(claims.fid, answer.fid);
    const expiresAfter = Number(/expires_after_seconds = (\d+)/.exec(renderHostSecurityToml())![1]);
    assert.ok(Math.abs(claims.exp - Date.now() / 1000 - expiresAfter) < 5, `exp ${claims.exp} is not ~${expiresAfter} s ahead (security.toml ignored?)`);
    assert.equal(verifyFileIdToken(answer.auth, "some-other-key"), undefined);
    assert.match((await dev.cluster.write(answer.url, answer.fid)) ?? "stored", /HTTP 401/, "a volume server accepted a write without the token");
    assert.equal(await dev.cluster.write(answer.url, answer.fid, answer.auth), undefined, "a volume server refused the signed write");
  });

  it("elects a new leader after a SIGKILL, takes writes through a follower, and the old leader rejoins (b)", async () => {
    await drill(leaderKill);
  });

  it("keeps its leader and keeps assigning when a follower dies (c)", async () => {
    await drill(followerKill);
  });

  it("turns survivors unhealthy without a majority and comes back with the same identity (d)", async () => {
    await drill(majorityLoss);
  });

  it("replaces a frozen leader and keeps exactly one leader after it resumes (f)", async () => {
    await drill(frozenLeaderFor(6000));
  });

  it("restarts from raft state alone with the same TopologyId and MaxVolumeId (g)", async () => {
    await drill(fullRestart);
  });

  it("never assigned a file id twice and never saw MaxVolumeId go back", () => {
    assert.ok(dev.cluster.fileIds.count > 20, `only ${dev.cluster.fileIds.count} file ids assigned`);
    assert.deepEqual(dev.cluster.fileIds.duplicates, []);
    assert.deepEqual(dev.cluster.maxVolumeIds.regressions, []);
    assert.ok(dev.cluster.maxVolumeIds.highest > 0);
  });

  it("stops every process it started", async () => {
    const groups = [...dev.cluster.masters.map((m) => m.process.pgid), ...dev.cluster.volumeServers.map((v) => v.pgid)];
    assert.ok(groups.every((g) => g !== undefined));
    await dev.cluster.stop();
    assert.deepEqual(groups.filter((g) => groupAlive(g!)), []);
  });
});
