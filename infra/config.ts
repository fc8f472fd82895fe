/**
 * The stack config: one schema (see `config/keys.ts`) gives every key's type, default and documentation. Reading
 * a stack's config validates all of it at once, rejects unknown keys with a did-you-mean and keys of the other
 * platform, places the masters, and throws one {@link ConfigError} listing every problem before any resource is
 * registered.
 */
import { z } from "zod";
import { durationMs } from "./seaweed/master";
import { membershipChangeProblem, membershipChangeSince } from "./seaweed/membership";
import { GRPC_PORT_OFFSET } from "./seaweed/constants";
import { carveSubnet, cidrsOverlap, cidrWithin, parseCidr } from "./net";
import { planTopology, PreviousSlot, SubnetPlan, Topology } from "./aws/placement";
import { planZones, Topology as ZoneTopology } from "./topology";
import { DeployedPodSlot, renamedIdentities } from "./kubernetes/identity";
import { CORE_KEYS } from "./config/keys";
import { AWS_KEYS, awsCrossChecks } from "./config/keys-aws";
import { MONITORING_KEYS, monitoringCrossChecks } from "./config/keys-monitoring";
import { BACKUP_KEYS, backupCrossChecks } from "./config/keys-backup";
import { WATCHDOG_KEYS, watchdogCrossChecks } from "./config/keys-watchdog";
import { KUBERNETES_KEYS, kubernetesCrossChecks } from "./config/keys-kubernetes";
import { TLS_KEYS, tlsCrossChecks } from "./config/keys-tls";
import { AWS_WATCHDOG_KEYS, NEUTRAL_BACKUP_KEYS, NEUTRAL_MONITORING_KEYS, ownerOf, Platform } from "./config/platforms";
import { ConfigError, ConfigIssue, didYouMean, Environment, KeySpec, PROJECT } from "./config/spec";

export { ConfigError, PROJECT };
export type { ConfigIssue, Environment, KeySpec, Platform };

/** Every key of the project namespace. */
export const CONFIG_KEYS = { ...CORE_KEYS, ...AWS_KEYS, ...MONITORING_KEYS, ...BACKUP_KEYS, ...WATCHDOG_KEYS, ...TLS_KEYS, ...KUBERNETES_KEYS };

type Keys = typeof CONFIG_KEYS;
/** The value of every key after validation and defaults. */
export type ConfigValues = { [K in keyof Keys]: z.output<Keys[K]["schema"]> };

type AwsOnlyKey =
  | keyof typeof AWS_KEYS
  | Exclude<keyof typeof MONITORING_KEYS, (typeof NEUTRAL_MONITORING_KEYS)[number]>
  | Exclude<keyof typeof BACKUP_KEYS, (typeof NEUTRAL_BACKUP_KEYS)[number]>
  | (typeof AWS_WATCHDOG_KEYS)[number];
/** The keys every platform reads. */
export type NeutralValues = Omit<ConfigValues, AwsOnlyKey | keyof typeof KUBERNETES_KEYS>;

/** A validated Kubernetes stack: neutral keys, its own keys and the zone-only topology. */
export interface KubernetesConfig extends NeutralValues, Pick<ConfigValues, keyof typeof KUBERNETES_KEYS> {
  platform: "kubernetes";
  topology: ZoneTopology;
}

/** Where the AMI comes from. */
export type AmiSource = { id: string } | { ssmParameter: string };

/** The validated config of an AWS stack plus what follows from it. */
export interface SeaweedConfig extends ConfigValues {
  platform: "aws";
  /** One subnet per availability zone, in zone order. */
  subnets: SubnetPlan[];
  ami: AmiSource;
  tagMap: Record<string, string>;
  topology: Topology;
}

const VPC_SUBNET_PREFIX = 20;

/** Amazon Linux 2023's public SSM parameter for an architecture. */
export function defaultAmiParameter(architecture: string): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
}

