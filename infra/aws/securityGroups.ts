/**
 * The security groups of a master tier. Masters accept the HTTP and gRPC ports only from each other, from the load
 * balancer, from the client group this stack creates and from the configured client CIDRs and groups; the metrics
 * port only from inside the tier. Nothing is opened to 0.0.0.0/0 (the config refuses such a client CIDR).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physicalName } from "./physicalNames";

export interface MasterSecurityGroupsArgs {
  /** Physical names derive from it (see physicalNames.ts). */
  clusterName: string;
  vpcId: pulumi.Input<string>;
  /** The master's HTTP port (API and health checks). @default 9333 */
  httpPort: number;
  /** The master's gRPC port (raft, heartbeats). @default 19333 */
  grpcPort: number;
  /** The Prometheus `/metrics` port. @default 9327 */
  metricsPort: number;
  /** CIDR blocks of volume servers, filers and shells. Never 0.0.0.0/0. @default [] */
  clientCidrs: readonly string[];
  /** Existing security groups whose members are clients. @default [] */
  clientSecurityGroupIds: readonly string[];
  tags: Record<string, string>;
}

/** Where a rule lets traffic in from: a security group or a CIDR block; `label` names the rule. */
type Source = { label: string; group: pulumi.Input<string>; cidr?: undefined } | { label: string; cidr: string; group?: undefined };

/** The masters' group, the load balancer's group and the group clients join to be let in. */
export class MasterSecurityGroups extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:aws:MasterSecurityGroups";
  /** Attached to every master (its launch template and its slot's network interface). */
  readonly masters: aws.ec2.SecurityGroup;
  /** Attached to the network load balancer. */
  readonly loadBalancer: aws.ec2.SecurityGroup;
  /** Attach it to volume servers, filers and shells: it is what lets them reach the masters. */
  readonly clients: aws.ec2.SecurityGroup;

  constructor(name: string, args: MasterSecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterSecurityGroups.__pulumiType, name, {}, opts);
    const { clusterName, vpcId, httpPort, grpcPort, metricsPort, clientCidrs, clientSecurityGroupIds, tags } = args;
    const group = (suffix: string, description: string) =>
      new aws.ec2.SecurityGroup(
        `${name}-${suffix}`,
        { name: physicalName("aws:ec2/securityGroup:SecurityGroup", clusterName, suffix), vpcId, description, revokeRulesOnDelete: true, tags: { ...tags, Name: `${name}-${suffix}` } },
        { parent: this },
      );
    this.masters = group("masters", "SeaweedFS masters");
    this.loadBalancer = group("nlb", "SeaweedFS master load balancer");
    this.clients = group("clients", "Members may reach the SeaweedFS masters (attach to volume servers, filers, shells)");

    const masters: Source = { label: "masters", group: this.masters.id };
    const clientSources: Source[] = [
      { label: "clients", group: this.clients.id },
      ...clientSecurityGroupIds.map((id) => ({ label: id, group: id })),
      ...clientCidrs.map((cidr, i) => ({ label: `cidr${i}`, cidr })),
    ];
    const ingress = (target: aws.ec2.SecurityGroup, targetName: string, port: number, sources: Source[], what: string) =>
      sources.forEach((source) =>
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-${targetName}-${port}-from-${source.label}`,
          {
            securityGroupId: target.id,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            ...(source.cidr ? { cidrIpv4: source.cidr } : { referencedSecurityGroupId: source.group }),
            description: `${what} from ${source.cidr ?? source.label}`,
            tags,
          },
          { parent: this },
        ),
      );
    for (const [port, what] of [[httpPort, "master HTTP"], [grpcPort, "master gRPC"]] as const) {
      ingress(this.masters, "masters", port, [masters, { label: "nlb", group: this.loadBalancer.id }, ...clientSources], what);
      ingress(this.loadBalancer, "nlb", port, clientSources, what);
      for (const [groupName, group] of [["nlb", this.loadBalancer], ["clients", this.clients]] as const) {
        new aws.vpc.SecurityGroupEgressRule(
          `${name}-${groupName}-${port}-to-masters`,
          { securityGroupId: group.id, ipProtocol: "tcp", fromPort: port, toPort: port, referencedSecurityGroupId: this.masters.id, description: `${what} to the masters`, tags },
          { parent: this },
        );
      }
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-clients-${port}-to-nlb`,
        { securityGroupId: this.clients.id, ipProtocol: "tcp", fromPort: port, toPort: port, referencedSecurityGroupId: this.loadBalancer.id, description: `${what} to the load balancer`, tags },
        { parent: this },
      );
    }
    ingress(this.masters, "masters", metricsPort, [masters], "Prometheus metrics");
    // Masters call AWS APIs (attach, SSM, S3), reach volume servers (allocate, vacuum) and each other.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-masters-all-out`,
      { securityGroupId: this.masters.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", description: "AWS APIs, volume servers and peers", tags },
      { parent: this },
    );
    this.registerOutputs({ masters: this.masters.id, loadBalancer: this.loadBalancer.id, clients: this.clients.id });
  }
}
