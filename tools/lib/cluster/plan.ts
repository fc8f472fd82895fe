/**
 * The local layout of a stack's master cluster: every slot's `weed master` argv rendered by
 * `renderClusterMasters` (the function the EC2 user data uses) with the slot's address mapped to loopback and its
 * own `-mdir`, plus two volume servers. Pure apart from reading the stack file.
 */
import * as path from "node:path";
import { projectKeys } from "../../../infra/config";
import { parseStackConfig, StackSettings } from "../../../infra/platforms";
import { expandPodArgs, masterContainerArgs } from "../../../infra/kubernetes/manifests";
import { podHost, podName } from "../../../infra/kubernetes/names";
import { masterAddress } from "../../../infra/seaweed/master";
import { clusterSettingsOf, ClusterSettings, renderClusterMasters } from "../../../infra/seaweed/cluster";
import { RaftImplementation, RaftTiming } from "../../../infra/seaweed/master";
import { renderVolumeServerArgs, volumePlacements } from "../../../infra/seaweed/volumeServer";
import { readStackConfigIn } from "../stackFiles";
import { slotLoopbackIp, volumeLoopbackIp } from "./loopback";

/** How a drill may depart from the stack's rendered configuration (only for the SeaweedFS-defaults baseline). */
export interface RaftOverride extends Partial<RaftTiming> {
  implementation?: RaftImplementation;
}

export interface PlannedMaster {
  slot: number;
  az: string;
  /** The host of the slot's raft identity in the stack: its private IP (AWS) or its pod's DNS name (Kubernetes). */
  deployedHost: string;
  /** AWS: the slot's private IP (what EC2 would use). */
  deployedIp?: string;
  /** Its loopback stand-in. */
  ip: string;
  /** `host:port`, the raft identity (loopback IP for AWS stacks, the pod's DNS name for Kubernetes ones). */
  address: string;
  /** The rendered `weed` argv. */
  args: string[];
  /** This slot's working directory (holds security.toml, like /etc/seaweedfs on EC2) and `-mdir`. */
  dir: string;
  mdir: string;
}

export interface PlannedVolumeServer {
  name: string;
  ip: string;
  dir: string;
  args: string[];
}

export interface ClusterPlan {
  config: StackSettings;
  settings: ClusterSettings;
  masters: PlannedMaster[];
  volumeServers: PlannedVolumeServer[];
}

/** The validated config of a stack file (throws ConfigError / StackFileError like `npm run plan`). */
export function stackConfig(stack: string, stacksDir?: string): StackSettings {
  return parseStackConfig(projectKeys(readStackConfigIn(stack, stacksDir).config), { stack });
}

/** Every loopback address a cluster of `config` uses on `network`. */
export function clusterAddresses(config: StackSettings, network: number, volumeServers: number): string[] {
  const zoneIndex = (az: string) => config.availabilityZones.indexOf(az);
  return [
    ...config.topology.slots.map((s) => slotLoopbackIp(network, zoneIndex(s.az), s.slot)),
    ...Array.from({ length: volumeServers }, (_, i) => volumeLoopbackIp(network, i + 1)),
  ];
}

export function planCluster(
  config: StackSettings,
  options: { network: number; runDir: string; raft?: RaftOverride; volumeServers: number },
): ClusterPlan {
  const base = clusterSettingsOf(config);
  const settings: ClusterSettings = {
    ...base,
    raft: { ...base.raft, ...definedOnly({ heartbeatInterval: options.raft?.heartbeatInterval, electionTimeout: options.raft?.electionTimeout }) },
    ...(options.raft?.implementation ? { raftImplementation: options.raft.implementation } : {}),
  };
  const slots = config.topology.slots.map((s) => ({
    ...s,
    loopback: slotLoopbackIp(options.network, config.availabilityZones.indexOf(s.az), s.slot),
  }));
  const slotDir = (slot: number) => path.join(options.runDir, `master-${slot}`);
  const mdirOf = (slot: number) => path.join(slotDir(slot), "mdir");
  let masters: PlannedMaster[];
  if (config.platform === "kubernetes") {
    // The StatefulSet's own template args, expanded the way the kubelet does for each pod; only -mdir (a per-pod
    // volume mount in Kubernetes) becomes the slot's directory.
    const template = masterContainerArgs(config, settings);
    masters = slots.map((s) => {
      const host = podHost(config, podName(config, s.slot));
      const args = expandPodArgs(template, { name: podName(config, s.slot), ip: s.loopback }).map((a) => (a.startsWith("-mdir=") ? `-mdir=${mdirOf(s.slot)}` : a));
      return { slot: s.slot, az: s.az, deployedHost: host, ip: s.loopback, address: masterAddress(host, settings.port), args, dir: slotDir(s.slot), mdir: mdirOf(s.slot) };
    });
  } else {
    const rendered = renderClusterMasters(
      slots.map((s) => ({ slot: s.slot, host: s.loopback })),
      settings,
      mdirOf,
    );
    const placed = config.topology.slots;
    masters = rendered.map((m) => {
      const s = slots.find((x) => x.slot === m.slot)!;
      const ip = placed.find((p) => p.slot === m.slot)!.ip;
      return { slot: m.slot, az: s.az, deployedHost: ip, deployedIp: ip, ip: s.loopback, address: m.address, args: m.args, dir: slotDir(m.slot), mdir: mdirOf(m.slot) };
    });
  }
  const placements = volumePlacements(config.defaultReplication, options.volumeServers);
  const volumeServers = placements.map((placement, i) => {
    const ip = volumeLoopbackIp(options.network, i + 1);
    const dir = path.join(options.runDir, `volume-${i + 1}`);
    const args = renderVolumeServerArgs({
      ip,
      dir: path.join(dir, "data"),
      masters: masters.map((m) => ({ slot: m.slot, host: m.address.slice(0, m.address.lastIndexOf(":")) })),
      masterPort: settings.port,
      placement,
      maxVolumes: 50,
    });
    return { name: `volume-${i + 1}`, ip, dir, args };
  });
  return { config, settings, masters, volumeServers };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