/** A value from its config-string form (how the engine hands config to a program). */
function coerce(spec: KeySpec, text: string): { value?: unknown; problem?: string } {
  switch (spec.type) {
    case "string":
      return { value: text };
    case "integer":
      return /^-?\d+$/.test(text.trim()) ? { value: Number(text) } : { problem: "must be a whole number" };
    case "boolean":
      return text === "true" || text === "false" ? { value: text === "true" } : { problem: "must be true or false" };
    case "array": {
      try {
        const parsed: unknown = JSON.parse(text);
        return Array.isArray(parsed) ? { value: parsed } : { problem: "must be a list" };
      } catch {
        return { problem: "must be a list" };
      }
    }
  }
}

/** A default in the string form the engine hands over (how Pulumi.yaml defaults reach the program). */
function defaultText(spec: KeySpec): string | undefined {
  if (spec.default === undefined) return undefined;
  return typeof spec.default === "string" ? spec.default : JSON.stringify(spec.default);
}

/** The platform a raw config asks for; an invalid value is reported by the key's schema. */
function platformOf(raw: Record<string, string>): Platform {
  return raw.platform === "kubernetes" ? "kubernetes" : "aws";
}

/** The keys a stack of `platform` reads: the neutral ones and its own. */
function keysOf(platform: Platform): string[] {
  return Object.keys(CONFIG_KEYS).filter((k) => [undefined, platform].includes(ownerOf(k)));
}

function readValues(raw: Record<string, string>, issues: ConfigIssue[]): Partial<ConfigValues> {
  const known = Object.keys(CONFIG_KEYS);
  for (const name of Object.keys(raw)) {
    if (!(name in CONFIG_KEYS)) {
      const suggestion = didYouMean(name, known);
      issues.push({
        key: name,
        value: raw[name],
        message: "is not a config key of this project",
        fix: suggestion ? `did you mean ${suggestion}?` : `remove it; known keys are listed in Pulumi.yaml`,
      });
    }
  }
  const environment = z.enum(["dev", "staging", "prod"]).safeParse(raw.environment).data;
  const platform = platformOf(raw);
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(CONFIG_KEYS) as [string, KeySpec][]) {
    const text = raw[name];
    const owner = ownerOf(name);
    if (owner !== undefined && owner !== platform) {
      // Pulumi.yaml defaults reach every stack; only a value the stack file changed is a mistake.
      if (text !== undefined && text !== defaultText(spec)) {
        issues.push({
          key: name,
          value: text,
          message: `is a key of the ${owner} platform, but this stack's platform is ${platform}`,
          fix: `remove it from the stack file, or set platform: ${owner} if the stack should run on ${owner}`,
        });
      }
      continue;
    }
    if (text === undefined) {
      if (spec.default !== undefined) values[name] = spec.default;
      else if (spec.defaultFor && environment) values[name] = spec.defaultFor(environment);
      else if (spec.required) issues.push({ key: name, value: undefined, message: "is required", fix: spec.fix });
      continue;
    }
    const { value, problem } = coerce(spec, text);
    const parsed = problem ? undefined : spec.schema.safeParse(value);
    if (problem || !parsed?.success) {
      const detail = problem ?? parsed!.error!.issues.map((i) => (i.path.length ? `[${i.path.join(".")}] ` : "") + i.message).join("; ");
      issues.push({ key: name, value: value ?? text, message: detail, fix: spec.fix });
      continue;
    }
    values[name] = parsed.data;
  }
  return values as Partial<ConfigValues>;
}

