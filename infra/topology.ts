/**
 * Pure placement of master slots: which zone, subnet and fixed IP each slot gets, the quorum, and what the loss of
 * each zone would leave. A slot's identity (zone + IP) must never move silently: that would replace the master.
 */
import { addressAt, cidrContains, isAwsReserved, parseCidr, parseIpv4 } from "./net";
import type { ConfigIssue } from "./config/spec";

/** A subnet that can hold masters. */
export interface SubnetPlan {
  az: string;
  /** The existing subnet's id; undefined when the stack creates the subnet. */
  id?: string;
  cidr: string;
}

/** One master slot: a fixed identity that survives instance replacement. */
export interface MasterSlot {
  slot: number;
  name: string;
  az: string;
  subnet: SubnetPlan;
  ip: string;
}

/** What losing one availability zone does to the cluster. */
export interface AzLoss {
  az: string;
  lost: number;
  remaining: number;
  quorumKept: boolean;
}

export interface Topology {
  slots: MasterSlot[];
  quorum: number;
  toleratedFailures: number;
  /** The most masters one zone may hold for the cluster to survive that zone's loss. */
  maxPerAz: number;
  azLoss: AzLoss[];
}

/** The inputs of placement, a subset of the validated config. */
export interface PlacementInput {
  clusterName: string;
  masterCount: number;
  availabilityZones: string[];
  subnets: SubnetPlan[];
  /** Explicit IPs per slot; empty to derive them. */
  masterIps: string[];
  allowQuorumLossOnAzFailure: boolean;
  /** Slots allowed to move away from where a previous deployment placed them (a zone rebuild). @default [] */
  slotsToMove?: number[];
}

/** A slot as a previous deployment placed it (the `slots` stack output). */
export interface PreviousSlot {
  slot: number;
  az: string;
  ip: string;
}

/** Offset, from the subnet base, of the first derived master address (AWS reserves base+0..3). */
export const FIRST_DERIVED_OFFSET = 10;

export function quorumOf(masterCount: number): number {
  return Math.floor(masterCount / 2) + 1;
}

export function slotName(clusterName: string, slot: number): string {
  return `${clusterName}-master-${slot}`;
}

/** Slot i lands in zone i mod |zones| at the (FIRST_DERIVED_OFFSET + i div |zones|)-th address of its subnet. */
function derivedSlots(input: PlacementInput): MasterSlot[] {
  const zones = input.availabilityZones.length;
  return Array.from({ length: input.masterCount }, (_, slot) => {
    const subnet = input.subnets[slot % zones];
    const cidr = parseCidr(subnet.cidr)!;
    const ip = addressAt(cidr, FIRST_DERIVED_OFFSET + Math.floor(slot / zones));
    return { slot, name: slotName(input.clusterName, slot), az: subnet.az, subnet, ip };
  });
}

/** Each pinned IP decides its slot's zone: the zone whose subnet contains it. */
function pinnedSlots(input: PlacementInput, issues: ConfigIssue[]): MasterSlot[] {
  const slots: MasterSlot[] = [];
  input.masterIps.forEach((ip, slot) => {
    const key = `masterIps[${slot}]`;
    const address = parseIpv4(ip)!;
    const subnet = input.subnets.find((s) => cidrContains(parseCidr(s.cidr)!, address));
    if (!subnet) {
      issues.push({
        key,
        value: ip,
        message: `lies in none of the master subnets (${input.subnets.map((s) => `${s.az} ${s.cidr}`).join(", ")})`,
        fix: "choose an address inside the subnet of the zone this slot should live in",
      });
      return;
    }
    if (isAwsReserved(parseCidr(subnet.cidr)!, address)) {
      issues.push({
        key,
        value: ip,
        message: `is reserved by AWS in subnet ${subnet.cidr} (the first four and the last address of every subnet)`,
        fix: "choose an address from the fifth address of the subnet up to the second-last",
      });
      return;
    }
    if (input.masterIps.indexOf(ip) !== slot) {
      issues.push({ key, value: ip, message: "is used by another slot too", fix: "give every slot its own address" });
      return;
    }
    slots.push({ slot, name: slotName(input.clusterName, slot), az: subnet.az, subnet, ip });
  });
  return slots;
}

