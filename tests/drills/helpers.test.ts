/**
 * The pure pieces of the drill harness: loopback placement, status parsing as SeaweedFS 4.44 answers, file-id
 * duplicate detection, volume-server placement for a replication setting, timing summaries, and the baseline's
 * raft switch in the one master renderer.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { slotLoopbackIp } from "../../tools/lib/cluster/loopback";
import { parseClusterStatus } from "../../tools/lib/cluster/status";
import { FileIdLedger, MaxVolumeIdWatch, needleOf } from "../../tools/lib/cluster/invariants";
import { planCluster, stackConfig } from "../../tools/lib/cluster/plan";
import { volumePlacements } from "../../infra/seaweed/volumeServer";
import { medianRatio, spread } from "../../tools/lib/drill/stats";
import { slotBootScript } from "../../infra/aws/masterTier";
import { parseMasterCommands } from "../../infra/aws/host/commandLine";
import { execStart } from "../../infra/aws/host/systemd";
import { HOST_PATHS } from "../../infra/aws/host/paths";
import type { SeaweedConfig } from "../../infra/platforms";
import { runAnyStack } from "../../tools/lib/plan";
import { frozenLeaderWriteBoundMs } from "../../tools/lib/drill/bounds";
import type { LocalCluster } from "../../tools/lib/localCluster";

/** An AWS stack's validated config (the drill plan reads either platform). */
function awsStackConfig(stack: string): SeaweedConfig {
  const config = stackConfig(stack);
  assert.equal(config.platform, "aws");
  return config as SeaweedConfig;
}