function subnetsOf(v: ConfigValues, issues: ConfigIssue[]): SubnetPlan[] | undefined {
  const zones = v.availabilityZones;
  const before = issues.length;
  if (v.vpcId) {
    if (v.subnetIds.length !== zones.length) {
      issues.push({ key: "subnetIds", value: v.subnetIds, message: `has ${v.subnetIds.length} entries for ${zones.length} availability zones`, fix: "list exactly one subnet per zone, in zone order" });
    }
    if (v.subnetCidrs.length !== zones.length) {
      issues.push({ key: "subnetCidrs", value: v.subnetCidrs, message: `has ${v.subnetCidrs.length} entries for ${zones.length} availability zones; with vpcId each subnet's CIDR must be given`, fix: "list each subnet's CIDR in zone order" });
    }
  } else {
    if (v.subnetIds.length > 0) {
      issues.push({ key: "subnetIds", value: v.subnetIds, message: "is set without vpcId", fix: "set vpcId to the VPC of these subnets, or remove subnetIds to create a VPC" });
    }
    const vpc = parseCidr(v.vpcCidr)!;
    if (v.subnetCidrs.length > 0 && v.subnetCidrs.length !== zones.length) {
      issues.push({ key: "subnetCidrs", value: v.subnetCidrs, message: `has ${v.subnetCidrs.length} entries for ${zones.length} availability zones`, fix: "list one CIDR per zone, or leave it empty to carve them from vpcCidr" });
    }
    v.subnetCidrs.forEach((c, i) => {
      if (!cidrWithin(parseCidr(c)!, vpc)) {
        issues.push({ key: `subnetCidrs[${i}]`, value: c, message: `is not inside vpcCidr ${v.vpcCidr}`, fix: "choose subnet blocks inside vpcCidr" });
      }
    });
    if (v.subnetCidrs.length === 0 && zones.length * 2 ** (32 - VPC_SUBNET_PREFIX) > vpc.size) {
      issues.push({ key: "vpcCidr", value: v.vpcCidr, message: `is too small for ${zones.length} /${VPC_SUBNET_PREFIX} subnets`, fix: "use a larger block such as a /16" });
    }
  }
  if (issues.length > before) return undefined;
  const cidrs = v.subnetCidrs.length > 0 ? v.subnetCidrs : zones.map((_, i) => carveSubnet(parseCidr(v.vpcCidr)!, VPC_SUBNET_PREFIX, i));
  cidrs.forEach((a, i) =>
    cidrs.slice(i + 1).forEach((b, j) => {
      if (cidrsOverlap(parseCidr(a)!, parseCidr(b)!)) {
        issues.push({ key: `subnetCidrs[${i + 1 + j}]`, value: b, message: `overlaps subnetCidrs[${i}] (${a})`, fix: "give each zone its own, non-overlapping subnet" });
      }
    }),
  );
  if (issues.length > before) return undefined;
  return zones.map((az, i) => ({ az, cidr: cidrs[i], ...(v.vpcId ? { id: v.subnetIds[i] } : {}) }));
}

/** Checks that span several neutral keys. */
function crossChecks(v: NeutralValues, issues: ConfigIssue[]): void {
  if (v.environment !== "dev" && v.masterCount < 3) {
    issues.push({ key: "masterCount", value: v.masterCount, message: `a ${v.environment} stack needs at least 3 masters to survive the loss of one`, fix: `set masterCount to ${v.environment === "prod" ? 5 : 3}` });
  }
  if (durationMs(v.heartbeatInterval) >= durationMs(v.electionTimeout)) {
    issues.push({ key: "heartbeatInterval", value: v.heartbeatInterval, message: `must be shorter than electionTimeout (${v.electionTimeout})`, fix: "use e.g. heartbeatInterval: 300ms with electionTimeout: 2s" });
  }
  if (v.grpcPort !== v.httpPort + GRPC_PORT_OFFSET) {
    issues.push({ key: "grpcPort", value: v.grpcPort, message: `must be httpPort + ${GRPC_PORT_OFFSET} (${v.httpPort + GRPC_PORT_OFFSET}): SeaweedFS clients derive the gRPC port that way`, fix: `set grpcPort to ${v.httpPort + GRPC_PORT_OFFSET}` });
  }
  if (v.metricsPort === v.httpPort || v.metricsPort === v.grpcPort) {
    issues.push({ key: "metricsPort", value: v.metricsPort, message: `collides with the master's ${v.metricsPort === v.httpPort ? "HTTP" : "gRPC"} port`, fix: "use a port of its own, e.g. 9327" });
  }
  tlsCrossChecks(v, issues);
}

