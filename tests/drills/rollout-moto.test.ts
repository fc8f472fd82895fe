/**
 * The AWS rollout back end against moto, gated by a real local cluster: prod's five slots get an Auto Scaling group
 * each in a local moto server (named as the stack names them), and each slot's address is mapped to a local `weed
 * master` of the prod stack. A fake on the SDK client stands in for EC2: when the rollout terminates a slot's
 * instance, it restarts that slot's weed (same -mdir and address), or, to inject a failure, leaves it down. Before
 * every termination the fake also records, through the harness and not through the gates under test, whether every
 * master was healthy and who led. What moto does not check: it replaces a terminated instance at once (no boot, no
 * user data, no ENI or volume attach, no health-check grace period), it enforces no IAM, and its InService means
 * nothing about the master on it; those are the gates' and the boot script's business.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import type { SeaweedConfig } from "../../infra/platforms";
import { LocalCluster } from "../../tools/lib/localCluster";
import { MOTO_CREDENTIALS, Moto, startMoto } from "../../tools/lib/restore/moto";
import { awsBackend, awsGateTier, AwsSlot, awsSlotsOf } from "../../tools/lib/rollout/aws";
import { RolloutReport, runRollout } from "../../tools/lib/rollout/engine";
import { checkGates } from "../../tools/lib/rollout/gates";
import { restartSlot } from "../../tools/lib/rollout/local";
import { transferLeadershipWithShell } from "../../tools/lib/rollout/transfer";

/** What the fake saw at one TerminateInstanceInAutoScalingGroup, before it reached moto. */
interface Termination {
  group: string;
  slot: number;
  /** Slots whose /cluster/healthz was not 200 at that moment (the harness's own probe). */
  unhealthy: number[];
  /** Slots claiming leadership at that moment. */
  leaders: number[];
}

