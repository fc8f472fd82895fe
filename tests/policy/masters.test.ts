/**
 * Quorum policies: a master tier with an even or too small member count, a zone holding too many masters, peers that
 * disagree with the slots, or a -raftBootstrap flag is refused; the compliant tier passes.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { masterCount, masterNoRaftBootstrap, masterPeers, masterZoneFailure } from "../../policies/rules/masters";
import { addSlot, bootScript, Graph, healthyStack, masterUserData, messages, runOne, SLOT_IPS, ZONES } from "./fixtures";
import { decodeUserData, encodeUserData } from "../../infra/aws/userData";

const LT = "aws:ec2/launchTemplate:LaunchTemplate";

/** A healthy stack with extra slots, every launch template re-rendered for the new member list. */
function withSlots(extra: { ip: string; zone: string }[]): Graph {
  const g = healthyStack();
  const tier = g.one("seaweed:aws:MasterTier");
  const slots = [...SLOT_IPS.map((ip, slot) => ({ slot, ip })), ...extra.map((e, i) => ({ slot: SLOT_IPS.length + i, ip: e.ip }))];
  const userData = masterUserData(slots.length % 2 === 0 ? slots.slice(0, -1) : slots);
  g.all(LT).forEach((lt, i) => (lt.props.userData = userData[i]));
  extra.forEach((e, i) => addSlot(g, tier, SLOT_IPS.length + i, e.ip, e.zone, userData[Math.min(SLOT_IPS.length + i, userData.length - 1)]));
  return g;
}

describe("policy seaweedfs-master-count", () => {
  it("passes 3 masters and 5 masters", async () => {
    assert.deepEqual((await runOne(masterCount, healthyStack())).violations, []);
    const five = withSlots([{ ip: "10.40.0.11", zone: ZONES[0] }, { ip: "10.40.16.11", zone: ZONES[1] }]);
    assert.deepEqual((await runOne(masterCount, five)).violations, []);
  });

  it("refuses 4 masters (even) and 3 masters when the config asks for 5", async () => {
    const four = await runOne(masterCount, withSlots([{ ip: "10.40.0.11", zone: ZONES[0] }]));
    assert.match(messages(four), /^4 masters: SeaweedFS only runs an odd number of masters/);
    const tooFew = await runOne(masterCount, healthyStack(), { minMasters: 5 });
    assert.match(messages(tooFew), /3 master\(s\), fewer than the required 5/);
  });

  it("still counts slots whose interfaces carry a slot tag but no role tag", async () => {
    const g = withSlots([{ ip: "10.40.0.11", zone: ZONES[0] }]);
    for (const r of g.resources) delete (r.props.tags as Record<string, string> | undefined)?.["seaweedfs:role"];
    assert.match(messages(await runOne(masterCount, g)), /^4 masters/);
  });

  it("is not applicable to a stack without master slots", async () => {
    assert.equal((await runOne(masterCount, new Graph())).verdict, "not applicable");
  });
});

describe("policy seaweedfs-master-zone-failure", () => {
  it("passes 3 masters over 3 zones and 5 over 3 zones (2/2/1)", async () => {
    assert.deepEqual((await runOne(masterZoneFailure, healthyStack())).violations, []);
    const five = withSlots([{ ip: "10.40.0.11", zone: ZONES[0] }, { ip: "10.40.16.11", zone: ZONES[1] }]);
    assert.deepEqual((await runOne(masterZoneFailure, five)).violations, []);
  });

  it("refuses 5 masters over 2 zones (3/2) and names the zone whose loss breaks quorum", async () => {
    const g = withSlots([{ ip: "10.40.0.11", zone: ZONES[0] }, { ip: "10.40.16.11", zone: ZONES[1] }]);
    g.resources.filter((r) => r.props.availabilityZone === ZONES[2]).forEach((r) => (r.props.availabilityZone = ZONES[0]));
    const result = await runOne(masterZoneFailure, g);
    assert.equal(result.violations.length, 1);
    assert.match(messages(result), /losing us-east-1a \(3 masters\) leaves 2 of 5 masters, below the quorum of 3; spread at most 2 master\(s\) per zone/);
  });

  it("checks the loss of two zones when configured to", async () => {
    const result = await runOne(masterZoneFailure, healthyStack(), { zoneFailuresToSurvive: 2 });
    assert.match(messages(result), /leaves 1 of 3 masters, below the quorum of 2/);
  });

  it("refuses a slot whose zone cannot be told (no data volume, no subnet)", async () => {
    const g = healthyStack();
    g.remove(g.one("aws:ebs/volume:Volume", "seaweedfs-test-master-1-data"));
    g.remove(g.one("aws:ec2/subnet:Subnet", "seaweedfs-test-us-east-1b"));
    assert.match(messages(await runOne(masterZoneFailure, g)), /cannot tell the availability zone of master slot 1/);
  });
});

