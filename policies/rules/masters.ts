/**
 * Quorum invariants of the master tier, read from the resources that make a slot: its network interface (fixed IP,
 * tag `seaweedfs:role=master-eni`), its data volume (zone, tag `master-data`) and the launch template whose boot
 * script runs `weed master` with the rendered flags.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_HTTP_PORT } from "../../infra/seaweed/constants";
import { parseMasterCommands, ParsedMasterCommand } from "../../infra/aws/host/commandLine";
import { MASTER_FLAG_NAMES, UNSAFE_MASTER_FLAGS } from "../../infra/seaweed/flags";
import { evenCountProblem, isValidMasterCount, quorumOf } from "../../infra/seaweed/quorum";
import { masterAddress } from "../../infra/seaweed/master";
import { asArray, describe, ofType, referenced, tagsOf, TAGS, TYPES, userDataText } from "./graph";

/** One master slot as the graph shows it. */
export interface SlotFacts {
  slot: string;
  eni: PolicyResource;
  ip?: string;
  az?: string;
}

function slotOrder(a: SlotFacts, b: SlotFacts): number {
  return Number(a.slot) - Number(b.slot) || a.slot.localeCompare(b.slot);
}

/** Tagged with `role`, or (a resource that predates role tags) with a slot number and no role at all. */
function hasRole(r: PolicyResource, role: string): boolean {
  const tags = tagsOf(r.props);
  return tags[TAGS.role] === role || (tags[TAGS.role] === undefined && tags[TAGS.slot] !== undefined);
}

/**
 * The master slots: one per network interface tagged `master-eni` (or carrying a slot tag and no role), with the
 * zone of the slot's data volume or of the interface's subnet.
 */
export function masterSlots(resources: readonly PolicyResource[]): SlotFacts[] {
  const volumes = ofType(resources, TYPES.volume).filter((v) => hasRole(v, TAGS.dataVolumeRole));
  const subnets = ofType(resources, TYPES.subnet);
  return ofType(resources, TYPES.networkInterface)
    .filter((eni) => hasRole(eni, TAGS.eniRole))
    .map((eni) => {
      const tags = tagsOf(eni.props);
      const slot = tags[TAGS.slot] ?? eni.name;
      const volume = volumes.find((v) => tagsOf(v.props)[TAGS.slot] === slot && tagsOf(v.props)[TAGS.cluster] === tags[TAGS.cluster]);
      const subnet = referenced(eni, "subnetId", subnets)[0];
      const az = volume?.props.availabilityZone ?? subnet?.props.availabilityZone;
      const ip = asArray(eni.props.privateIps)[0] ?? eni.props.privateIp;
      return { slot, eni, ip: typeof ip === "string" ? ip : undefined, az: typeof az === "string" ? az : undefined };
    })
    .sort(slotOrder);
}

/** Launch templates and instances whose boot script runs a master, with the parsed command lines. */
export function masterLaunchConfigs(resources: readonly PolicyResource[]): { resource: PolicyResource; commands: ParsedMasterCommand[] }[] {
  return ofType(resources, TYPES.launchTemplate, TYPES.instance)
    .map((resource) => ({ resource, commands: parseMasterCommands(userDataText(resource)) }))
    .filter((c) => c.commands.length > 0);
}

export const masterCount: StackValidationPolicy = {
  name: "seaweedfs-master-count",
  description: "An odd number of masters, at least minMasters: SeaweedFS refuses an even count, fewer than 3 tolerate no failure.",
  severity: "critical",
  configSchema: { properties: { minMasters: { type: "integer", minimum: 1, default: 3 } } },
  validateStack: (args, report) => {
    const slots = masterSlots(args.resources);
    if (slots.length === 0) args.notApplicable(`no SeaweedFS master slots (network interfaces tagged ${TAGS.role}=${TAGS.eniRole})`);
    const { minMasters } = args.getConfig<{ minMasters: number }>();
    if (!isValidMasterCount(slots.length)) report(evenCountProblem(slots.length));
    if (slots.length < minMasters) report(`${slots.length} master(s), fewer than the required ${minMasters}`);
  },
};

