/**
 * The whole AWS master tier of one stack: network, security groups, key material, instance role, one MasterSlot
 * per planned slot, the internal load balancer and the private DNS names. Its public properties are what other
 * components (monitoring, backups) build on.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SeaweedConfig } from "./config";
import { slotAddresses } from "./placement";
import type { MasterSlot as SlotPlan } from "./placement";
import { clusterSettingsOf, renderClusterMasters } from "../seaweed/cluster";
import { BootStep, renderBootScript } from "./bootScript";
import { MasterInstanceRole } from "./iam";
import { MasterLoadBalancer } from "./loadBalancer";
import { MasterSlot } from "./masterSlot";
import { identityTags, jwtParameterNameOf, loadBalancerDnsName, masterDnsName, masterTlsParameterNames, privateZoneNameOf, recoveryHoldParameterOf, ssmPrefixOf } from "./naming";
import { MasterNetwork } from "./network";
import { MasterSecrets } from "./secrets";
import { MasterSecurityGroups } from "./securityGroups";
import { MasterTls } from "./tls";
import { HOST_PATHS } from "./host/paths";

export interface MasterTierArgs {
  /**
   * The validated stack config (see Pulumi.yaml for every key, its default and its documentation) with its
   * placement: one MasterSlot is built per `config.topology.slots` entry.
   */
  config: SeaweedConfig;
  /**
   * The boot steps of a slot, run in order after its master has started, each strictly and on its own (a failed
   * step is retried and logged, the later ones still run): scripts kept in SSM parameters (see `BootStep` in
   * bootScript.ts). The whole user data must stay under 16 KiB (a test checks every stack).
   * @default no steps
   */
  bootSteps?: (slot: SlotPlan) => BootStep[];
  /**
   * What the boot steps read (SSM parameters, role policies), often built after the tier (monitoring, backups): the
   * slots' Auto Scaling groups wait for them, so no instance boots before its scripts and permissions exist. A
   * promise, resolved once those components exist. @default nothing to wait for
   */
  bootDependsOn?: Promise<pulumi.Resource[]>;
}

/** One master as clients and operators see it. */
export interface MasterEndpoint {
  slot: number;
  name: string;
  az: string;
  ip: string;
  /** `ip:port`, the master's raft identity and the form `-master=` takes. */
  address: string;
  /** `master-<slot>.<zone>`. */
  dnsName: string;
}

/** The boot script (user data) of one slot: its argv from infra/seaweed plus the AWS wiring, then `steps`. */
export function slotBootScript(config: SeaweedConfig, slotNumber: number, steps: readonly BootStep[] = []): string {
  const { clusterName, topology } = config;
  const slot = topology.slots.find((s) => s.slot === slotNumber);
  if (!slot) throw new Error(`no slot ${slotNumber} in the topology of ${clusterName}`);
  const master = renderClusterMasters(slotAddresses(topology.slots), clusterSettingsOf(config), () => HOST_PATHS.mdir).find((r) => r.slot === slotNumber)!;
  return renderBootScript({
    clusterName,
    slot: { slot: slot.slot, az: slot.az, ip: slot.ip, subnetCidr: slot.subnet.cidr },
    masterArgs: master.args,
    weed: { url: config.seaweedBinaryUrl, sha256: config.seaweedBinarySha256, version: config.seaweedVersion },
    jwtParameterName: jwtParameterNameOf(clusterName),
    ...(config.tlsEnabled ? { tls: { ...tlsBootArgs(clusterName, slotNumber), reloadSeconds: config.tlsReloadSeconds } } : {}),
    recoveryHoldParameter: recoveryHoldParameterOf(clusterName, slot.slot),
    attachTimeoutSeconds: config.attachTimeoutSeconds,
    steps,
  });
}

/** What a slot's boot reads to write its TLS files (parameter names only: no key material in user data). */
function tlsBootArgs(clusterName: string, slot: number) {
  const names = masterTlsParameterNames(clusterName, slot);
  return { clusterName, caParameter: names.caBundle, certParameter: names.cert, keyParameter: names.key };
}

