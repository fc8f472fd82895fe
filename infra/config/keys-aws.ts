/**
 * Config keys of the load balancer, DNS, protection and IAM of the AWS master tier. Same rules as config/keys.ts: every key declared once with type, default,
 * documentation and fix.
 */
import { z } from "zod";
import type { ConfigValues } from "../config";
import { cidrWithin, parseCidr } from "../net";
import type { ConfigIssue, Environment } from "./spec";
import { key } from "./spec";

const seconds = (min: number, max: number) =>
  z.number().int("must be a whole number").min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const onInProd = (environment: Environment) => environment === "prod";

/** Private ranges (RFC 1918 and the carrier-grade NAT block) a prod client may come from. */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map((c) => parseCidr(c)!);

export const AWS_KEYS = {
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