function azLossTable(slots: MasterSlot[], zones: string[], masterCount: number): AzLoss[] {
  const quorum = quorumOf(masterCount);
  return zones.map((az) => {
    const lost = slots.filter((s) => s.az === az).length;
    return { az, lost, remaining: masterCount - lost, quorumKept: masterCount - lost >= quorum };
  });
}

/** Refuses placements that would move a slot a previous deployment placed elsewhere. */
function movedSlots(slots: MasterSlot[], previous: readonly PreviousSlot[], allowed: readonly number[]): ConfigIssue[] {
  const moved = previous.filter((p) => {
    if (allowed.includes(p.slot)) return false;
    const now = slots.find((s) => s.slot === p.slot);
    return now !== undefined && (now.az !== p.az || now.ip !== p.ip);
  });
  if (moved.length === 0) return [];
  const pinned = slots.map((s) => previous.find((p) => p.slot === s.slot)?.ip ?? s.ip);
  return [
    {
      key: "masterIps",
      value: slots.map((s) => s.ip),
      message: `this change moves ${moved
        .map((p) => {
          const now = slots.find((s) => s.slot === p.slot)!;
          return `slot ${p.slot} from ${p.az} ${p.ip} to ${now.az} ${now.ip}`;
        })
        .join("; ")}, which would replace those masters and orphan their data volumes`,
      fix: `pin the deployed addresses: masterIps: [${pinned.join(", ")}]`,
    },
  ];
}

/**
 * Places the slots and checks the zone rule: no zone may hold more than `masterCount - quorum` masters, unless
 * `allowQuorumLossOnAzFailure` relaxes it.
 *
 * @param previous the slots of the last deployment, when known; a placement that moves one is refused.
 * @returns the topology, or the problems found (each naming the config key at fault).
 */
export function planTopology(
  input: PlacementInput,
  previous: readonly PreviousSlot[] = [],
): { topology: Topology; issues: [] } | { topology?: undefined; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const slots = input.masterIps.length > 0 ? pinnedSlots(input, issues) : derivedSlots(input);
  if (issues.length > 0) return { issues };

  const quorum = quorumOf(input.masterCount);
  const maxPerAz = input.masterCount - quorum;
  const azLoss = azLossTable(slots, input.availabilityZones, input.masterCount);
  const crowded = azLoss.filter((row) => row.lost > maxPerAz);
  if (crowded.length > 0 && !input.allowQuorumLossOnAzFailure) {
    const zonesNeeded = Math.ceil(input.masterCount / Math.max(maxPerAz, 1));
    issues.push({
      key: input.masterIps.length > 0 ? "masterIps" : "availabilityZones",
      value: input.masterIps.length > 0 ? input.masterIps : input.availabilityZones,
      message:
        `${crowded.map((row) => `${row.az} holds ${row.lost} of ${input.masterCount} masters`).join(", ")}; ` +
        `losing it leaves ${crowded[0].remaining}, below the quorum of ${quorum} (at most ${maxPerAz} per zone)`,
      fix:
        maxPerAz === 0
          ? "a single master cannot survive a zone loss: use masterCount 3 or more, or set allowQuorumLossOnAzFailure: true for a dev stack"
          : `spread the masters over at least ${zonesNeeded} zones, or set allowQuorumLossOnAzFailure: true for a dev stack`,
    });
  }
  issues.push(...movedSlots(slots, previous, input.slotsToMove ?? []));
  if (issues.length > 0) return { issues };
  return { topology: { slots, quorum, toleratedFailures: input.masterCount - quorum, maxPerAz, azLoss }, issues: [] };
}
