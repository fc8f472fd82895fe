/**
 * Policy seaweedfs-master-one-at-a-time: a master slot's Auto Scaling group with an instance refresh (which would
 * carry a -peers change to every slot at once) is flagged; the groups the program registers, and groups without a
 * refresh, pass.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ASG_TYPE, masterOneAtATime } from "../../policies/rules/membership";
import { runStack } from "../../tools/lib/plan";
import { CLUSTER, Graph, healthyStack, messages, runOne, SLOT_IPS } from "./fixtures";

const REFRESH = [{ strategy: "Rolling", preferences: [{ minHealthyPercentage: 0 }] }];

/** The healthy tier plus one group per slot, tagged as the program tags them; `instanceRefresh` when given. */
function withGroups(instanceRefresh?: unknown, slotTag = true): Graph {
  const g = healthyStack();
  const tier = g.one("seaweed:aws:MasterTier");
  SLOT_IPS.forEach((_, slot) => {
    const tags = [{ key: "seaweedfs:cluster", value: CLUSTER, propagateAtLaunch: false }, ...(slotTag ? [{ key: "seaweedfs:slot", value: String(slot), propagateAtLaunch: false }] : [])];
    g.add(ASG_TYPE, `${CLUSTER}-master-${slot}-asg`, { minSize: 1, maxSize: 1, desiredCapacity: 1, tags, ...(instanceRefresh ? { instanceRefresh } : {}) }, { parent: tier });
  });
  return g;
}

describe("policy seaweedfs-master-one-at-a-time", () => {
  it("passes master groups without an instance refresh", async () => {
    const result = await runOne(masterOneAtATime, withGroups());
    assert.deepEqual(result.violations, []);
    assert.equal(result.verdict, "pass");
  });

  it("flags every master group that would replace its master on a template change", async () => {
    const result = await runOne(masterOneAtATime, withGroups(REFRESH));
    assert.equal(result.violations.length, SLOT_IPS.length);
    assert.match(messages(result), /master slot 0's group has an instance refresh/);
    assert.match(messages(result), /masterCount change rewriting -peers/);
    assert.match(messages(result), /docs\/runbooks\/scaling\.md/);
  });

  it("leaves groups that are not master slots alone", async () => {
    const result = await runOne(masterOneAtATime, withGroups(REFRESH, false));
    assert.deepEqual(result.violations, []);
    assert.equal(result.verdict, "not applicable");
  });

  it("passes the dev stack's own groups (the program registers no instance refresh)", async () => {
    const run = await runStack("dev");
    const groups = run.resources.filter((r) => r.type === ASG_TYPE);
    assert.equal(groups.length, 3, "the dev stack registers one group per slot");
    const graph = new Graph();
    for (const r of groups) graph.add(r.type, r.name, r.inputs);
    const result = await runOne(masterOneAtATime, graph);
    assert.deepEqual(result.violations, []);
    assert.equal(result.verdict, "pass", "the groups were not recognised as master slots");
  });
});
