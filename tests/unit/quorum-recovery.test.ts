/**
 * The quorum-recovery plan (infra/seaweed/quorumRecovery.ts), as statements about a tier that lost its majority: it
 * keeps the survivors' state, seeds only as many lost slots as a majority needs (the bootstrapping slot 0 first), and
 * refuses whenever acting would lose more than it saves or the operator's declaration does not match what answers.
 * The recovery itself runs on real weed in the lost-quorum drill (tools/lib/drill/lostQuorum.ts).
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { BackupReference, planQuorumRecovery, QuorumRecoveryRefusal, SlotObservation } from "../../infra/seaweed/quorumRecovery";

const ID = "6d4f6cce-1360-4f19-a9ef-202dc83fab3c";
const survivor = (slot: number, lastLogIndex: number, extra: Partial<SlotObservation> = {}): SlotObservation => ({ slot, answered: true, leader: "", topologyId: ID, maxVolumeId: 9, lastLogIndex, lastLogTerm: 2, ...extra });
const gone = (slot: number): SlotObservation => ({ slot, answered: false });
const backup: BackupReference = { prefix: "seaweedfs-prod/2026-12-07/20261207T230000Z", topologyId: ID, maxVolumeId: 7, lastLogIndex: 11 };
/** prod after losing slots 0, 1 and 2: two survivors, 4 with the longer log. */
const prodLoss = () => [gone(0), gone(1), gone(2), survivor(3, 13), survivor(4, 14)];

function refusal(observed: SlotObservation[], lost: number[], reference?: BackupReference): string {
  try {
    planQuorumRecovery(observed, lost, reference);
  } catch (error) {
    assert.ok(error instanceof QuorumRecoveryRefusal, `not a refusal: ${String(error)}`);
    return error.message;
  }
  return assert.fail("planned where it must refuse");
}

describe("recovering a tier from its surviving masters", () => {
  it("prod losing 3 of 5: the newest survivor's state is seeded into slot 0 only, slots 1 and 2 rejoin empty", () => {
    const plan = planQuorumRecovery(prodLoss(), [2, 0, 1], backup);
    assert.equal(plan.source, 4);
    assert.deepEqual(plan.survivors, [3, 4]);
    assert.deepEqual(plan.seeded, [0]);
    assert.deepEqual(plan.rejoining, [1, 2]);
    assert.equal(plan.quorum, 3);
    assert.deepEqual(plan.expect, { topologyId: ID, maxVolumeId: 9 });
  });

  it("dev losing 2 of 3: the one survivor and one seeded slot are a quorum", () => {
    const plan = planQuorumRecovery([gone(0), survivor(1, 5), gone(2)], [0, 2]);
    assert.deepEqual([plan.source, plan.seeded, plan.rejoining], [1, [0], [2]]);
  });

  it("picks the survivor with the later last log term over a longer log of an older term", () => {
    const plan = planQuorumRecovery([gone(0), gone(1), gone(2), survivor(3, 20, { lastLogTerm: 2 }), survivor(4, 15, { lastLogTerm: 3 })], [0, 1, 2]);
    assert.equal(plan.source, 4);
  });

  it("takes the identity from the newest backup when every survivor restarted (state on disk, none applied)", () => {
    const restarted = (slot: number, index: number) => survivor(slot, index, { topologyId: undefined, maxVolumeId: 0 });
    const plan = planQuorumRecovery([gone(0), gone(1), gone(2), restarted(3, 13), restarted(4, 13)], [0, 1, 2], backup);
    assert.deepEqual(plan.expect, { topologyId: ID, maxVolumeId: 7 });
    assert.match(refusal([gone(0), gone(1), gone(2), restarted(3, 13), restarted(4, 13)], [0, 1, 2]), /no survivor reports a TopologyId/);
  });

  it("sets aside the state of lost slots that started empty and minted a cluster of their own", () => {
    const rogue = (slot: number): SlotObservation => ({ slot, answered: true, leader: "10.20.0.10:9333", topologyId: "b2ce0b3c-812f-4669-a0da-adb747bddd0c", maxVolumeId: 0, lastLogIndex: 4, lastLogTerm: 2 });
    const plan = planQuorumRecovery([rogue(0), rogue(1), rogue(2), survivor(3, 13), survivor(4, 13)], [0, 1, 2], backup);
    assert.match(plan.steps[0], /slot\(s\) 0, 1, 2 started empty and run a cluster of their own/);
  });

  it("refuses while a survivor knows a leader: the quorum is not lost", () => {
    assert.match(refusal([gone(0), gone(1), gone(2), survivor(3, 13, { leader: "10.20.0.11:9333" }), survivor(4, 13)], [0, 1, 2]), /quorum is not lost/);
  });

  it("refuses a declared-lost slot that answers with the cluster's raft state", () => {
    assert.match(refusal([survivor(0, 13), gone(1), gone(2), survivor(3, 13), survivor(4, 13)], [0, 1, 2]), /declared lost but answer with raft state/);
    assert.match(refusal([survivor(0, 13, { topologyId: undefined }), gone(1), gone(2), survivor(3, 13), survivor(4, 13)], [0, 1, 2]), /declared lost/);
  });

  it("refuses when the survivors are a quorum, none survived, or an undeclared slot is silent", () => {
    assert.match(refusal([gone(0), gone(1), survivor(2, 9), survivor(3, 9), survivor(4, 9)], [0, 1]), /a quorum of 3: they elect a leader themselves/);
    assert.match(refusal([gone(0), gone(1), gone(2)], [0, 1, 2]), /no master survived: restore from a backup/);
    assert.match(refusal(prodLoss(), [0, 1]), /slot\(s\) 2 are not declared lost but do not answer/);
    assert.match(refusal(prodLoss(), [0, 1, 2, 7]), /not slots of this tier/);
  });

  it("refuses survivors of different clusters, or of another cluster than the newest backup's", () => {
    assert.match(refusal([gone(0), gone(1), gone(2), survivor(3, 13), survivor(4, 13, { topologyId: "other" })], [0, 1, 2]), /different clusters/);
    assert.match(refusal(prodLoss(), [0, 1, 2], { ...backup, topologyId: "other" }), /decide which cluster to keep/);
  });

  it("refuses when the newest backup holds a longer log than any survivor: a restore loses less", () => {
    assert.match(refusal(prodLoss(), [0, 1, 2], { ...backup, lastLogIndex: 15 }), /restore from that backup instead/);
  });
});
