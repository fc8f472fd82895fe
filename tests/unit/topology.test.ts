/**
 * Placement properties: the loss of any one zone keeps quorum whenever the zones allow it, placements are
 * deterministic and never move a deployed slot silently.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { cidrContains, isAwsReserved, parseCidr, parseIpv4 } from "../../infra/net";
import { PlacementInput, planTopology } from "../../infra/aws/placement";

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"];

function input(masterCount: number, zones: number, overrides: Partial<PlacementInput> = {}): PlacementInput {
  return {
    clusterName: "prop",
    masterCount,
    availabilityZones: ZONES.slice(0, zones),
    subnets: ZONES.slice(0, zones).map((az, i) => ({ az, cidr: `10.50.${i * 16}.0/20` })),
    masterIps: [],
    allowQuorumLossOnAzFailure: false,
    ...overrides,
  };
}

const masterCounts = fc.constantFrom(3, 5, 7);
const zoneCounts = fc.integer({ min: 1, max: 6 });

/**
 * The oracle, written without the code under test: a majority of n is the smallest k with 2k > n, and a zone's loss
 * is survived when the masters outside it still form one.
 */
function majorityOf(n: number): number {
  let k = 0;
  while (2 * k <= n) k++;
  return k;
}
const survives = (n: number, inZone: number) => 2 * (n - inZone) > n;

/** The address `offset` hosts into zone `zone`'s /20 of input(). */
const ipIn = (zone: number, offset: number) => `10.50.${zone * 16}.${10 + offset}`;