/** The alias ARN of the account's AWS-managed EBS key (`alias/aws/ebs`) in the stack's region. */
function awsManagedEbsKey(parent: pulumi.Resource): pulumi.Output<string> {
  const { partition } = aws.getPartitionOutput({}, { parent });
  const { region } = aws.getRegionOutput({}, { parent });
  const { accountId } = aws.getCallerIdentityOutput({}, { parent });
  return pulumi.interpolate`arn:${partition}:kms:${region}:${accountId}:alias/aws/ebs`;
}

export class MasterTier extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:aws:MasterTier";
  /** Tags on every resource of the tier (the config's tags plus the cluster tag). */
  readonly tags: Record<string, string>;
  readonly network: MasterNetwork;
  /** `masters` (on every master), `loadBalancer` (on the NLB), `clients` (attach to volume servers and filers). */
  readonly securityGroups: MasterSecurityGroups;
  /** Encrypts the data volumes and the SSM parameters. */
  readonly kmsKey: aws.kms.Key;
  /** The masters' role; attach further policies to it (monitoring agent, backup agent). */
  readonly instanceRole: aws.iam.Role;
  readonly instanceProfile: aws.iam.InstanceProfile;
  /** The SSM path of this stack's parameters; the masters may read only below it. */
  readonly ssmPrefix: string;
  /** The SecureString holding the JWT signing key (its name is not secret, its value is). */
  readonly jwtParameterName: pulumi.Output<string>;
  /** The CA, the certificates and their SSM parameters; absent when `tlsEnabled` is false. */
  readonly tls?: MasterTls;
  /** In slot order. */
  readonly slots: readonly MasterSlot[];
  readonly loadBalancer: MasterLoadBalancer;
  /** The private hosted zone. */
  readonly zone: aws.route53.Zone;
  readonly zoneName: string;
  /** `masters.<zone>`: the load balancer's alias. */
  readonly loadBalancerAlias: string;
  readonly masters: readonly MasterEndpoint[];

  constructor(name: string, args: MasterTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterTier.__pulumiType, name, {}, opts);
    const { config, bootSteps, bootDependsOn } = args;
    const { clusterName, topology } = config;
    this.tags = { ...config.tagMap, ...identityTags(clusterName) };
    const tags = this.tags;
    const child = { parent: this };

    this.network = new MasterNetwork(
      `${name}-network`,
      { subnets: config.subnets, vpcId: config.vpcId, vpcCidr: config.vpcCidr, fixedIps: topology.slots.map((s) => ({ slot: s.slot, az: s.az, ip: s.ip })), tags },
      child,
    );
    this.securityGroups = new MasterSecurityGroups(
      `${name}-sg`,
      {
        clusterName,
        vpcId: this.network.vpcId,
        httpPort: config.httpPort,
        grpcPort: config.grpcPort,
        metricsPort: config.metricsPort,
        clientCidrs: config.clientCidrs,
        clientSecurityGroupIds: config.clientSecurityGroupIds,
        tags,
      },
      child,
    );
    this.ssmPrefix = ssmPrefixOf(clusterName);
    const secrets = new MasterSecrets(`${name}-secrets`, { clusterName, jwtParameterName: jwtParameterNameOf(clusterName), protect: config.dataProtection, tags }, child);
    this.kmsKey = secrets.kmsKey;
    this.jwtParameterName = secrets.jwtParameter.name;
    const role = new MasterInstanceRole(
      `${name}-iam`,
      { clusterName, ssmPrefix: this.ssmPrefix, kmsKeyArn: this.kmsKey.arn, binaryUrl: config.seaweedBinaryUrl, slotGroupNames: topology.slots.map((s) => s.name), tags },
      child,
    );
    this.instanceRole = role.role;
    this.instanceProfile = role.instanceProfile;
    this.zoneName = privateZoneNameOf(clusterName, config.privateZoneName);
    if (config.tlsEnabled) this.tls = new MasterTls(`${name}-tls`, { config, zoneName: this.zoneName, kmsKeyArn: this.kmsKey.arn, tags }, child);

    // A component's dependsOn does not reach its children: each group waits itself for the role (its policies and
    // profile), the JWT parameter and what the boot steps read.
    const slotBootDependsOn = pulumi.output(bootDependsOn ?? []).apply((extra) => [role, secrets.jwtParameter, ...(this.tls?.masterParameters ?? []), ...extra]);
    const rendered = renderClusterMasters(slotAddresses(topology.slots), clusterSettingsOf(config), () => HOST_PATHS.mdir);
    const rootVolumeKmsKeyId = awsManagedEbsKey(this);
    this.slots = topology.slots.map((slot) => {
      const userData = slotBootScript(config, slot.slot, bootSteps?.(slot) ?? []);
      return new MasterSlot(
        slot.name,
        {
          clusterName,
          slot,
          subnetId: this.network.subnetIds[slot.az],
          securityGroupIds: [this.securityGroups.masters.id],
          kmsKeyArn: this.kmsKey.arn,
          rootVolumeKmsKeyId,
          instanceProfileArn: this.instanceProfile.arn,
          instanceType: config.instanceType,
          ami: config.ami,
          userData,
          dataVolumeSizeGiB: config.dataVolumeSizeGiB,
          dataVolumeType: config.dataVolumeType,
          protect: config.dataProtection,
          tags,
          bootDependsOn: slotBootDependsOn,
          placeAfter: this.network.reservations,
        },
        { parent: this },
      );
    });

    const zonesWithMasters = [...new Set(topology.slots.map((s) => s.az))];
    this.loadBalancer = new MasterLoadBalancer(
      `${name}-lb`,
      {
        clusterName,
        vpcId: this.network.vpcId,
        subnetIds: zonesWithMasters.map((az) => this.network.subnetIds[az]),
        securityGroupId: this.securityGroups.loadBalancer.id,
        targets: topology.slots.map((s) => ({ slot: s.slot, ip: s.ip })),
        httpPort: config.httpPort,
        grpcPort: config.grpcPort,
        healthCheck: {
          intervalSeconds: config.lbHealthCheckIntervalSeconds,
          timeoutSeconds: config.lbHealthCheckTimeoutSeconds,
          healthyThreshold: config.lbHealthyThreshold,
          unhealthyThreshold: config.lbUnhealthyThreshold,
        },
        deregistrationDelaySeconds: config.lbDeregistrationDelaySeconds,
        preserveClientIp: config.lbPreserveClientIp,
        deletionProtection: config.lbDeletionProtection,
        tags,
        placeAfter: [...this.network.reservations, ...this.slots.map((s) => s.networkInterface)],
      },
      child,
    );

    this.zone = new aws.route53.Zone(
      `${name}-zone`,
      { name: this.zoneName, comment: `SeaweedFS masters of ${clusterName}`, vpcs: [{ vpcId: this.network.vpcId }], tags },
      child,
    );
    this.masters = topology.slots.map((s) => ({
      slot: s.slot,
      name: s.name,
      az: s.az,
      ip: s.ip,
      address: rendered.find((r) => r.slot === s.slot)!.address,
      dnsName: masterDnsName(s.slot, this.zoneName),
    }));
    for (const master of this.masters) {
      new aws.route53.Record(`${name}-master-${master.slot}`, { zoneId: this.zone.zoneId, name: master.dnsName, type: "A", ttl: 60, records: [master.ip] }, child);
    }
    this.loadBalancerAlias = loadBalancerDnsName(this.zoneName);
    new aws.route53.Record(
      `${name}-lb-alias`,
      {
        zoneId: this.zone.zoneId,
        name: this.loadBalancerAlias,
        type: "A",
        aliases: [{ name: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId, evaluateTargetHealth: true }],
      },
      child,
    );
    this.registerOutputs({ loadBalancerDnsName: this.loadBalancer.dnsName, clientSecurityGroupId: this.securityGroups.clients.id });
  }
}
