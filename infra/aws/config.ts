/**
 * What an AWS stack's config adds to its keys: one subnet per zone (existing, or carved from `vpcCidr`), every zone
 * in the stack's region, and the placement of the slots on fixed IPs (infra/aws/placement.ts), refused when it would
 * move a deployed slot. The AWS platform's contribution to the platform registry (infra/platforms.ts).
 */
import { carveSubnet, cidrsOverlap, cidrWithin, parseCidr } from "../net";
import { ConfigError, ConfigIssue, ConfigValues, membershipIssues, ParseOptions } from "../config";
import { planTopology, PreviousSlot, SubnetPlan, Topology } from "./placement";

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

/**
 * Finishes an AWS stack's config (readStackConfig has checked its keys; `issues` holds what it found): zones in the
 * stack's region, a raft membership change against the last deployment, subnets, then the placement.
 *
 * @throws ConfigError listing every problem.
 */
export function awsConfig(v: ConfigValues, options: ParseOptions, issues: ConfigIssue[]): SeaweedConfig {
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
