/**
 * One master slot: the fixed identity and state that outlive any instance (a network interface holding the slot's
 * IP, an encrypted data volume for `-mdir`) and the self-healing part (a launch template and an Auto Scaling group
 * of exactly one instance in the slot's subnet). A replacement instance's boot script takes both over.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AmiSource } from "./config";
import type { MasterSlot as SlotPlan } from "./placement";
import { identityTags, ROLES, snapshotTag, TAG_KEYS } from "./naming";
import { physicalName } from "./physicalNames";
import { encodeUserData } from "./userData";

/** The root device name of Amazon Linux 2023 AMIs. */
const ROOT_DEVICE = "/dev/xvda";

export interface MasterSlotArgs {
  clusterName: string;
  /** Number, zone, subnet and fixed IP, from the topology plan. Never renumbered, never moved. */
  slot: SlotPlan;
  /** The subnet of the slot's zone. */
  subnetId: pulumi.Input<string>;
  /** Groups of the slot's network interface and of the instance's primary interface. */
  securityGroupIds: pulumi.Input<string>[];
  /** Encrypts the data volume. */
  kmsKeyArn: pulumi.Input<string>;
  /**
   * Encrypts the root volume: the AWS-managed EBS key's alias ARN (`alias/aws/ebs`), pinned so that an account whose
   * default EBS key is a customer key does not make every launch depend on that key's grants.
   */
  rootVolumeKmsKeyId: pulumi.Input<string>;
  instanceProfileArn: pulumi.Input<string>;
  instanceType: string;
  /** A pinned AMI id, or an SSM parameter resolved at each launch (`resolve:ssm:`). */
  ami: AmiSource;
  /** The slot's boot script (plain text; gzip-compressed and base64-encoded here, see ./userData). It must hold no secret. */
  userData: string;
  /** @default 10 */
  dataVolumeSizeGiB: number;
  /** @default "gp3" */
  dataVolumeType: string;
  /** Protect and retain the data volume and the network interface (`pulumi destroy` refuses). @default true in prod */
  protect: boolean;
  tags: Record<string, string>;
  /** Resources the boot script reads (see MasterTierArgs.bootDependsOn); the Auto Scaling group waits for them. */
  bootDependsOn?: pulumi.Input<pulumi.Resource[]>;
  /**
   * Created before the slot's network interface: the reservations of the slots' fixed IPs in a created VPC, so
   * nothing else can be handed the address before the reservation holds it. @default []
   */
  placeAfter?: pulumi.Resource[];
}

export class MasterSlot extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:aws:MasterSlot";
  /** The planned slot: number, name, zone, subnet, IP. */
  readonly plan: SlotPlan;
  /** Holds the slot's fixed IP; the load balancer is created after it. */
  readonly networkInterface: aws.ec2.NetworkInterface;
  readonly networkInterfaceId: pulumi.Output<string>;
  readonly dataVolumeId: pulumi.Output<string>;
  readonly dataVolumeArn: pulumi.Output<string>;
  readonly launchTemplateId: pulumi.Output<string>;
  readonly asgName: pulumi.Output<string>;
  readonly asgArn: pulumi.Output<string>;

  constructor(name: string, args: MasterSlotArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterSlot.__pulumiType, name, {}, opts);
    const { clusterName, slot, subnetId, securityGroupIds, kmsKeyArn, instanceProfileArn, instanceType, ami, userData, protect } = args;
    this.plan = slot;
    const tags = { ...args.tags, ...identityTags(clusterName, slot.slot), Name: slot.name };
    const kept = { parent: this, protect, retainOnDelete: protect };

    const networkInterface = new aws.ec2.NetworkInterface(
      `${name}-eni`,
      { subnetId, privateIps: [slot.ip], securityGroups: securityGroupIds, sourceDestCheck: true, description: `SeaweedFS master ${slot.name}: ${slot.ip} is its raft identity`, tags: { ...tags, [TAG_KEYS.role]: ROLES.networkInterface } },
      { ...kept, dependsOn: args.placeAfter ?? [] },
    );
    const volume = new aws.ebs.Volume(
      `${name}-data`,
      {
        availabilityZone: slot.az,
        size: args.dataVolumeSizeGiB,
        type: args.dataVolumeType,
        encrypted: true,
        kmsKeyId: kmsKeyArn,
        finalSnapshot: protect,
        tags: { ...tags, [TAG_KEYS.role]: ROLES.dataVolume, ...snapshotTag(clusterName) },
      },
      kept,
    );
    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        name: physicalName("aws:ec2/launchTemplate:LaunchTemplate", clusterName, `master-${slot.slot}`),
        description: `SeaweedFS master ${slot.name}`,
        imageId: "id" in ami ? ami.id : `resolve:ssm:${ami.ssmParameter}`,
        instanceType,
        iamInstanceProfile: { arn: instanceProfileArn },
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        // Root volume with the AWS-managed EBS key, named explicitly: a customer key (also as the account's default
        // EBS key, which `encrypted` alone would use) needs grants for the Auto Scaling service-linked role before
        // any instance could launch. State lives on the data volume.
        blockDeviceMappings: [{ deviceName: ROOT_DEVICE, ebs: { volumeSize: 8, volumeType: "gp3", encrypted: "true", kmsKeyId: args.rootVolumeKmsKeyId, deleteOnTermination: "true" } }],
        networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: securityGroupIds }],
        userData: encodeUserData(userData),
        tagSpecifications: [
          { resourceType: "instance", tags },
          { resourceType: "volume", tags: { ...tags, Name: `${slot.name}-root` } },
        ],
        updateDefaultVersion: true,
        tags,
      },
      { parent: this },
    );
    const asg = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        name: slot.name,
        minSize: 1,
        maxSize: 1,
        desiredCapacity: 1,
        vpcZoneIdentifiers: [subnetId],
        launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
        healthCheckType: "EC2",
        healthCheckGracePeriod: 300,
        // The per-slot "no in-service instance" alarm reads this group metric; without it the alarm has no data.
        metricsGranularity: "1Minute",
        enabledMetrics: ["GroupInServiceInstances"],
        // No instance refresh: a template change must not replace every master at once; roll them one by one.
        tags: Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: false })),
      },
      { parent: this, dependsOn: pulumi.output(args.bootDependsOn ?? []).apply((boot) => [networkInterface, volume, ...boot]) },
    );
    this.networkInterface = networkInterface;
    this.networkInterfaceId = networkInterface.id;
    this.dataVolumeId = volume.id;
    this.dataVolumeArn = volume.arn;
    this.launchTemplateId = launchTemplate.id;
    this.asgName = asg.name;
    this.asgArn = asg.arn;
    this.registerOutputs({ networkInterfaceId: this.networkInterfaceId, dataVolumeId: this.dataVolumeId, asgName: this.asgName });
  }
}