describe("policy seaweedfs-master-peers", () => {
  it("passes when every master lists the slots' addresses in slot order", async () => {
    assert.deepEqual((await runOne(masterPeers, healthyStack())).violations, []);
  });

  it("refuses a master rendered with a stale peer list", async () => {
    const g = healthyStack();
    const stale = masterUserData([{ slot: 0, ip: SLOT_IPS[0] }, { slot: 1, ip: SLOT_IPS[1] }, { slot: 2, ip: "10.40.32.99" }]);
    g.one(LT, "seaweedfs-test-master-0-lt").props.userData = stale[0];
    const result = await runOne(masterPeers, g);
    assert.match(messages(result), /seaweedfs-test-master-0-lt .*-peers=10\.40\.0\.10:9333,10\.40\.16\.10:9333,10\.40\.32\.99:9333 differs from the slots' addresses 10\.40\.0\.10:9333,10\.40\.16\.10:9333,10\.40\.32\.10:9333/);
    assert.match(messages(result), /masters disagree on -peers/);
  });

  it("refuses a master missing from its own peer list (SeaweedFS would append it)", async () => {
    const g = healthyStack();
    const lt = g.one(LT, "seaweedfs-test-master-2-lt");
    const script = decodeUserData(lt.props.userData).replace("-ip=10.40.32.10", "-ip=10.40.32.11");
    lt.props.userData = encodeUserData(script);
    assert.match(messages(await runOne(masterPeers, g)), /own address 10\.40\.32\.11:9333 is missing from -peers/);
  });

  it("refuses peers in another order unless the config allows it", async () => {
    const g = healthyStack();
    const reordered = masterUserData([{ slot: 0, ip: SLOT_IPS[1] }, { slot: 1, ip: SLOT_IPS[0] }, { slot: 2, ip: SLOT_IPS[2] }]);
    g.all(LT).forEach((lt, i) => (lt.props.userData = reordered[[1, 0, 2][i]]));
    assert.equal((await runOne(masterPeers, g)).violations.length, 3);
    assert.deepEqual((await runOne(masterPeers, g, { requireSlotOrder: false })).violations, []);
  });
});

describe("policy seaweedfs-master-no-raft-bootstrap", () => {
  it("passes the rendered masters", async () => {
    assert.deepEqual((await runOne(masterNoRaftBootstrap, healthyStack())).violations, []);
  });

  it("refuses a boot script whose master runs -raftBootstrap, on that launch template only", async () => {
    const g = healthyStack();
    const lt = g.one(LT, "seaweedfs-test-master-1-lt");
    const script = decodeUserData(lt.props.userData).replace("-raftHashicorp", "-raftHashicorp -raftBootstrap");
    lt.props.userData = encodeUserData(script);
    const result = await runOne(masterNoRaftBootstrap, g);
    assert.equal(result.violations.length, 1);
    assert.equal(result.violations[0].resource, lt.urn);
    assert.match(result.violations[0].message, /carries -raftBootstrap/);
  });

  it("also reads an instance's plain user data", async () => {
    const g = new Graph();
    const unit = "ExecStart=/usr/local/bin/weed master -ip=10.0.0.1 -peers=10.0.0.1:9333 --raftBootstrap=true";
    g.add("aws:ec2/instance:Instance", "adhoc", { userData: bootScript(unit) });
    assert.match(messages(await runOne(masterNoRaftBootstrap, g)), /carries --raftBootstrap/);
  });
});