describe("master placement", () => {
  it("survives the loss of any one zone exactly when the zones allow it, and refuses otherwise", () => {
    fc.assert(
      fc.property(masterCounts, zoneCounts, (n, zones) => {
        const result = planTopology(input(n, zones));
        // Slot i goes to zone i mod zones, so the fullest zone holds ceil(n / zones) masters.
        const fullest = Math.ceil(n / zones);
        if (!survives(n, fullest)) {
          assert.equal(result.topology, undefined);
          assert.equal(result.issues[0].key, "availabilityZones");
          return;
        }
        const topology = result.topology!;
        assert.equal(topology.quorum, majorityOf(n));
        assert.equal(topology.toleratedFailures, n - majorityOf(n));
        assert.deepEqual(topology.slots.map((s) => s.az), Array.from({ length: n }, (_, i) => ZONES[i % zones]));
        for (const az of ZONES.slice(0, zones)) {
          const inZone = topology.slots.filter((s) => s.az === az).length;
          assert.ok(survives(n, inZone), `${az} holds ${inZone} of ${n}`);
          assert.deepEqual(topology.azLoss.find((r) => r.az === az), { az, lost: inZone, remaining: n - inZone, quorumKept: true });
        }
      }),
    );
  });

  it("refuses pinned IPs that crowd one zone beyond what its loss leaves a majority for, naming masterIps", () => {
    fc.assert(
      fc.property(masterCounts, fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 6 }), (n, zones, extra) => {
        // The first `crowd` slots pinned into zone 0, the others round-robin over the remaining zones.
        const crowd = Math.min(n, n - majorityOf(n) + 1 + extra);
        const ips = Array.from({ length: n }, (_, i) => (i < crowd ? ipIn(0, i) : ipIn(1 + ((i - crowd) % (zones - 1)), i)));
        const result = planTopology(input(n, zones, { masterIps: ips }));
        assert.equal(result.topology, undefined, `${crowd} of ${n} pinned into ${ZONES[0]} accepted`);
        assert.equal(result.issues[0].key, "masterIps");
        assert.match(result.issues[0].message, new RegExp(`${ZONES[0]} holds ${crowd} of ${n} masters`));
      }),
    );
  });

  it("accepts pinned IPs that leave a majority whichever zone is lost (negative control)", () => {
    const ips = [ipIn(0, 0), ipIn(0, 1), ipIn(1, 2), ipIn(1, 3), ipIn(2, 4)];
    const { topology, issues } = planTopology(input(5, 3, { masterIps: ips }));
    assert.deepEqual(issues, []);
    assert.deepEqual(topology!.slots.map((s) => s.az), ["us-east-1a", "us-east-1a", "us-east-1b", "us-east-1b", "us-east-1c"]);
  });

  it("gives every slot a distinct, usable address inside its own zone's subnet", () => {
    fc.assert(
      fc.property(masterCounts, zoneCounts, (n, zones) => {
        const { topology } = planTopology(input(n, zones, { allowQuorumLossOnAzFailure: true }));
        const ips = topology!.slots.map((s) => s.ip);
        assert.equal(new Set(ips).size, n);
        for (const slot of topology!.slots) {
          const cidr = parseCidr(slot.subnet.cidr)!;
          assert.equal(slot.subnet.az, slot.az);
          assert.ok(cidrContains(cidr, parseIpv4(slot.ip)!));
          assert.ok(!isAwsReserved(cidr, parseIpv4(slot.ip)!));
        }
      }),
    );
  });

  it("is deterministic", () => {
    fc.assert(
      fc.property(masterCounts, zoneCounts, (n, zones) => {
        assert.deepEqual(planTopology(input(n, zones, { allowQuorumLossOnAzFailure: true })), planTopology(input(n, zones, { allowQuorumLossOnAzFailure: true })));
      }),
    );
  });

  it("keeps pinned slots in place when zones are reordered or added", () => {
    fc.assert(
      fc.property(masterCounts, fc.integer({ min: 3, max: 5 }), fc.integer({ min: 0, max: 1000 }), (n, zones, seed) => {
        const first = planTopology(input(n, zones)).topology!;
        const pinned = first.slots.map((s) => s.ip);
        const all = input(n, Math.min(zones + 1, 6));
        const order = all.availabilityZones.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
        const reordered: PlacementInput = {
          ...all,
          availabilityZones: order.map((i) => all.availabilityZones[i]),
          subnets: order.map((i) => all.subnets[i]),
          masterIps: pinned,
        };
        const second = planTopology(reordered, first.slots);
        assert.deepEqual(second.issues, []);
        assert.deepEqual(
          second.topology!.slots.map((s) => [s.slot, s.az, s.ip]),
          first.slots.map((s) => [s.slot, s.az, s.ip]),
        );
      }),
    );
  });

  it("refuses a derived placement that would move a deployed slot, and says which addresses to pin", () => {
    const deployed = planTopology(input(5, 3)).topology!.slots;
    const withFourthZone = planTopology(input(5, 4), deployed);
    assert.equal(withFourthZone.topology, undefined);
    const issue = withFourthZone.issues[0];
    assert.equal(issue.key, "masterIps");
    assert.match(issue.message, /moves slot 3 from us-east-1a 10\.50\.0\.11 to us-east-1d 10\.50\.48\.10/);
    assert.equal(issue.fix, `pin the deployed addresses: masterIps: [${deployed.map((s) => s.ip).join(", ")}]`);
  });

  it("lets exactly the slots listed in slotsToMove move (a zone rebuild), still refusing the others", () => {
    const deployed = planTopology(input(5, 3)).topology!.slots;
    // Slot 3 (us-east-1a) moves to the fourth zone; with 4 zones slot 4 would move too.
    const rebuilt = planTopology({ ...input(5, 4), slotsToMove: [3] }, deployed);
    assert.equal(rebuilt.topology, undefined);
    assert.doesNotMatch(rebuilt.issues[0].message, /slot 3 /);
    assert.match(rebuilt.issues[0].message, /moves slot 4 /);
    const both = planTopology({ ...input(5, 4), slotsToMove: [3, 4] }, deployed);
    assert.deepEqual(both.issues, []);
    assert.equal(both.topology!.slots.find((s) => s.slot === 3)!.az, "us-east-1d");
  });

  it("places prod's 5 masters 2/2/1 over 3 zones", () => {
    const { topology } = planTopology(input(5, 3));
    assert.deepEqual(topology!.azLoss.map((r) => r.lost), [2, 2, 1]);
  });
});
