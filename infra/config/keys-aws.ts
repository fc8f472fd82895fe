/**
 * Config keys only AWS stacks read (refused on Kubernetes, see config/platforms.ts): network and fixed IPs, instances
 * and their data volume, the weed binary download, client access, tags, the load balancer, DNS, protection and IAM.
 * Same rules as config/keys.ts: every key declared once with type, default, documentation and fix.
 */
import { z } from "zod";
import type { ConfigValues } from "../config";
import { cidrWithin, parseCidr, parseIpv4 } from "../net";
import type { ConfigIssue, Environment } from "./spec";
import { key } from "./spec";

const seconds = (min: number, max: number) =>
  z.number().int("must be a whole number").min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const onInProd = (environment: Environment) => environment === "prod";

/** Private ranges (RFC 1918 and the carrier-grade NAT block) a prod client may come from. */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map((c) => parseCidr(c)!);

const cidr = z.string().refine((v) => parseCidr(v) !== undefined, "not an IPv4 CIDR block with zero host bits (e.g. 10.40.0.0/20)");
const ipv4 = z.string().refine((v) => parseIpv4(v) !== undefined, "not an IPv4 address");

export const AWS_KEYS = {
  vpcId: key({
    type: "string",
    description: "An existing VPC to deploy into (vpc-...). Empty: a new VPC is created from vpcCidr.",
    schema: z.string().regex(/^(vpc-[0-9a-f]{8,17})?$/, "not a VPC id such as vpc-0a1b2c3d4e5f67890"),
    default: "",
    fix: "use the vpc-... id of an existing VPC, or leave it empty to create one",
  }),
  subnetIds: key({
    type: "array",
    description: "With vpcId: one private subnet per availability zone, in the same order as availabilityZones.",
    schema: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "not a subnet id such as subnet-0a1b2c3d4e5f67890")),
    default: [],
    fix: "list one subnet-... id per availability zone, in zone order",
  }),
  vpcCidr: key({
    type: "string",
    description: "Without vpcId: the CIDR of the VPC to create; subnets are carved from it as /20 blocks, one per zone.",
    schema: cidr.refine((v) => (parseCidr(v)?.prefix ?? 0) <= 20 && (parseCidr(v)?.prefix ?? 0) >= 16, "must be between /16 and /20"),
    default: "10.40.0.0/16",
    fix: "use a private /16 such as 10.40.0.0/16",
  }),
  subnetCidrs: key({
    type: "array",
    description: "The CIDR of each zone's subnet, in zone order. Required with vpcId (checked against the real subnets at deploy time); derived from vpcCidr otherwise.",
    schema: z.array(cidr),
    default: [],
    fix: "list each subnet's CIDR in availability-zone order",
  }),
  masterIps: key({
    type: "array",
    description: "Fixed private IP of each master slot, in slot order. Pinning them keeps every slot in place when zones are reordered or added. Empty: slot i gets the (11 + i div zones)-th address of its zone's subnet.",
    schema: z.array(ipv4),
    default: [],
    fix: "list one address per master, each inside its zone's subnet and not one of the 4 first or the last address",
  }),
  slotsToMove: key({
    type: "array",
    description: "Slots whose zone or IP may change in this update although a previous deployment placed them elsewhere (rebuilding slots out of a lost zone: docs/runbooks/zone-outage.md). Such a slot gets a new raft identity. Remove it again once deployed.",
    schema: z.array(z.number().int("must be a whole number").min(0, "must be a slot number")),
    default: [],
    fix: "list the numbers of the slots being rebuilt elsewhere, e.g. [1, 4], or leave it empty",
  }),
  instanceType: key({
    type: "string",
    description: "EC2 instance type of the masters. Masters are light: t3.small is plenty for dev, m7i.large for prod.",
    schema: z.string().regex(/^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/, "not an EC2 instance type such as t3.small"),
    default: "t3.small",
    fix: "use an instance type such as t3.small, m7i.large or (arm64) t4g.small",
  }),
  architecture: key({
    type: "string",
    description: "CPU architecture of the instances and of the weed binary: x86_64 or arm64.",
    schema: z.enum(["x86_64", "arm64"]),
    default: "x86_64",
    fix: "use x86_64 or arm64, matching instanceType and the weed binary",
  }),
  amiId: key({
    type: "string",
    description: "A pinned AMI id (ami-...). Empty: the AMI comes from amiSsmParameter.",
    schema: z.string().regex(/^(ami-[0-9a-f]{8,17})?$/, "not an AMI id such as ami-0123456789abcdef0"),
    default: "",
    fix: "use an ami-... id, or leave it empty and set amiSsmParameter",
  }),
  amiSsmParameter: key({
    type: "string",
    description: "SSM parameter that resolves the AMI at launch. Empty: Amazon Linux 2023 for the architecture.",
    schema: z.string().regex(/^(\/[A-Za-z0-9_.\-/]+)?$/, "not an SSM parameter path"),
    default: "",
    fix: "use a path such as /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
  }),
  dataVolumeSizeGiB: key({
    type: "integer",
    description: "Size of each master's data volume (raft state in -mdir; it is small).",
    schema: z.number().int("must be a whole number").min(1, "must be at least 1 GiB").max(16384, "must be at most 16384 GiB"),
    default: 10,
    fix: "use a size in GiB such as 10",
  }),
  dataVolumeType: key({
    type: "string",
    description: "EBS type of each master's data volume.",
    schema: z.enum(["gp3", "io2", "io1"]),
    default: "gp3",
    fix: "use gp3 (or io2 for provisioned IOPS)",
  }),
  seaweedBinaryUrl: key({
    type: "string",
    description: "Where instances fetch the weed binary: https://... or s3://bucket/key (for subnets without internet egress). A .tar.gz must contain `weed` at its top.",
    schema: z.string().regex(/^(https:\/\/[^\s]+|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^\s]+)$/, "must be an https:// or s3://bucket/key URL"),
    required: true,
    fix: "use the https:// URL of a SeaweedFS release asset or the s3:// URL of a copy in your artifacts bucket",
  }),
  seaweedBinarySha256: key({
    type: "string",
    description: "sha256 of the object at seaweedBinaryUrl; the boot script refuses to start on a mismatch.",
    schema: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits"),
    required: true,
    fix: "run `sha256sum` on the artifact and paste the 64 hex digits",
  }),
  clientCidrs: key({
    type: "array",
    description: "CIDR blocks of clients (volume servers, filers, shells) allowed to reach masters on the HTTP and gRPC ports. Never 0.0.0.0/0.",
    schema: z.array(cidr),
    default: [],
    fix: "list the private CIDRs of your volume servers and filers, e.g. [10.40.64.0/18]",
  }),
  clientSecurityGroupIds: key({
    type: "array",
    description: "Security groups whose members may reach masters on the HTTP and gRPC ports (besides the client group the stack creates).",
    schema: z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, "not a security group id such as sg-0a1b2c3d4e5f67890")),
    default: [],
    fix: "list sg-... ids",
  }),
  tags: key({
    type: "array",
    description: "Extra tags on every resource, as Key=Value strings (e.g. [team=storage, cost-center=1234]).",
    schema: z.array(z.string().regex(/^[^=\s][^=]{0,127}=.{0,256}$/, "must be Key=Value")),
    default: [],
    fix: "write each tag as Key=Value",
  }),
  lbHealthCheckIntervalSeconds: key({
    type: "integer",
    description: "Seconds between two load-balancer health checks (GET /cluster/healthz on the HTTP port) of each master. A dead master leaves the targets after about interval x lbUnhealthyThreshold.",
    schema: seconds(5, 300),
    default: 5,
    fix: "use 5 (the NLB minimum) to 300 seconds",
  }),
  lbHealthCheckTimeoutSeconds: key({
    type: "integer",
    description: "Seconds a health check may take before it counts as failed; shorter than lbHealthCheckIntervalSeconds.",
    schema: seconds(2, 120),
    default: 3,
    fix: "use 2 to 120 seconds, less than lbHealthCheckIntervalSeconds",
  }),
  lbHealthyThreshold: key({
    type: "integer",
    description: "Consecutive passed health checks before a master receives traffic again.",
    schema: seconds(2, 10),
    default: 2,
    fix: "use 2 to 10",
  }),
  lbUnhealthyThreshold: key({
    type: "integer",
    description: "Consecutive failed health checks before a master is taken out of the load balancer.",
    schema: seconds(2, 10),
    default: 2,
    fix: "use 2 to 10",
  }),
  lbDeregistrationDelaySeconds: key({
    type: "integer",
    description: "Seconds the load balancer keeps draining connections to a master being taken out. Short: clients reconnect to another master anyway.",
    schema: seconds(0, 3600),
    default: 5,
    fix: "use 0 to 3600 seconds, e.g. 5",
  }),
  lbPreserveClientIp: key({
    type: "boolean",
    description: "Masters see the real client address (not the load balancer's) on connections through the NLB, so a SeaweedFS -whiteList keeps working. See docs/architecture.md.",
    schema: z.boolean(),
    default: true,
    fix: "set true (recommended) or false",
  }),
  lbDeletionProtection: key({
    type: "boolean",
    description: "Deletion protection of the load balancer.",
    schema: z.boolean(),
    defaultFor: onInProd,
    fix: "set true or false",
  }),
  dataProtection: key({
    type: "boolean",
    description: "Protect and retain what holds a master's identity and state (data volumes, network interfaces, KMS key): `pulumi destroy` refuses to delete them and removing them from the program leaves them in the account.",
    schema: z.boolean(),
    defaultFor: onInProd,
    fix: "set true or false",
  }),
  privateZoneName: key({
    type: "string",
    description: "Name of the Route53 private hosted zone holding master-<slot> records and the load balancer's alias. Empty: <clusterName>.internal.",
    schema: z.string().regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^$/, "not a DNS domain name such as seaweedfs.internal"),
    default: "",
    fix: "use a lower-case domain such as seaweedfs-prod.internal, or leave it empty",
  }),
  attachTimeoutSeconds: key({
    type: "integer",
    description: "How long a new master's boot script waits for its predecessor to release the slot's network interface and data volume before giving up.",
    schema: seconds(30, 3600),
    default: 600,
    fix: "use 30 to 3600 seconds, e.g. 600",
  }),
};

