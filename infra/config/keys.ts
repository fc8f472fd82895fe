/**
 * Config keys of the master tier itself: environment, placement, network, instances, SeaweedFS binary and flags,
 * client access and tags. Every key's type, default and documentation is declared once, here.
 */
import { z } from "zod";
import { durationMs } from "../seaweed/master";
import { EVEN_MASTERS_FATAL, isValidMasterCount } from "../seaweed/quorum";
import { DEFAULT_HTTP_PORT, DEFAULT_METRICS_PORT, GRPC_PORT_OFFSET, SEAWEEDFS_VERSION } from "../seaweed/constants";
import { parseCidr, parseIpv4 } from "../net";
import { key } from "./spec";

const port = z.number().int().min(1024, "must be an unprivileged port (1024-65535)").max(65535, "must be at most 65535");
const cidr = z.string().refine((v) => parseCidr(v) !== undefined, "not an IPv4 CIDR block with zero host bits (e.g. 10.40.0.0/20)");
const ipv4 = z.string().refine((v) => parseIpv4(v) !== undefined, "not an IPv4 address");
const duration = z.string().refine((v) => durationMs(v) > 0, "not a positive Go duration (e.g. 300ms, 2s)");
/** A zone as a Kubernetes node label value (`topology.kubernetes.io/zone`); AWS zone names are a subset. */
const zoneName = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

export const CORE_KEYS = {
  environment: key({
    type: "string",
    description: "Which environment this stack is: dev, staging or prod. prod turns on deletion protection and data retention.",
    schema: z.enum(["dev", "staging", "prod"]),
    required: true,
    fix: "set environment to dev, staging or prod",
  }),
  platform: key({
    type: "string",
    description: "Where the masters run: aws (EC2 slots with fixed IPs behind an NLB) or kubernetes (a StatefulSet with DNS identities). Keys of the other platform are refused.",
    schema: z.enum(["aws", "kubernetes"]),
    default: "aws",
    fix: "set platform to aws or kubernetes",
  }),
  clusterName: key({
    type: "string",
    description: "Name of the master tier; prefixes resource names, tags and the SSM path. Lower case, digits and dashes.",
    schema: z.string().regex(/^[a-z][a-z0-9-]{1,28}[a-z0-9]$/, "must be 3-30 lower-case letters, digits or dashes, starting with a letter"),
    default: "seaweedfs",
    fix: "use a short lower-case name such as seaweedfs-prod",
  }),
  masterCount: key({
    type: "integer",
    description: "How many SeaweedFS masters (raft members). Must be odd: 3 tolerates one failure, 5 tolerates two.",
    schema: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(7, "more than 7 masters only slows raft down")
      .refine(isValidMasterCount, `SeaweedFS refuses an even number of masters ("${EVEN_MASTERS_FATAL}")`),
    default: 3,
    fix: "set masterCount to 3 (or 5 for prod)",
  }),
  slotsRemovedFromRaft: key({
    type: "array",
    description: "Scale-in only: the leaving slots (the highest numbers) after they were taken out of raft and stopped as docs/runbooks/scaling.md says. Without it a masterCount lower than the deployed one is refused. Remove it again once deployed.",
    schema: z.array(z.number().int("must be a whole number").min(0, "must be a slot number")),
    default: [],
    fix: "list the slot numbers that leave, e.g. [4, 3] for 5 -> 3, only after cluster.raft.remove and stopping them; or leave it empty",
  }),
  availabilityZones: key({
    type: "array",
    description: "The availability zones to spread masters over, e.g. [us-east-1a, us-east-1b, us-east-1c]. Order matters: slot i goes to zone i mod count unless masterIps pins it. On Kubernetes: values of the nodes' topology.kubernetes.io/zone label.",
    schema: z
      .array(z.string().regex(zoneName, "not a zone name such as us-east-1a"))
      .min(1, "at least one zone is needed")
      .refine((zones) => new Set(zones).size === zones.length, "lists a zone more than once"),
    required: true,
    fix: "list three zones of one region, e.g. [us-east-1a, us-east-1b, us-east-1c]",
  }),
  allowQuorumLossOnAzFailure: key({
    type: "boolean",
    description: "Cheap dev stacks only: allow a placement where losing one availability zone loses quorum (e.g. 3 masters in 2 zones). The policy pack still flags it.",
    schema: z.boolean(),
    default: false,
    fix: "leave it false, or add availability zones so no zone holds more than masterCount - quorum masters",
  }),
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
  seaweedVersion: key({
    type: "string",
    description: "The SeaweedFS release the masters run; the boot script checks `weed version` against it.",
    schema: z.string().regex(/^\d+\.\d+$/, "not a SeaweedFS release such as 4.44"),
    default: SEAWEEDFS_VERSION,
    fix: `use a release number such as ${SEAWEEDFS_VERSION}`,
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
  heartbeatInterval: key({
    type: "string",
    description: "-heartbeatInterval: raft heartbeat timeout. A dead leader is noticed after 1-2.5 times this.",
    schema: duration,
    default: "300ms",
    fix: "use a Go duration shorter than electionTimeout, such as 300ms",
  }),
  electionTimeout: key({
    type: "string",
    description: "-electionTimeout: how long a candidacy may stall before a new vote.",
    schema: duration,
    default: "2s",
    fix: "use a Go duration longer than heartbeatInterval, such as 2s",
  }),
  httpPort: key({
    type: "integer",
    description: "Master HTTP port (API, UI, load-balancer health check).",
    schema: port,
    default: DEFAULT_HTTP_PORT,
    fix: `use ${DEFAULT_HTTP_PORT}`,
  }),
  grpcPort: key({
    type: "integer",
    description: "Master gRPC port (raft, heartbeats). SeaweedFS clients derive it as httpPort + 10000, so it must be exactly that.",
    schema: port,
    default: DEFAULT_HTTP_PORT + GRPC_PORT_OFFSET,
    fix: "set grpcPort to httpPort + 10000",
  }),
  metricsPort: key({
    type: "integer",
    description: "Port of the Prometheus /metrics listener, open only inside the master tier.",
    schema: port,
    default: DEFAULT_METRICS_PORT,
    fix: `use ${DEFAULT_METRICS_PORT}, a port different from httpPort and grpcPort`,
  }),
  defaultReplication: key({
    type: "string",
    description: "-defaultReplication for new volumes: three digits (other data centers, other racks, same rack).",
    schema: z.string().regex(/^[0-9]{3}$/, "must be three digits such as 000 or 010"),
    default: "000",
    fix: "use three digits, e.g. 000 (no copies) or 010 (one copy on another rack)",
  }),
  volumeSizeLimitMB: key({
    type: "integer",
    description: "-volumeSizeLimitMB: size at which a volume stops taking writes (SeaweedFS caps it at 30720 on standard builds).",
    schema: z.number().int("must be a whole number").min(1, "must be at least 1").max(30720, "SeaweedFS refuses more than 30720 on standard builds"),
    default: 30000,
    fix: "use a value from 1 to 30720, e.g. 30000",
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
};
