/**
 * One master slot in a local moto server, as the program leaves it before any instance boots: a VPC and the slot's
 * subnet, its network interface with the fixed IP and its data volume, both tagged with the cluster, slot and role
 * (the volume's content is a blank 1 MiB image every host sees). `launch` starts a new BootHost (tests/support/
 * bootHost.ts) as an instance in that subnet, or as the instance of a new Auto Scaling group of one. Stop it with
 * `stop()`: moto's processes and the scratch directory go.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROLES, TAG_KEYS } from "../../infra/aws/naming";
import { BootHost, MotoServer, startMoto, writeStubs } from "./bootHost";

/** Where the slot lives, as the boot script's settings name it. */
export interface SlotIdentity {
  clusterName: string;
  slot: number;
  az: string;
  ip: string;
  subnetCidr: string;
}

export interface BootSlot {
  moto: MotoServer;
  /** The scratch directory: stubs, volume images, one folder per host. */
  work: string;
  eni: string;
  volume: string;
  subnet: string;
  /** The slot's identity tags, which the launch template also puts on each instance and its root volume. */
  tags: { Key: string; Value: string }[];
  hosts: Record<string, BootHost>;
  /**
   * A new instance named `name` in the slot's subnet, with its own root, kernel view (MACs, devices) and stub
   * state; `nextSystemId` is the number its AMI gives a new system account; `inGroup` launches it as the instance of
   * a new Auto Scaling group of that name.
   */
  launch(name: string, nextSystemId?: number, inGroup?: string): Promise<BootHost>;
  /** Which instance holds the slot's interface (and at which device index) and its volume, as EC2 says. */
  holders(): Promise<{ eni?: string; eniIndex?: number; volume?: string }>;
  stop(): Promise<void>;
}

export async function startBootSlot(identity: SlotIdentity): Promise<BootSlot> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "boot-slot-"));
  writeStubs(path.join(work, "stubs"));
  const moto = await startMoto();
  try {
    const ec2 = (operation: string, args: Record<string, unknown>) => moto.call("ec2", operation, args);
    const tags = [{ Key: TAG_KEYS.cluster, Value: identity.clusterName }, { Key: TAG_KEYS.slot, Value: String(identity.slot) }];
    const vpcCidr = identity.subnetCidr.replace(/\.\d+\.\d+\/\d+$/, ".0.0/16");
    const vpc = (await ec2("create_vpc", { CidrBlock: vpcCidr })).Vpc.VpcId;
    const subnet = (await ec2("create_subnet", { VpcId: vpc, CidrBlock: identity.subnetCidr, AvailabilityZone: identity.az })).Subnet.SubnetId;
    const eni = (await ec2("create_network_interface", { SubnetId: subnet, PrivateIpAddress: identity.ip })).NetworkInterface.NetworkInterfaceId;
    const volume = (await ec2("create_volume", { AvailabilityZone: identity.az, Size: 10, VolumeType: "gp3", Encrypted: true })).VolumeId;
    await ec2("create_tags", { Resources: [eni], Tags: [...tags, { Key: TAG_KEYS.role, Value: ROLES.networkInterface }] });
    await ec2("create_tags", { Resources: [volume], Tags: [...tags, { Key: TAG_KEYS.role, Value: ROLES.dataVolume }] });
    const ami = (await ec2("describe_images", {})).Images[0].ImageId;
    // The volume's content, shared by every instance it is attached to: 1 MiB of zeros, as a new EBS volume reads.
    fs.mkdirSync(path.join(work, "volumes"));
    fs.writeFileSync(path.join(work, "volumes", `${volume}.img`), Buffer.alloc(1 << 20));

    const groupInstance = async (group: string): Promise<string> => {
      await moto.call("autoscaling", "create_launch_configuration", { LaunchConfigurationName: group, ImageId: ami, InstanceType: "t3.small" });
      await moto.call("autoscaling", "create_auto_scaling_group", { AutoScalingGroupName: group, LaunchConfigurationName: group, MinSize: 1, MaxSize: 1, DesiredCapacity: 1, VPCZoneIdentifier: subnet });
      return (await moto.call("autoscaling", "describe_auto_scaling_groups", { AutoScalingGroupNames: [group] })).AutoScalingGroups[0].Instances[0].InstanceId;
    };
    const hosts: Record<string, BootHost> = {};
    return {
      moto,
      work,
      eni,
      volume,
      subnet,
      tags,
      hosts,
      launch: async (name, nextSystemId, inGroup) => {
        const instanceId = inGroup
          ? await groupInstance(inGroup)
          : (await ec2("run_instances", { ImageId: ami, MinCount: 1, MaxCount: 1, SubnetId: subnet, TagSpecifications: ["instance", "volume"].map((ResourceType) => ({ ResourceType, Tags: tags })) })).Instances[0].InstanceId;
        const mac = (await ec2("describe_network_interfaces", { NetworkInterfaceIds: [eni] })).NetworkInterfaces[0].MacAddress;
        hosts[name] = new BootHost({ dir: path.join(work, name), stubs: path.join(work, "stubs"), volumes: path.join(work, "volumes"), moto, instanceId, az: identity.az, slotMac: mac, volumeId: volume, nextSystemId });
        return hosts[name];
      },
      holders: async () => {
        const { Attachment } = (await ec2("describe_network_interfaces", { NetworkInterfaceIds: [eni] })).NetworkInterfaces[0];
        const [volumeAttachment] = (await ec2("describe_volumes", { VolumeIds: [volume] })).Volumes[0].Attachments;
        return { eni: Attachment?.InstanceId, eniIndex: Attachment?.DeviceIndex, volume: volumeAttachment?.InstanceId };
      },
      stop: async () => {
        await moto.stop();
        fs.rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await moto.stop();
    fs.rmSync(work, { recursive: true, force: true });
    throw error;
  }
}
