/**
 * AWS placement of master slots: which subnet and fixed IP each slot gets, on top of the neutral zone rule of
 * infra/topology.ts. A slot's identity (zone + IP) must never move silently: that would replace the master.
 */
import { addressAt, cidrContains, isAwsReserved, parseCidr, parseIpv4 } from "../net";
import type { ConfigIssue } from "../config/spec";
import type { SlotAddress } from "../seaweed/cluster";
import { AzLoss, quorumOf, slotName, Topology as ZoneTopology, topologyOf, zoneOfSlot, zoneRuleIssues } from "../topology";

export { quorumOf, slotName };
export type { AzLoss };

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

/** The AWS topology: neutral slots with their subnet and fixed IP. */
export type Topology = ZoneTopology<MasterSlot>;

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

/** Slot i lands in zone i mod |zones| at the (FIRST_DERIVED_OFFSET + i div |zones|)-th address of its subnet. */
function derivedSlots(input: PlacementInput): MasterSlot[] {
  const zones = input.availabilityZones.length;
  return Array.from({ length: input.masterCount }, (_, slot) => {
    const subnet = input.subnets.find((s) => s.az === zoneOfSlot(slot, input.availabilityZones))!;
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

  const pinned = input.masterIps.length > 0;
  issues.push(...zoneRuleIssues(input, slots, pinned ? "masterIps" : "availabilityZones", pinned ? input.masterIps : input.availabilityZones));
  issues.push(...movedSlots(slots, previous, input.slotsToMove ?? []));
  if (issues.length > 0) return { issues };
  return { topology: topologyOf(slots, input), issues: [] };
}

/** The raft identities of AWS slots: each slot's fixed IP is its host. */
export function slotAddresses(slots: readonly MasterSlot[]): SlotAddress[] {
  return slots.map((s) => ({ slot: s.slot, host: s.ip }));
}
