/**
 * The `awsTier` section of `npm run plan -- --json`: the facts of the master tier a reviewer checks, read from the
 * recorded resource graph (what the program would send to AWS): per slot its Auto Scaling group, network interface
 * and data volume; the launch templates' hardening; the load balancer's listeners, health checks and targets.
 */
import type { RecordedResource } from "./mockGraph";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface AwsTierSummary {
  autoScalingGroups: { name: string; subnets: string[]; minSize: number; maxSize: number; desiredCapacity: number }[];
  networkInterfaces: { name: string; slot: string; az: string; ips: string[]; subnetId: string; protect: boolean }[];
  dataVolumes: { name: string; slot: string; az: string; encrypted: boolean; kmsKeyId: string; type: string; sizeGiB: number; protect: boolean }[];
  launchTemplates: { name: string; imageId: string; httpTokens: string; httpPutResponseHopLimit: number; rootVolumeEncrypted: boolean }[];
  loadBalancers: {
    name: string;
    type: string;
    internal: boolean;
    crossZone: boolean;
    deletionProtection: boolean;
    subnets: string[];
    listeners: { port: number; protocol: string; targetGroup: string }[];
  }[];
  targetGroups: { name: string; port: number; protocol: string; targetType: string; healthCheck: Inputs; deregistrationDelay: number; preserveClientIp: string; targets: string[] }[];
}

const SLOT_TAG = "seaweedfs:slot";

/** Summarises the tier's resources; `azOfSlot` gives the zone of each slot number (interfaces carry a subnet only). */
export function summarizeAwsTier(resources: readonly RecordedResource[], azOfSlot: (slot: number) => string | undefined): AwsTierSummary {
  const ofType = (type: string) => resources.filter((r) => r.type === type).map((r) => ({ r, i: r.inputs as Inputs }));
  const arnOf = (r: RecordedResource) => String(r.state.arn);
  const groups = ofType("aws:lb/targetGroup:TargetGroup");
  const groupName = (arn: string) => groups.find((g) => arnOf(g.r) === arn)?.r.name ?? arn;
  return {
    autoScalingGroups: ofType("aws:autoscaling/group:Group").map(({ r, i }) => ({
      name: r.name,
      subnets: i.vpcZoneIdentifiers,
      minSize: i.minSize,
      maxSize: i.maxSize,
      desiredCapacity: i.desiredCapacity,
    })),
    networkInterfaces: ofType("aws:ec2/networkInterface:NetworkInterface").map(({ r, i }) => ({
      name: r.name,
      slot: i.tags?.[SLOT_TAG],
      az: azOfSlot(Number(i.tags?.[SLOT_TAG])) ?? "unknown",
      ips: i.privateIps ?? [],
      subnetId: i.subnetId,
      protect: r.protect,
    })),
    dataVolumes: ofType("aws:ebs/volume:Volume").map(({ r, i }) => ({
      name: r.name,
      slot: i.tags?.[SLOT_TAG],
      az: i.availabilityZone,
      encrypted: i.encrypted === true,
      kmsKeyId: i.kmsKeyId,
      type: i.type,
      sizeGiB: i.size,
      protect: r.protect,
    })),
    launchTemplates: ofType("aws:ec2/launchTemplate:LaunchTemplate").map(({ r, i }) => ({
      name: r.name,
      imageId: i.imageId,
      httpTokens: i.metadataOptions?.httpTokens,
      httpPutResponseHopLimit: i.metadataOptions?.httpPutResponseHopLimit,
      rootVolumeEncrypted: (i.blockDeviceMappings ?? []).every((m: Inputs) => String(m.ebs?.encrypted) === "true"),
    })),
    loadBalancers: ofType("aws:lb/loadBalancer:LoadBalancer").map(({ r, i }) => ({
      name: r.name,
      type: i.loadBalancerType,
      internal: i.internal === true,
      crossZone: i.enableCrossZoneLoadBalancing === true,
      deletionProtection: i.enableDeletionProtection === true,
      subnets: i.subnets ?? [],
      listeners: ofType("aws:lb/listener:Listener")
        .filter((l) => l.i.loadBalancerArn === arnOf(r))
        .map((l) => ({ port: l.i.port, protocol: l.i.protocol, targetGroup: groupName(l.i.defaultActions?.[0]?.targetGroupArn) })),
    })),
    targetGroups: groups.map(({ r, i }) => ({
      name: r.name,
      port: i.port,
      protocol: i.protocol,
      targetType: i.targetType,
      healthCheck: i.healthCheck,
      deregistrationDelay: i.deregistrationDelay,
      preserveClientIp: i.preserveClientIp,
      targets: ofType("aws:lb/targetGroupAttachment:TargetGroupAttachment")
        .filter((a) => a.i.targetGroupArn === arnOf(r))
        .map((a) => a.i.targetId),
    })),
  };
}