export const masterZoneFailure: StackValidationPolicy = {
  name: "seaweedfs-master-zone-failure",
  description: "Losing any availability zone (or zoneFailuresToSurvive zones) keeps a raft quorum of masters.",
  severity: "critical",
  configSchema: { properties: { zoneFailuresToSurvive: { type: "integer", minimum: 0, default: 1 } } },
  validateStack: (args, report) => {
    const slots = masterSlots(args.resources);
    if (slots.length === 0) args.notApplicable("no SeaweedFS master slots");
    const { zoneFailuresToSurvive } = args.getConfig<{ zoneFailuresToSurvive: number }>();
    for (const s of slots.filter((s) => !s.az)) {
      report(`cannot tell the availability zone of master slot ${s.slot}: its data volume (tag ${TAGS.role}=${TAGS.dataVolumeRole}) or subnet is missing`, s.eni.urn);
    }
    const perZone = new Map<string, number>();
    for (const s of slots.filter((s) => s.az)) perZone.set(s.az!, (perZone.get(s.az!) ?? 0) + 1);
    const quorum = quorumOf(slots.length);
    const worst = [...perZone.entries()].sort((a, b) => b[1] - a[1]).slice(0, zoneFailuresToSurvive);
    const lost = worst.reduce((sum, [, n]) => sum + n, 0);
    if (worst.length > 0 && slots.length - lost < quorum) {
      const zones = worst.map(([az, n]) => `${az} (${n} master${n > 1 ? "s" : ""})`).join(" and ");
      report(`losing ${zones} leaves ${slots.length - lost} of ${slots.length} masters, below the quorum of ${quorum}; spread at most ${slots.length - quorum} master(s) per zone`);
    }
  },
};

function flagValue(command: ParsedMasterCommand, name: string): string | undefined {
  const value = command.flags.get(name);
  return typeof value === "string" ? value : undefined;
}

export const masterPeers: StackValidationPolicy = {
  name: "seaweedfs-master-peers",
  description: "Every master's rendered -peers is identical and lists exactly the slots' fixed addresses (in slot order), including itself.",
  severity: "critical",
  configSchema: { properties: { requireSlotOrder: { type: "boolean", default: true } } },
  validateStack: (args, report) => {
    const launches = masterLaunchConfigs(args.resources);
    if (launches.length === 0) args.notApplicable("no launch template runs a SeaweedFS master");
    const { requireSlotOrder } = args.getConfig<{ requireSlotOrder: boolean }>();
    const slots = masterSlots(args.resources);
    const lists = new Set<string>();
    for (const { resource, commands } of launches) {
      for (const command of commands) {
        const peers = flagValue(command, MASTER_FLAG_NAMES.peers);
        if (peers === undefined) {
          report(`${describe(resource)} runs a master without ${MASTER_FLAG_NAMES.peers}`, resource.urn);
          continue;
        }
        lists.add(peers);
        const port = Number(flagValue(command, MASTER_FLAG_NAMES.port) ?? DEFAULT_HTTP_PORT);
        const self = masterAddress(flagValue(command, MASTER_FLAG_NAMES.ip) ?? "?", port);
        if (!peers.split(",").includes(self)) {
          report(`${describe(resource)}: the master's own address ${self} is missing from ${MASTER_FLAG_NAMES.peers}=${peers}; SeaweedFS would append it and change the member count`, resource.urn);
        }
        if (slots.length > 0) {
          const expected = slots.map((s) => masterAddress(s.ip ?? "?", port));
          const actual = peers.split(",");
          const sameSet = expected.length === actual.length && expected.every((a) => actual.includes(a));
          if (!sameSet || (requireSlotOrder && expected.join(",") !== peers)) {
            report(`${describe(resource)}: ${MASTER_FLAG_NAMES.peers}=${peers} differs from the slots' addresses ${expected.join(",")}`, resource.urn);
          }
        }
      }
    }
    if (lists.size > 1) report(`masters disagree on ${MASTER_FLAG_NAMES.peers}: ${[...lists].join(" | ")}; every master must list the same peers`);
  },
};

export const masterNoRaftBootstrap: ResourceValidationPolicy = {
  name: "seaweedfs-master-no-raft-bootstrap",
  description: "No master runs with -raftBootstrap (on SeaweedFS <= 4.44 it wipes raft state on every start, issue #10880).",
  severity: "critical",
  configSchema: {
    properties: { forbiddenFlags: { type: "array", items: { type: "string" }, default: [...UNSAFE_MASTER_FLAGS] } },
  },
  validateResource: (args, report) => {
    if (args.type !== TYPES.launchTemplate && args.type !== TYPES.instance) args.notApplicable("not a launch template or instance");
    const { forbiddenFlags } = args.getConfig<{ forbiddenFlags: string[] }>();
    const bare = (name: string) => name.replace(/^-+/, "");
    for (const command of parseMasterCommands(userDataText(args))) {
      for (const name of command.flags.keys()) {
        if (forbiddenFlags.some((f) => bare(f) === bare(name))) report(`the master command line carries ${name}: ${command.line}`);
      }
    }
  },
};