describe("drill harness helpers", () => {
  it("bounds writes after a frozen dev leader at 30 s: the watchdog's 17 s worst case, two pulses, the 3 s redirect wait", () => {
    const config = stackConfig("dev");
    const plan = planCluster(config, { network: 77, runDir: "/tmp/x", volumeServers: 2 });
    // 17 s = 1 s interval + (5 s wedged check + 2 s timeout) + 3 misses x (1 s + 2 s) with the default watchdog.
    assert.equal(frozenLeaderWriteBoundMs({ config, plan } as unknown as LocalCluster), 17_000 + 2 * 5_000 + 3_000);
  });

  it("gives every prod slot its own loopback address that names its zone", () => {
    const config = awsStackConfig("prod");
    const plan = planCluster(config, { network: 77, runDir: "/tmp/x", volumeServers: 2 });
    assert.deepEqual(plan.masters.map((m) => m.ip), ["127.77.1.10", "127.77.2.11", "127.77.3.12", "127.77.1.13", "127.77.2.14"]);
    assert.deepEqual(plan.masters.map((m) => m.deployedIp), config.topology.slots.map((s) => s.ip));
    for (const m of plan.masters) {
      assert.ok(m.args.includes(`-ip=${m.ip}`) && m.args.includes(`-mdir=${m.mdir}`) && m.args.includes("-raftHashicorp"));
      assert.ok(m.args.includes(`-peers=${plan.masters.map((x) => x.address).join(",")}`));
    }
    assert.throws(() => slotLoopbackIp(77, 0, 300));
  });

  it("runs the k8s-dev masters with the StatefulSet's container args, only $(POD_NAME), $(POD_IP) and -mdir expanded", async () => {
    const run = await runAnyStack("k8s-dev");
    const container = (run.resources.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!.inputs as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0];
    const plan = planCluster(stackConfig("k8s-dev"), { network: 77, runDir: "/tmp/x", volumeServers: 2 });
    assert.equal(plan.masters.length, 3);
    for (const m of plan.masters) {
      const pod = `seaweedfs-master-${m.slot}`;
      assert.equal(m.deployedHost, `${pod}.seaweedfs-master-peers.seaweedfs-dev.svc.cluster.local`);
      assert.ok(m.args.includes(`-ip=${m.deployedHost}`) && m.args.includes(`-ip.bind=${m.ip}`));
      const template = m.args.map((arg) => arg.replace(`-ip=${pod}.`, "-ip=$(POD_NAME).").replace(`-ip.bind=${m.ip}`, "-ip.bind=$(POD_IP)").replace(`-mdir=${m.mdir}`, "-mdir=/data/master"));
      assert.deepEqual(template, container.args);
    }
  });

  for (const stack of ["dev", "staging", "prod"]) {
    it(`runs the ${stack} masters with the very argv of their EC2 user data, only addresses and -mdir moved`, () => {
      const config = awsStackConfig(stack);
      const plan = planCluster(config, { network: 77, runDir: "/tmp/x", volumeServers: 2 });
      for (const m of plan.masters) {
        const deployed = m.args.map((arg) =>
          plan.masters.reduce((a, other) => a.split(other.ip + ":").join(other.deployedIp + ":").replace(`=${other.ip}`, `=${other.deployedIp}`), arg).replace(m.mdir, HOST_PATHS.mdir),
        );
        const [command] = parseMasterCommands(slotBootScript(config, m.slot));
        assert.equal(command.line, `ExecStart=${execStart(deployed)}`);
      }
    });
  }

  it("renders the SeaweedFS-defaults baseline without -raftHashicorp and with its election timeout", () => {
    const plan = planCluster(stackConfig("dev"), { network: 77, runDir: "/tmp/x", volumeServers: 2, raft: { implementation: "goraft", electionTimeout: "10s" } });
    for (const m of plan.masters) {
      assert.ok(!m.args.includes("-raftHashicorp"));
      assert.ok(m.args.includes("-electionTimeout=10s"));
      assert.ok(!m.args.some((a) => a.startsWith("-raftBootstrap")));
    }
  });

  it("reads /cluster/status as 4.44 answers it (gRPC suffix on Leader, IsLeader and MaxVolumeId omitted)", () => {
    const answer = (body: string) => ({ status: 200, body, headers: new Headers() });
    const slotOf = (a: string) => (a === "127.1.1.10:9333" ? 0 : undefined);
    const follower = parseClusterStatus(1, answer('{"Leader":"127.1.1.10:9333.19333","Peers":["127.1.1.10:9333"]}'), slotOf);
    assert.deepEqual(follower, { slot: 1, reachable: true, isLeader: false, leader: "127.1.1.10:9333", leaderSlot: 0, peers: ["127.1.1.10:9333"], maxVolumeId: undefined });
    assert.equal(parseClusterStatus(0, answer('{"IsLeader":true,"Leader":"127.1.1.10:9333","MaxVolumeId":7}'), slotOf).maxVolumeId, 7);
    assert.equal(parseClusterStatus(2, { status: -1, body: "", headers: new Headers() }, slotOf).reachable, false);
  });

  it("counts a needle handed out twice as a duplicate, whatever its cookie", () => {
    assert.deepEqual(needleOf("6,013eea05f3"), { volumeId: 6, key: "1" });
    const ledger = new FileIdLedger();
    for (const fid of ["6,013eea05f3", "6,0212345678", "7,013eea05f3"]) ledger.record(fid);
    assert.equal(ledger.duplicates.length, 0);
    ledger.record("6,01aaaaaaaa");
    assert.deepEqual(ledger.duplicates, [{ fid: "6,01aaaaaaaa", earlier: "6,013eea05f3" }]);
    assert.throws(() => needleOf("not-a-fid"));
  });

  it("flags a leader's MaxVolumeId below one seen before", () => {
    const watch = new MaxVolumeIdWatch();
    watch.observe(5, "a");
    watch.observe(7, "b");
    watch.observe(6, "c");
    assert.deepEqual(watch.regressions, [{ seen: 6, highest: 7, source: "c" }]);
  });

  it("places two volume servers so the stacks' replication settings can grow volumes", () => {
    assert.deepEqual(volumePlacements("000", 2), [{ dataCenter: "dc1", rack: "rack1" }, { dataCenter: "dc1", rack: "rack1" }]);
    assert.deepEqual(volumePlacements("010", 2), [{ dataCenter: "dc1", rack: "rack1" }, { dataCenter: "dc1", rack: "rack2" }]);
    assert.deepEqual(volumePlacements("100", 2), [{ dataCenter: "dc1", rack: "rack1" }, { dataCenter: "dc2", rack: "rack1" }]);
    assert.throws(() => volumePlacements("011", 2), /needs 3 volume servers/);
  });

  it("summarizes runs as min/median/max and compares medians", () => {
    assert.deepEqual(spread([900, 500, 700]), { min: 500, median: 700, max: 900 });
    assert.deepEqual(spread([1, 3]), { min: 1, median: 2, max: 3 });
    assert.equal(spread([]), null);
    assert.equal(medianRatio(spread([12_000]), spread([800])), 15);
    assert.equal(medianRatio(null, spread([800])), null);
  });
});
