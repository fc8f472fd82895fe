/**
 * Platform-neutral placement of master slots over failure zones: slot i lives in zone i mod |zones|, the quorum,
 * and what the loss of each zone would leave. AWS adds subnets and fixed IPs (infra/aws/placement.ts); Kubernetes
 * enforces the same per-zone counts with a hard topology spread (infra/kubernetes).
 */
import type { ConfigIssue } from "./config/spec";
import { maxPerFailureDomain, quorumOf } from "./seaweed/quorum";

export { quorumOf };

/** One master slot: a fixed number and name, and the zone it lives in. */
export interface ZoneSlot {
  slot: number;
  name: string;
  az: string;
}

/** What losing one zone does to the cluster. */
export interface AzLoss {
  az: string;
  lost: number;
  remaining: number;
  quorumKept: boolean;
}

export interface Topology<S extends ZoneSlot = ZoneSlot> {
  slots: S[];
  quorum: number;
  toleratedFailures: number;
  /** The most masters one zone may hold for the cluster to survive that zone's loss. */
  maxPerAz: number;
  azLoss: AzLoss[];
}

/** The inputs of the zone rule. */
export interface ZoneRuleInput {
  masterCount: number;
  availabilityZones: string[];
  allowQuorumLossOnAzFailure: boolean;
}

export function slotName(clusterName: string, slot: number): string {
  return `${clusterName}-master-${slot}`;
}

/** Slot i in zone i mod |zones|: the spread that keeps every zone within one master of the others. */
export function zoneOfSlot(slot: number, zones: readonly string[]): string {
  return zones[slot % zones.length];
}

export function azLossTable(slots: readonly ZoneSlot[], zones: readonly string[], masterCount: number): AzLoss[] {
  const quorum = quorumOf(masterCount);
  return zones.map((az) => {
    const lost = slots.filter((s) => s.az === az).length;
    return { az, lost, remaining: masterCount - lost, quorumKept: masterCount - lost >= quorum };
  });
}

/**
 * The zone rule: no zone may hold more than `masterCount - quorum` masters, unless `allowQuorumLossOnAzFailure`
 * relaxes it. `key`/`value` name the config entry that decided the placement.
 */
export function zoneRuleIssues(input: ZoneRuleInput, slots: readonly ZoneSlot[], key: string, value: unknown): ConfigIssue[] {
  const quorum = quorumOf(input.masterCount);
  const maxPerAz = maxPerFailureDomain(input.masterCount);
  const crowded = azLossTable(slots, input.availabilityZones, input.masterCount).filter((row) => row.lost > maxPerAz);
  if (crowded.length === 0 || input.allowQuorumLossOnAzFailure) return [];
  const zonesNeeded = Math.ceil(input.masterCount / Math.max(maxPerAz, 1));
  return [
    {
      key,
      value,
      message:
        `${crowded.map((row) => `${row.az} holds ${row.lost} of ${input.masterCount} masters`).join(", ")}; ` +
        `losing it leaves ${crowded[0].remaining}, below the quorum of ${quorum} (at most ${maxPerAz} per zone)`,
      fix:
        maxPerAz === 0
          ? "a single master cannot survive a zone loss: use masterCount 3 or more, or set allowQuorumLossOnAzFailure: true for a dev stack"
          : `spread the masters over at least ${zonesNeeded} zones, or set allowQuorumLossOnAzFailure: true for a dev stack`,
    },
  ];
}

/** The topology of placed slots. */
export function topologyOf<S extends ZoneSlot>(slots: S[], input: ZoneRuleInput): Topology<S> {
  const quorum = quorumOf(input.masterCount);
  return {
    slots,
    quorum,
    toleratedFailures: input.masterCount - quorum,
    maxPerAz: maxPerFailureDomain(input.masterCount),
    azLoss: azLossTable(slots, input.availabilityZones, input.masterCount),
  };
}

/** Zone-only placement (Kubernetes): slot i in zone i mod |zones|, checked against the zone rule. */
export function planZones(
  input: ZoneRuleInput & { clusterName: string },
): { topology: Topology; issues: [] } | { topology?: undefined; issues: ConfigIssue[] } {
  const slots = Array.from({ length: input.masterCount }, (_, slot) => ({
    slot,
    name: slotName(input.clusterName, slot),
    az: zoneOfSlot(slot, input.availabilityZones),
  }));
  const issues = zoneRuleIssues(input, slots, "availabilityZones", input.availabilityZones);
  if (issues.length > 0) return { issues };
  return { topology: topologyOf(slots, input), issues: [] };
}
