/**
 * Renders the command line of every master of a cluster from its slots, so that all masters carry the same
 * `-peers` list, in slot order. The EC2 user data, the Kubernetes StatefulSet, the drills and the policy pack all
 * call this.
 */
import { masterAddress, MasterOptions, RaftImplementation, RaftTiming, renderMasterArgs } from "./master";

/**
 * The address part of a master slot: its number and the host part of its raft identity, a fixed IP (AWS) or a
 * stable DNS name (a StatefulSet pod's `<pod>.<headless service>.<namespace>.svc.<cluster domain>`).
 */
export interface SlotAddress {
  slot: number;
  host: string;
}

/** Settings shared by every master of a cluster. */
export interface ClusterSettings {
  /** HTTP port of every master (gRPC is this + 10000). */
  port: number;
  metricsPort: number;
  raft: RaftTiming;
  /** @default "hashicorp" (the drills' SeaweedFS-defaults baseline uses "goraft") */
  raftImplementation?: RaftImplementation;
  defaultReplication: string;
  volumeSizeLimitMB: number;
  /** `-ip.bind` of every master (e.g. `$(POD_IP)` in a pod template); unset: each binds to its own host. */
  bind?: string;
}

/** The stack config keys that decide the masters' command lines. */
export interface MasterConfigKeys {
  httpPort: number;
  metricsPort: number;
  heartbeatInterval: string;
  electionTimeout: string;
  defaultReplication: string;
  volumeSizeLimitMB: number;
}

/** The cluster settings a validated stack config asks for (what the EC2 user data and the drills render). */
export function clusterSettingsOf(config: MasterConfigKeys): ClusterSettings {
  return {
    port: config.httpPort,
    metricsPort: config.metricsPort,
    raft: { heartbeatInterval: config.heartbeatInterval, electionTimeout: config.electionTimeout },
    defaultReplication: config.defaultReplication,
    volumeSizeLimitMB: config.volumeSizeLimitMB,
  };
}

/** One master's rendered command line. */
export interface RenderedMaster {
  slot: number;
  address: string;
  args: string[];
}

/** The comma-separated `host:port` list, in slot order: `-peers` for masters and `-master=` for clients. */
export function peerList(slots: readonly SlotAddress[], port: number): string[] {
  return [...slots].sort((a, b) => a.slot - b.slot).map((s) => masterAddress(s.host, port));
}

/**
 * Every master's `weed` argv.
 *
 * @param mdirOf the `-mdir` of a slot: the data-volume path on EC2, a temporary directory in drills.
 */
export function renderClusterMasters(
  slots: readonly SlotAddress[],
  settings: ClusterSettings,
  mdirOf: (slot: number) => string,
): RenderedMaster[] {
  const peers = peerList(slots, settings.port);
  return [...slots]
    .sort((a, b) => a.slot - b.slot)
    .map((s) => {
      const options: MasterOptions = { ...settings, ip: s.host, mdir: mdirOf(s.slot), peers };
      return { slot: s.slot, address: masterAddress(s.host, settings.port), args: renderMasterArgs(options) };
    });
}