/** Checks that span several of the AWS keys declared in config/keys.ts. */
function awsCoreChecks(v: ConfigValues, issues: ConfigIssue[]): void {
  if (v.masterIps.length > 0 && v.masterIps.length !== v.masterCount) {
    issues.push({ key: "masterIps", value: v.masterIps, message: `has ${v.masterIps.length} addresses for ${v.masterCount} masters`, fix: "list one address per master, or none to derive them" });
  }
  const graviton = /^[a-z]+\d+g/.test(v.instanceType);
  if ((v.architecture === "arm64") !== graviton) {
    issues.push({ key: "instanceType", value: v.instanceType, message: `is ${graviton ? "an arm64 (Graviton)" : "an x86_64"} type but architecture is ${v.architecture}`, fix: `choose a ${v.architecture} instance type (${v.architecture === "arm64" ? "e.g. t4g.small" : "e.g. t3.small"}) or change architecture` });
  }
  if (v.amiId && v.amiSsmParameter) {
    issues.push({ key: "amiSsmParameter", value: v.amiSsmParameter, message: "is set together with amiId", fix: "set only one of amiId and amiSsmParameter" });
  }
  const urlVersion = /\/(\d+\.\d+)\//.exec(v.seaweedBinaryUrl)?.[1];
  if (urlVersion && urlVersion !== v.seaweedVersion) {
    issues.push({ key: "seaweedBinaryUrl", value: v.seaweedBinaryUrl, message: `points at release ${urlVersion} but seaweedVersion is ${v.seaweedVersion}`, fix: "make the URL and seaweedVersion name the same release (and update seaweedBinarySha256)" });
  }
  v.clientCidrs.forEach((c, i) => {
    if (parseCidr(c)!.prefix === 0) {
      issues.push({ key: `clientCidrs[${i}]`, value: c, message: "opens the master ports to the whole internet", fix: "list only the private CIDRs of your volume servers and filers" });
    }
  });
  const tagKeys = v.tags.map((t) => t.slice(0, t.indexOf("=")));
  tagKeys.forEach((k, i) => {
    if (tagKeys.indexOf(k) !== i) issues.push({ key: `tags[${i}]`, value: v.tags[i], message: `sets tag ${k} twice`, fix: "set each tag once" });
  });
}

/** The validated config of a stack of either platform. */
export type StackSettings = SeaweedConfig | KubernetesConfig;

/** Where a stack's config comes from, besides its keys. */
export interface ParseOptions {
  stack?: string;
  /**
   * The `slots` output of the last deployment: on AWS a change that moves a slot is refused, on Kubernetes one that
   * renames a master's DNS identity.
   */
  previousSlots?: readonly (PreviousSlot | DeployedPodSlot)[];
  /** AWS: the stack's `aws:region`; every availability zone must lie in it. */
  region?: string;
}

/**
 * Validates a stack's config, whatever its platform.
 *
 * @param raw the project's keys without namespace, each in the string form the engine passes to programs.
 * @throws ConfigError listing every problem.
 */
export function parseStackConfig(raw: Record<string, string>, options: ParseOptions = {}): StackSettings {
  const issues: ConfigIssue[] = [];
  const values = readValues(raw, issues);
  const platform = platformOf(raw);
  const complete = keysOf(platform).every((k) => values[k as keyof ConfigValues] !== undefined);
  if (!complete) throw new ConfigError(issues, options.stack);
  return platform === "kubernetes" ? kubernetesConfig(values as KubernetesConfig, options, issues) : awsConfig(values as ConfigValues, options, issues);
}

/**
 * Validates the config of an AWS stack (what the AWS composition root, its tests and tools read).
 *
 * @throws ConfigError listing every problem, or naming `platform` when the stack is a Kubernetes one.
 */
export function parseConfig(raw: Record<string, string>, options: ParseOptions = {}): SeaweedConfig {
  const settings = parseStackConfig(raw, options);
  if (settings.platform !== "aws") {
    throw new ConfigError([{ key: "platform", value: settings.platform, message: "this reader takes AWS stacks only", fix: "read the stack with parseStackConfig" }], options.stack);
  }
  return settings;
}

/** `issues` holds what reading the keys found; the cross-checks add theirs so every problem is reported at once. */
function kubernetesConfig(v: KubernetesConfig, options: ParseOptions, issues: ConfigIssue[]): KubernetesConfig {
  crossChecks(v, issues);
  kubernetesCrossChecks(v, issues);
  issues.push(...membershipIssues(v, options.previousSlots ?? []));
  if (issues.length > 0) throw new ConfigError(issues, options.stack);
  const placement = planZones(v);
  if (!placement.topology) throw new ConfigError(placement.issues, options.stack);
  const renamed = renamedIdentities(v, options.previousSlots ?? []);
  if (renamed.length > 0) throw new ConfigError(renamed, options.stack);
  return { ...v, platform: "kubernetes", topology: placement.topology };
}

