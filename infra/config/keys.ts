/**
 * Config keys every platform reads: environment, platform, cluster name, master count and zones, the SeaweedFS
 * version, raft timing, ports and volume defaults. Every key's type, default and documentation is declared once,
 * here; platform keys live with their platform (keys-aws.ts, keys-kubernetes.ts, see platforms.ts).
 */
import { z } from "zod";
import { durationMs } from "../seaweed/master";
import { EVEN_MASTERS_FATAL, isValidMasterCount } from "../seaweed/quorum";
import { DEFAULT_HTTP_PORT, DEFAULT_METRICS_PORT, GRPC_PORT_OFFSET, SEAWEEDFS_VERSION } from "../seaweed/constants";
import { key } from "./spec";

const port = z.number().int().min(1024, "must be an unprivileged port (1024-65535)").max(65535, "must be at most 65535");
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
  seaweedVersion: key({
    type: "string",
    description: "The SeaweedFS release the masters run; the boot script checks `weed version` against it.",
    schema: z.string().regex(/^\d+\.\d+$/, "not a SeaweedFS release such as 4.44"),
    default: SEAWEEDFS_VERSION,
    fix: `use a release number such as ${SEAWEEDFS_VERSION}`,
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
};