/** Checks that span AWS keys and neutral ones: addresses, instance type and AMI, the artifact, client CIDRs, tags. */
export function awsCoreChecks(v: ConfigValues, issues: ConfigIssue[]): void {
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

const AWS_ZONE = /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/;

/** Checks that span several keys of this area. */
export function awsCrossChecks(v: ConfigValues, issues: ConfigIssue[]): void {
  const notAwsZones = v.availabilityZones.filter((zone) => !AWS_ZONE.test(zone));
  if (notAwsZones.length > 0) {
    issues.push({
      key: "availabilityZones",
      value: v.availabilityZones,
      message: `${notAwsZones.join(", ")}: not an AWS availability zone name such as us-east-1a`,
      fix: "list three zones of one region, e.g. [us-east-1a, us-east-1b, us-east-1c]",
    });
  }
  if (v.lbHealthCheckTimeoutSeconds >= v.lbHealthCheckIntervalSeconds) {
    issues.push({
      key: "lbHealthCheckTimeoutSeconds",
      value: v.lbHealthCheckTimeoutSeconds,
      message: `must be shorter than lbHealthCheckIntervalSeconds (${v.lbHealthCheckIntervalSeconds})`,
      fix: `use at most ${v.lbHealthCheckIntervalSeconds - 1} seconds, or raise lbHealthCheckIntervalSeconds`,
    });
  }
  if (v.environment === "prod") {
    v.clientCidrs.forEach((c, i) => {
      const block = parseCidr(c)!;
      if (block.prefix > 0 && !PRIVATE_RANGES.some((range) => cidrWithin(block, range))) {
        issues.push({
          key: `clientCidrs[${i}]`,
          value: c,
          message: "is not a private range; a prod master tier is internal and only private clients may reach it",
          fix: "list private CIDRs (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10) of your volume servers and filers",
        });
      }
    });
  }
}