describe("npm run rollout's AWS back end: moto Auto Scaling groups, gates answered by a local prod cluster", { timeout: 400_000 }, () => {
  let moto: Moto;
  let cluster: LocalCluster;
  let client: AutoScalingClient;
  let slots: AwsSlot[];
  const terminations: Termination[] = [];
  /** Slots the fake leaves down after their instance is terminated (the injected failure). */
  const leaveDown = new Set<number>();

  before(async () => {
    [moto, cluster] = await Promise.all([startMoto(), LocalCluster.start({ stack: "prod" })]);
    const config = cluster.config as SeaweedConfig;
    // Each slot's group as the stack names it, its address mapped to the local weed of the same slot.
    slots = awsSlotsOf(config).map((s) => ({ ...s, address: cluster.master(s.slot).address, url: cluster.master(s.slot).httpUrl }));
    const options = { endpoint: moto.endpoint, region: "us-east-1", credentials: MOTO_CREDENTIALS, maxAttempts: 1 };
    const admin = new AutoScalingClient(options);
    await admin.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "master", ImageId: "ami-12c6146b", InstanceType: config.instanceType }));
    for (const s of slots) {
      await admin.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: s.group, LaunchConfigurationName: "master", MinSize: 1, MaxSize: 1, DesiredCapacity: 1, AvailabilityZones: [s.az] }));
    }
    client = new AutoScalingClient(options);
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { InstanceId?: string; ShouldDecrementDesiredCapacity?: boolean };
        if (input.InstanceId === undefined) return next(args);
        assert.equal(input.ShouldDecrementDesiredCapacity, false, "a rollout never shrinks a slot's group");
        const groups = (await admin.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? [];
        const group = groups.find((g) => g.Instances?.some((i) => i.InstanceId === input.InstanceId))!.AutoScalingGroupName!;
        const slot = slots.find((s) => s.group === group)!.slot;
        const codes = await Promise.all(cluster.masters.map((m) => cluster.healthz(m.slot)));
        terminations.push({ group, slot, unhealthy: cluster.masters.filter((_, i) => codes[i] !== 200).map((m) => m.slot), leaders: await cluster.leaders(cluster.masters.map((m) => m.slot)) });
        const result = await next(args);
        // The instance is gone: its master with it. The replacement boots the same slot on the same volume.
        await cluster.master(slot).process.stop();
        if (!leaveDown.has(slot)) await restartSlot(cluster, slot);
        return result;
      },
      { step: "initialize", name: "fakeEc2Instances" },
    );
  });

  after(async () => {
    client?.destroy();
    await Promise.all([cluster?.stop(), moto?.stop()]);
  });

  /** Instance ids moto reports terminated (its EC2 side records every instance an Auto Scaling group ended). */
  async function motoTerminated(): Promise<string[]> {
    const answer = await fetch(`${moto.endpoint}/?Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&Filter.1.Value.1=terminated`, {
      headers: { Authorization: "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0" },
    });
    return [...(await answer.text()).matchAll(/<instanceId>([^<]+)<\/instanceId>/g)].map((m) => m[1]);
  }

  function rollout(gateTimeoutMs: number): Promise<RolloutReport> {
    const backend = awsBackend({
      client,
      slots,
      pollMs: 200,
      transferLeadership: (leader) => transferLeadershipWithShell(cluster.master(leader.slot).process.options.binary, leader.address, cluster.master(leader.slot).dir, cluster.master(leader.slot).dir),
    });
    return runRollout({ tier: awsGateTier(slots), backend, stableMs: 2000, gateTimeoutMs, progress: () => {} });
  }

  it("replaces all five slots one at a time, never while a slot is unhealthy and never the leader's instance", async () => {
    const leaderAtStart = await cluster.waitForQuorum();
    const terminatedBefore = (await motoTerminated()).length;
    const report = await rollout(60_000);
    assert.equal(report.passed, true, report.message);
    const ours = terminations.splice(0);
    assert.deepEqual(ours.map((t) => t.slot).sort(), [0, 1, 2, 3, 4], "every slot's group replaced exactly once");
    assert.equal(ours[ours.length - 1].slot, leaderAtStart, "the slot that led at the start goes last");
    for (const t of ours) {
      assert.deepEqual(t.unhealthy, [], `slot ${t.slot} terminated while slots ${t.unhealthy} were unhealthy`);
      assert.equal(t.leaders.length, 1, `one leader when slot ${t.slot} was terminated (saw ${t.leaders})`);
      assert.notEqual(t.leaders[0], t.slot, `slot ${t.slot} was terminated while it led (the transfer comes first)`);
    }
    assert.equal((await motoTerminated()).length - terminatedBefore, 5, "moto recorded exactly five terminated instances");
    const facts = report.steps.map((s) => s.facts);
    assert.ok(facts.every((f) => f.oldInstanceId && f.newInstanceId && f.oldInstanceId !== f.newInstanceId), JSON.stringify(facts));
  });

  it("fails the membership gate, naming the difference, when raft membership is not the expected peer list", async () => {
    await cluster.waitForQuorum();
    const tier = awsGateTier(slots);
    const members = slots.map((s) => s.address);
    const stranger = "127.0.0.99:9333";
    const extra = await checkGates({ ...tier, expectedPeers: [...members, stranger] });
    assert.equal(extra.failed?.gate, "membership");
    assert.match(extra.failed!.detail, new RegExp(`missing ${stranger}`));
    const missing = await checkGates({ ...tier, expectedPeers: members.slice(1) });
    assert.equal(missing.failed?.gate, "membership");
    assert.match(missing.failed!.detail, new RegExp(`unexpected ${members[0]}`));
    // Control: the real peer list passes.
    assert.equal((await checkGates({ ...tier, expectedPeers: members })).ok, true);
  });

  it("refuses to start while a slot is unhealthy, terminating nothing", async () => {
    const leader = await cluster.waitForQuorum();
    const follower = cluster.masters.map((m) => m.slot).find((s) => s !== leader)!;
    const terminatedBefore = (await motoTerminated()).length;
    await cluster.master(follower).process.stop();
    try {
      const report = await rollout(10_000);
      assert.equal(report.refused, true, report.message);
      assert.equal(report.steps.length, 0);
      assert.match(report.message, new RegExp(`master-${follower}`));
      assert.equal((await motoTerminated()).length, terminatedBefore, "nothing terminated");
      assert.deepEqual(terminations, []);
    } finally {
      if (!cluster.master(follower).process.running) await cluster.start(follower);
      await cluster.waitForQuorum(60_000);
    }
  });

  it("stops at the first failed gate and terminates no second instance while that slot is down", async () => {
    const leader = await cluster.waitForQuorum();
    const victim = slots.map((s) => s.slot).filter((s) => s !== leader).sort((a, b) => a - b)[1];
    leaveDown.add(victim);
    const terminatedBefore = (await motoTerminated()).length;
    try {
      const report = await rollout(8000);
      assert.equal(report.passed, false);
      const last = report.steps[report.steps.length - 1];
      assert.equal(last.slot, victim, report.message);
      assert.equal(last.failedGate, "healthz", report.message);
      assert.match(report.message, new RegExp(`slot ${victim}.*master-${victim}`));
      assert.deepEqual(terminations.map((t) => t.slot), report.order, "only the slots the rollout reached were terminated");
      assert.equal(terminations[terminations.length - 1].slot, victim, "nothing terminated after the failed slot");
      assert.equal((await motoTerminated()).length - terminatedBefore, terminations.length, "moto agrees");
    } finally {
      leaveDown.clear();
      terminations.splice(0);
      if (!cluster.master(victim).process.running) await cluster.start(victim);
      await cluster.waitForQuorum(60_000);
    }
  });
});
