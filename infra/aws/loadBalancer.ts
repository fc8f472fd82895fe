/**
 * The internal network load balancer in front of the masters: one address for HTTP API users and a seed for
 * clients. TCP pass-through on the HTTP and gRPC ports (gRPC may be mTLS), IP targets at the slots' fixed addresses,
 * and a health check on `/cluster/healthz`, which answers 200 only on masters that know a leader.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HEALTH_CHECK } from "../seaweed/constants";
import { physicalName, shortHash } from "./physicalNames";

/** Both target groups forward raw TCP to the slots' fixed IPs. */
const TARGET_PROTOCOL = "TCP";
const TARGET_TYPE = "ip";

export interface HealthCheckSettings {
  /** Seconds between checks. @default 5 */
  intervalSeconds: number;
  /** @default 3 */
  timeoutSeconds: number;
  /** @default 2 */
  healthyThreshold: number;
  /** @default 2 (with the 5 s interval a dead master is out after about 10 s) */
  unhealthyThreshold: number;
}

export interface MasterLoadBalancerArgs {
  /** Physical names derive from it (see physicalNames.ts). */
  clusterName: string;
  vpcId: pulumi.Input<string>;
  /** One subnet per zone that holds masters. */
  subnetIds: pulumi.Input<string>[];
  /** The load balancer's own security group. */
  securityGroupId: pulumi.Input<string>;
  /** The slots' fixed IPs: the targets of every target group. */
  targets: readonly { slot: number; ip: string }[];
  /** HTTP port (API and health checks). @default 9333 */
  httpPort: number;
  /** gRPC port. @default 19333 */
  grpcPort: number;
  healthCheck: HealthCheckSettings;
  /** Seconds to drain a master being taken out. @default 5 */
  deregistrationDelaySeconds: number;
  /** Masters see client addresses instead of the load balancer's. @default true */
  preserveClientIp: boolean;
  /** @default true in prod */
  deletionProtection: boolean;
  tags: Record<string, string>;
  /**
   * Created before the load balancer, whose nodes take an address in each subnet: the slots' IP reservations and
   * their network interfaces, so a node never takes a slot's fixed IP first (`InvalidIPAddress.InUse` for the
   * slot). @default []
   */
  placeAfter?: pulumi.Resource[];
}

/** One listener's target group, for alarms on its `arnSuffix`. */
export interface MasterTargetGroup {
  port: number;
  arn: pulumi.Output<string>;
  arnSuffix: pulumi.Output<string>;
}

export class MasterLoadBalancer extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:aws:MasterLoadBalancer";
  readonly arn: pulumi.Output<string>;
  readonly arnSuffix: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  readonly zoneId: pulumi.Output<string>;
  /** HTTP first, then gRPC. */
  readonly targetGroups: readonly MasterTargetGroup[];

  constructor(name: string, args: MasterLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterLoadBalancer.__pulumiType, name, {}, opts);
    const { clusterName, vpcId, subnetIds, securityGroupId, targets, httpPort, grpcPort, healthCheck, tags } = args;
    const lb = new aws.lb.LoadBalancer(
      `${name}-nlb`,
      {
        name: physicalName("aws:lb/loadBalancer:LoadBalancer", clusterName, "nlb"),
        loadBalancerType: "network",
        internal: true,
        subnets: subnetIds,
        securityGroups: [securityGroupId],
        enableCrossZoneLoadBalancing: true,
        enableDeletionProtection: args.deletionProtection,
        ipAddressType: "ipv4",
        tags,
      },
      { parent: this, dependsOn: args.placeAfter ?? [] },
    );
    this.targetGroups = [httpPort, grpcPort].map((port) => {
      const group = new aws.lb.TargetGroup(
        `${name}-${port}`,
        {
          name: targetGroupName(clusterName, port === httpPort ? "http" : "grpc", port, vpcId),
          port,
          protocol: TARGET_PROTOCOL,
          targetType: TARGET_TYPE,
          vpcId,
          deregistrationDelay: args.deregistrationDelaySeconds,
          preserveClientIp: String(args.preserveClientIp),
          connectionTermination: true,
          // Both groups judge a master by its HTTP health: gRPC on a leaderless master is no more useful.
          healthCheck: {
            enabled: true,
            protocol: "HTTP",
            port: String(httpPort),
            path: HEALTH_CHECK.path,
            matcher: HEALTH_CHECK.healthyStatusCodes,
            interval: healthCheck.intervalSeconds,
            timeout: healthCheck.timeoutSeconds,
            healthyThreshold: healthCheck.healthyThreshold,
            unhealthyThreshold: healthCheck.unhealthyThreshold,
          },
          tags,
        },
        { parent: this },
      );
      for (const target of targets) {
        new aws.lb.TargetGroupAttachment(`${name}-${port}-slot${target.slot}`, { targetGroupArn: group.arn, targetId: target.ip, port }, { parent: this });
      }
      new aws.lb.Listener(
        `${name}-${port}`,
        { loadBalancerArn: lb.arn, port, protocol: TARGET_PROTOCOL, defaultActions: [{ type: "forward", targetGroupArn: group.arn }], tags },
        { parent: this },
      );
      return { port, arn: group.arn, arnSuffix: group.arnSuffix };
    });
    this.arn = lb.arn;
    this.arnSuffix = lb.arnSuffix;
    this.dnsName = lb.dnsName;
    this.zoneId = lb.zoneId;
    this.registerOutputs({ arn: this.arn, dnsName: this.dnsName });
  }
}

/**
 * `<handle>-<http|grpc>-<5 hex>`: the hash covers the inputs that force a replacement (port, protocol, target type,
 * VPC), so a replacement group gets a new name and Pulumi can create it while the listener still uses the old one.
 */
function targetGroupName(clusterName: string, use: string, port: number, vpcId: pulumi.Input<string>): pulumi.Output<string> {
  const type = "aws:lb/targetGroup:TargetGroup";
  // Checked now, with a stand-in hash of the same length: a name that cannot fit is refused before any resource exists.
  physicalName(type, clusterName, `${use}-00000`);
  return pulumi.output(vpcId).apply((vpc) => physicalName(type, clusterName, `${use}-${shortHash([port, TARGET_PROTOCOL, TARGET_TYPE, vpc], 5)}`));
}
