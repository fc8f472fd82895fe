/**
 * The masters' network load balancer: internal, cross-zone, protected from deletion where it matters, listening on
 * the HTTP and gRPC ports, and health-checking `/cluster/healthz` fast enough to drop a dead master in time.
 */
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_HTTP_PORT, GRPC_PORT_OFFSET, HEALTH_CHECK } from "../../infra/seaweed/constants";
import { asRecord, describe, flag, numberOf, ofType, referenced, tagsOf, TYPES } from "./graph";

function requireLoadBalancer(args: ResourceValidationArgs): void {
  if (args.type !== TYPES.loadBalancer) args.notApplicable("not a load balancer");
}

export const lbInternal: ResourceValidationPolicy = {
  name: "seaweedfs-lb-internal",
  description: "The masters' load balancer is internal: the master API must never face the internet.",
  severity: "critical",
  validateResource: (args, report) => {
    requireLoadBalancer(args);
    if (flag(args.props.internal) !== true) report("the load balancer is internet-facing; set internal: true");
  },
};

export const lbCrossZone: ResourceValidationPolicy = {
  name: "seaweedfs-lb-cross-zone",
  description: "Cross-zone load balancing is on, so every healthy master takes traffic whatever zone a client resolves.",
  severity: "medium",
  validateResource: (args, report) => {
    requireLoadBalancer(args);
    if (flag(args.props.enableCrossZoneLoadBalancing) !== true) report("cross-zone load balancing is off; set enableCrossZoneLoadBalancing: true");
  },
};

const ENVIRONMENT_TAGS = ["environment", "Environment", "seaweedfs:environment"];

/** The stack's environment: policy config, else a stack tag, else the resource's tags. */
export function environmentOf(configured: string | undefined, stackTags: ReadonlyMap<string, string>, props: Record<string, unknown>): string | undefined {
  if (configured) return configured;
  for (const key of ENVIRONMENT_TAGS) if (stackTags.get(key)) return stackTags.get(key);
  const tags = tagsOf(props);
  return ENVIRONMENT_TAGS.map((k) => tags[k]).find((v) => v);
}

export const lbDeletionProtection: ResourceValidationPolicy = {
  name: "seaweedfs-lb-deletion-protection",
  description: "In protected environments (prod) the load balancer has deletion protection. The environment comes from this policy's config, a stack tag or the resource's `environment` tag; unknown counts as protected.",
  severity: "high",
  configSchema: {
    properties: {
      environment: { type: "string" },
      protectedEnvironments: { type: "array", items: { type: "string" }, default: ["prod"] },
    },
  },
  validateResource: (args, report) => {
    requireLoadBalancer(args);
    const config = args.getConfig<{ environment?: string; protectedEnvironments: string[] }>();
    const environment = environmentOf(config.environment, args.stackTags, args.props);
    if (environment !== undefined && !config.protectedEnvironments.includes(environment)) {
      args.notApplicable(`environment ${environment} is not protected`);
    }
    if (flag(args.props.enableDeletionProtection) !== true) {
      report(`deletion protection is off in ${environment ?? "an unknown environment (set this policy's environment)"}; set enableDeletionProtection: true`);
    }
  },
};

export const lbListeners: StackValidationPolicy = {
  name: "seaweedfs-lb-listeners",
  description: "The load balancer listens on the master HTTP port and its gRPC port (HTTP + 10000).",
  severity: "high",
  configSchema: {
    properties: {
      ports: { type: "array", items: { type: "integer" }, default: [DEFAULT_HTTP_PORT, DEFAULT_HTTP_PORT + GRPC_PORT_OFFSET] },
    },
  },
  validateStack: (args, report) => {
    const balancers = ofType(args.resources, TYPES.loadBalancer);
    if (balancers.length === 0) args.notApplicable("no load balancer");
    const { ports } = args.getConfig<{ ports: number[] }>();
    const listeners = ofType(args.resources, TYPES.listener);
    for (const lb of balancers) {
      const own = listeners.filter((l) => referenced(l, "loadBalancerArn", [lb]).length > 0);
      const open = own.map((l) => numberOf(l.props.port));
      const missing = ports.filter((p) => !open.includes(p));
      if (missing.length > 0) report(`${describe(lb)} has no listener on port ${missing.join(", ")} (listeners: ${open.join(", ") || "none"})`, lb.urn);
    }
  },
};

function healthCheckProblems(tg: PolicyResource["props"], maxDetectionSeconds: number, httpPort: number): string[] {
  const check = asRecord(tg.healthCheck);
  const problems: string[] = [];
  if (flag(check.enabled) === false) return ["health checks are disabled"];
  if (check.path !== HEALTH_CHECK.path) problems.push(`health check path is ${String(check.path ?? "unset")}, not ${HEALTH_CHECK.path} (only it answers 503 without a leader)`);
  if (String(check.protocol ?? "").toUpperCase() !== "HTTP") problems.push(`health check protocol is ${String(check.protocol ?? "unset")}, not HTTP`);
  const port = check.port === undefined || check.port === "traffic-port" ? numberOf(tg.port) : numberOf(check.port);
  if (port !== httpPort) problems.push(`health check goes to port ${port ?? "unset"}, not the master HTTP port ${httpPort}`);
  const interval = numberOf(check.interval);
  const threshold = numberOf(check.unhealthyThreshold);
  if (interval === undefined || threshold === undefined) {
    problems.push("health check interval and unhealthyThreshold must be set explicitly");
  } else if (interval * threshold > maxDetectionSeconds) {
    problems.push(`a dead master is detected after ${interval}s x ${threshold} = ${interval * threshold}s, more than maxDetectionSeconds ${maxDetectionSeconds}`);
  }
  return problems;
}

export const lbHealthCheck: ResourceValidationPolicy = {
  name: "seaweedfs-lb-health-check",
  description: `Target groups health-check HTTP ${HEALTH_CHECK.path} on the master HTTP port, with interval x unhealthyThreshold within maxDetectionSeconds.`,
  severity: "high",
  configSchema: {
    properties: {
      maxDetectionSeconds: { type: "integer", minimum: 1, default: 30 },
      httpPort: { type: "integer", default: DEFAULT_HTTP_PORT },
    },
  },
  validateResource: (args, report) => {
    if (args.type !== TYPES.targetGroup) args.notApplicable("not a target group");
    const { maxDetectionSeconds, httpPort } = args.getConfig<{ maxDetectionSeconds: number; httpPort: number }>();
    for (const problem of healthCheckProblems(args.props, maxDetectionSeconds, httpPort)) report(problem);
  },
};
