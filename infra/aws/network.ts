/**
 * Where the masters live: an existing VPC whose subnets are looked up and checked against the planned slots before
 * anything is created, or a new VPC with one private subnet per zone. A new VPC has no internet route at all; the
 * instances reach S3 (the weed binary, backups, packages), EC2 (attaching their identity), SSM (the JWT key), Auto
 * Scaling (giving up) and CloudWatch (the agents) through VPC endpoints.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigIssue } from "../config/spec";
import type { SubnetPlan } from "./placement";
import { GATEWAY_ENDPOINT, INTERFACE_ENDPOINTS } from "./endpoints";

/** The AWS view of an existing subnet, as `aws.ec2.getSubnet` answers it. */
export interface DescribedSubnet {
  id: string;
  vpcId: string;
  availabilityZone: string;
  cidrBlock: string;
}

/**
 * Compares the subnets the config names with what AWS says about them; each mismatch names the key to fix.
 *
 * @param plans the config's subnets in zone order (each with its id).
 */
export function subnetMismatches(vpcId: string, plans: readonly SubnetPlan[], described: readonly DescribedSubnet[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  plans.forEach((plan, i) => {
    const actual = described.find((d) => d.id === plan.id);
    if (!actual) return;
    if (actual.vpcId !== vpcId) {
      issues.push({ key: `subnetIds[${i}]`, value: plan.id, message: `belongs to ${actual.vpcId}, not to vpcId ${vpcId}`, fix: "list subnets of the VPC named by vpcId" });
    }
    if (actual.availabilityZone !== plan.az) {
      issues.push({ key: `subnetIds[${i}]`, value: plan.id, message: `is in ${actual.availabilityZone}, but availabilityZones[${i}] is ${plan.az}`, fix: "list the subnets in the same order as availabilityZones" });
    }
    if (actual.cidrBlock !== plan.cidr) {
      issues.push({ key: `subnetCidrs[${i}]`, value: plan.cidr, message: `differs from the real CIDR ${actual.cidrBlock} of ${plan.id}`, fix: `set subnetCidrs[${i}] to ${actual.cidrBlock} (and keep masterIps inside it)` });
    }
  });
  return issues;
}

/**
 * Looks up the existing subnets and throws a ConfigError when one is not where the config says. Called before any
 * resource is registered, so a wrong subnet stops the update with nothing half-built.
 */
export async function verifyExistingSubnets(vpcId: string, plans: readonly SubnetPlan[], stack?: string): Promise<void> {
  const described = await Promise.all(
    plans.map(async (plan) => {
      const s = await aws.ec2.getSubnet({ id: plan.id! });
      return { id: plan.id!, vpcId: s.vpcId, availabilityZone: s.availabilityZone, cidrBlock: s.cidrBlock };
    }),
  );
  const issues = subnetMismatches(vpcId, plans, described);
  if (issues.length > 0) throw new ConfigError(issues, stack);
}

export interface MasterNetworkArgs {
  /** The slots' subnets in zone order, from the topology plan. Existing subnets carry their id. */
  subnets: readonly SubnetPlan[];
  /** An existing VPC (`vpc-...`); its subnets must be given in `subnets`. Empty: a VPC is created. @default "" */
  vpcId: string;
  /** CIDR of the VPC to create; ignored with `vpcId`. @example "10.40.0.0/16" */
  vpcCidr: string;
  /**
   * The slots' fixed IPs. In a created VPC each is reserved (`SubnetCidrReservation`, explicit) so that AWS never
   * hands it to another interface (a VPC endpoint, a load balancer node, an instance's primary interface) before or
   * between the slot's own interface. @default [] (nothing reserved)
   */
  fixedIps?: readonly { slot: number; az: string; ip: string }[];
  /** Tags on every resource created. */
  tags: Record<string, string>;
}

/** The VPC and one subnet per zone, existing or created. */
export class MasterNetwork extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:aws:MasterNetwork";
  readonly vpcId: pulumi.Output<string>;
  /** Subnet ids by availability zone. */
  readonly subnetIds: Record<string, pulumi.Output<string>>;
  /** Whether this stack created the VPC (and so its endpoints). */
  readonly created: boolean;
  /** The reservations of the slots' IPs (created VPC only): whatever else puts interfaces in the subnets waits for them. */
  readonly reservations: aws.ec2.SubnetCidrReservation[] = [];

  constructor(name: string, args: MasterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterNetwork.__pulumiType, name, {}, opts);
    const { subnets, vpcId, vpcCidr, tags } = args;
    this.created = !vpcId;
    if (vpcId) {
      const missing = subnets.filter((s) => !s.id);
      if (missing.length > 0) throw new Error(`with an existing VPC every subnet needs an id (missing for ${missing.map((s) => s.az).join(", ")})`);
      this.vpcId = pulumi.output(vpcId);
      this.subnetIds = Object.fromEntries(subnets.map((s) => [s.az, pulumi.output(s.id!)]));
    } else {
      const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: name } }, { parent: this });
      const routeTable = new aws.ec2.RouteTable(`${name}-private`, { vpcId: vpc.id, tags: { ...tags, Name: `${name}-private` } }, { parent: this });
      const created = subnets.map((s) => {
        const subnet = new aws.ec2.Subnet(
          `${name}-${s.az}`,
          { vpcId: vpc.id, cidrBlock: s.cidr, availabilityZone: s.az, mapPublicIpOnLaunch: false, tags: { ...tags, Name: `${name}-${s.az}` } },
          { parent: this },
        );
        new aws.ec2.RouteTableAssociation(`${name}-${s.az}`, { subnetId: subnet.id, routeTableId: routeTable.id }, { parent: this });
        for (const fixed of (args.fixedIps ?? []).filter((f) => f.az === s.az)) {
          this.reservations.push(
            new aws.ec2.SubnetCidrReservation(
              `${name}-slot-${fixed.slot}-ip`,
              { subnetId: subnet.id, cidrBlock: `${fixed.ip}/32`, reservationType: "explicit", description: `SeaweedFS master slot ${fixed.slot}: its raft identity` },
              { parent: this },
            ),
          );
        }
        return [s.az, subnet.id] as const;
      });
      this.vpcId = vpc.id;
      this.subnetIds = Object.fromEntries(created);
      this.createEndpoints(name, vpc, routeTable, Object.values(this.subnetIds), vpcCidr, tags);
    }
    this.registerOutputs({ vpcId: this.vpcId, subnetIds: this.subnetIds });
  }

  private createEndpoints(name: string, vpc: aws.ec2.Vpc, routeTable: aws.ec2.RouteTable, subnetIds: pulumi.Output<string>[], vpcCidr: string, tags: Record<string, string>): void {
    const region = aws.getRegionOutput({}, { parent: this }).region;
    new aws.ec2.VpcEndpoint(
      `${name}-${GATEWAY_ENDPOINT}`,
      { vpcId: vpc.id, serviceName: pulumi.interpolate`com.amazonaws.${region}.${GATEWAY_ENDPOINT}`, vpcEndpointType: "Gateway", routeTableIds: [routeTable.id], tags },
      { parent: this },
    );
    const endpointGroup = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      { vpcId: vpc.id, description: "HTTPS from inside the VPC to the AWS API endpoints", tags: { ...tags, Name: `${name}-endpoints` } },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-endpoints-https`,
      { securityGroupId: endpointGroup.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: vpcCidr, description: "AWS API calls from the VPC", tags },
      { parent: this },
    );
    for (const service of INTERFACE_ENDPOINTS) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service}`,
        {
          vpcId: vpc.id,
          serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds,
          securityGroupIds: [endpointGroup.id],
          tags,
        },
        { parent: this, dependsOn: this.reservations },
      );
    }
  }
}
