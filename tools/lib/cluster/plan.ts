/**
 * The local layout of a stack's master cluster: every slot's `weed master` argv rendered by
 * `renderClusterMasters` (the function the EC2 user data uses) with the slot's address mapped to loopback and its
 * own `-mdir`, plus two volume servers. Pure apart from reading the stack file.
 */
import * as path from "node:path";
import { parseConfig, projectKeys, SeaweedConfig } from "../../../infra/config";
import { clusterSettingsOf, ClusterSettings, renderClusterMasters } from "../../../infra/seaweed/cluster";
import { RaftImplementation, RaftTiming } from "../../../infra/seaweed/master";
import { renderVolumeServerArgs, volumePlacements } from "../../../infra/seaweed/volumeServer";
import { readStackConfig } from "../stackFiles";
import { slotLoopbackIp, volumeLoopbackIp } from "./loopback";

/** How a drill may depart from the stack's rendered configuration (only for the SeaweedFS-defaults baseline). */
export interface RaftOverride extends Partial<RaftTiming> {
  implementation?: RaftImplementation;
}

export interface PlannedMaster {
  slot: number;
  az: string;
  /** The slot's private IP in the stack (what EC2 would use). */
  deployedIp: string;
  /** Its loopback stand-in. */
  ip: string;
  /** `ip:port`, the raft identity. */
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
  config: SeaweedConfig;
  settings: ClusterSettings;
  masters: PlannedMaster[];
  volumeServers: PlannedVolumeServer[];
}

/** The validated config of a stack file (throws ConfigError / StackFileError like `npm run plan`). */
export function stackConfig(stack: string): SeaweedConfig {
  return parseConfig(projectKeys(readStackConfig(stack).config), { stack });
}

/** Every loopback address a cluster of `config` uses on `network`. */
export function clusterAddresses(config: SeaweedConfig, network: number, volumeServers: number): string[] {
  const zoneIndex = (az: string) => config.availabilityZones.indexOf(az);
  return [
    ...config.topology.slots.map((s) => slotLoopbackIp(network, zoneIndex(s.az), s.slot)),
    ...Array.from({ length: volumeServers }, (_, i) => volumeLoopbackIp(network, i + 1)),
  ];
}

export function planCluster(
  config: SeaweedConfig,
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
  const rendered = renderClusterMasters(
    slots.map((s) => ({ slot: s.slot, host: s.loopback })),
    settings,
    (slot) => path.join(slotDir(slot), "mdir"),
  );
  const masters = rendered.map((m) => {
    const s = slots.find((x) => x.slot === m.slot)!;
    return { slot: m.slot, az: s.az, deployedIp: s.ip, ip: s.loopback, address: m.address, args: m.args, dir: slotDir(m.slot), mdir: path.join(slotDir(m.slot), "mdir") };
  });
  const placements = volumePlacements(config.defaultReplication, options.volumeServers);
  const volumeServers = placements.map((placement, i) => {
    const ip = volumeLoopbackIp(options.network, i + 1);
    const dir = path.join(options.runDir, `volume-${i + 1}`);
    const args = renderVolumeServerArgs({
      ip,
      dir: path.join(dir, "data"),
      masters: masters.map((m) => ({ slot: m.slot, host: m.ip })),
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
