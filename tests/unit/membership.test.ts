/**
 * The membership-change procedure (infra/seaweed/membership.ts): the exact steps for 3 -> 5 and 5 -> 3 as the
 * runbook documents them, refusal of counts SeaweedFS does not run, and that every step keeps a live majority of the
 * raft configuration, where a naive order (stop the leaving masters, then restart the rest) does not.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { describeStep, membershipChange, MembershipChange, quorumAlongTheWay } from "../../infra/seaweed/membership";

/** Majority of n, written without the code under test. */
const majority = (n: number) => (n - (n % 2)) / 2 + 1;

describe("membership changes", () => {
  it("scale-out 3 -> 5: start and add each new member, then roll the old ones", () => {
    const change = membershipChange(3, 5);
    assert.equal(change.kind, "scale-out");
    assert.deepEqual(
      change.steps.map((s) => `${s.action} ${s.slot}`),
      ["start-member 3", "add-voter 3", "start-member 4", "add-voter 4", "roll 0", "roll 1", "roll 2"],
    );
  });

  it("scale-in 5 -> 3: keep the leader on a staying slot, remove and stop the highest slots one by one, then roll", () => {
    const change = membershipChange(5, 3);
    assert.equal(change.kind, "scale-in");
    assert.deepEqual(change.removed, [4, 3]);
    assert.deepEqual(
      change.steps.map((s) => `${s.action} ${s.slot}`),
      ["keep-leader 0", "remove-voter 4", "stop-member 4", "remove-voter 3", "stop-member 3", "roll 0", "roll 1", "roll 2"],
    );
  });

  it("refuses even or unchanged counts with the count in the message", () => {
    assert.throws(() => membershipChange(3, 4), /to 4 masters/);
    assert.throws(() => membershipChange(2, 3), /from 2 masters/);
    assert.throws(() => membershipChange(3, 3), /changes nothing/);
  });

  for (const [from, to] of [[3, 5], [5, 3], [3, 7], [7, 3], [1, 3], [5, 7]]) {
    it(`every step of ${from} -> ${to} keeps a live majority of the configuration`, () => {
      for (const row of quorumAlongTheWay(membershipChange(from, to))) {
        assert.ok(row.liveDuringStep >= majority(row.voters), `${row.step.action} ${row.step.slot}: ${row.liveDuringStep} live of ${row.voters} voters`);
      }
    });
  }

  it("negative control: stopping the leaving masters before removing them, then rolling, loses the majority", () => {
    const naive: MembershipChange = {
      ...membershipChange(5, 3),
      steps: [{ action: "stop-member", slot: 4 }, { action: "stop-member", slot: 3 }, { action: "roll", slot: 0 }],
    };
    const rows = quorumAlongTheWay(naive);
    assert.ok(rows.some((row) => row.liveDuringStep < majority(row.voters)), "the naive order was not caught");
  });

  it("describes each step with the new peer list and the weed shell command", () => {
    const peers = "10.0.0.1:9333,10.0.0.2:9333,10.0.0.3:9333";
    const lines = membershipChange(5, 3).steps.map((s) => describeStep(s, peers));
    assert.match(lines[0], /cluster\.raft\.transferLeader/);
    assert.match(lines[1], /cluster\.raft\.remove/);
    assert.ok(lines.slice(-3).every((l) => l.includes(`-peers=${peers}`)));
  });
});