/**
 * A `masterCount` change against the last deployment is a raft membership change: a scale-in is refused until the
 * leaving slots were taken out of raft (`slotsRemovedFromRaft`); a slot listed there that stays is refused too.
 */
function membershipIssues(v: NeutralValues, previous: readonly { slot: number }[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const staying = v.slotsRemovedFromRaft.filter((slot) => slot < v.masterCount);
  if (staying.length > 0) {
    issues.push({
      key: "slotsRemovedFromRaft",
      value: v.slotsRemovedFromRaft,
      message: `lists slot(s) ${staying.join(", ")}, which stay with masterCount ${v.masterCount} (slots 0-${v.masterCount - 1})`,
      fix: "list only the slots that leave, or leave it empty",
    });
  }
  const change = membershipChangeSince(previous.map((p) => p.slot), v.masterCount);
  const problem = change && membershipChangeProblem(change, v.slotsRemovedFromRaft);
  if (change && problem) {
    issues.push({
      key: "masterCount",
      value: v.masterCount,
      message: `${problem} (deployed: ${change.from}, new: ${change.to})`,
      fix: `first run the membership steps of docs/runbooks/scaling.md (npm run plan -- --previous prints them: hand leadership to a kept slot, then for slot ${change.removed.join(", then ")}: cluster.raft.remove and stop it), then set slotsRemovedFromRaft: [${change.removed.join(", ")}]; or keep masterCount: ${change.from}`,
    });
  }
  return issues;
}

function awsConfig(v: ConfigValues, options: ParseOptions, issues: ConfigIssue[]): SeaweedConfig {
  for (const check of [crossChecks, awsCoreChecks, awsCrossChecks, monitoringCrossChecks, backupCrossChecks, watchdogCrossChecks]) check(v, issues);
  zoneRegionChecks(v.availabilityZones, options.region, issues);
  issues.push(...membershipIssues(v, options.previousSlots ?? []));
  const subnets = subnetsOf(v, issues);
  if (issues.length > 0 || !subnets) throw new ConfigError(issues, options.stack);
  const placement = planTopology({ ...v, subnets }, (options.previousSlots ?? []).filter((s): s is PreviousSlot => "ip" in s));
  if (!placement.topology) throw new ConfigError(placement.issues, options.stack);
  return {
    ...v,
    platform: "aws",
    subnets,
    ami: v.amiId ? { id: v.amiId } : { ssmParameter: v.amiSsmParameter || defaultAmiParameter(v.architecture) },
    tagMap: Object.fromEntries(v.tags.map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)])),
    topology: placement.topology,
  };
}

/**
 * Every availability zone must lie in the stack's region (`aws:region`, when given) and all in one region: a zone
 * name is its region plus a letter (us-east-1a), or plus a local-zone suffix (us-east-1-bos-1a).
 */
function zoneRegionChecks(zones: readonly string[], region: string | undefined, issues: ConfigIssue[]): void {
  const expected = region || zones[0]?.replace(/(-[a-z]+-\d+)?[a-z]$/, "");
  if (!expected) return;
  zones.forEach((zone, i) => {
    if (!new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(-[a-z]+-\\d+)?[a-z]$`).test(zone)) {
      issues.push({
        key: `availabilityZones[${i}]`,
        value: zone,
        message: region ? `is not a zone of the stack's region aws:region = ${region}` : `is not in ${expected}, the region of availabilityZones[0]`,
        fix: `list zones of ${expected} only, e.g. ${expected}a, ${expected}b, ${expected}c${region ? ", or change aws:region" : ""}`,
      });
    }
  });
}

/** The project's keys of a flat engine config map (`seaweed-infra:masterCount` -> `masterCount`). */
export function projectKeys(all: Record<string, string>): Record<string, string> {
  const prefix = `${PROJECT}:`;
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, value]) => [k.slice(prefix.length), value]),
  );
}
