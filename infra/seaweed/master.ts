/**
 * The one place `weed master` flags are written. Every consumer (EC2 user data, drills, policies, Kubernetes)
 * renders a master's command line through {@link renderMasterArgs}, so a flag that works in a drill is the flag
 * that is deployed.
 */
import { GRPC_PORT_OFFSET } from "./constants";
import { evenCountProblem, isValidMasterCount } from "./quorum";

/** Raft timing of a master; both values are Go durations such as `300ms` or `2s`. */
export interface RaftTiming {
  /** `-heartbeatInterval`; with hashicorp raft it is the follower heartbeat timeout (detection ~1-2.5×). */
  heartbeatInterval: string;
  /** `-electionTimeout`; with hashicorp raft it bounds a stalled candidacy. */
  electionTimeout: string;
}

/**
 * Which raft library a master runs. `hashicorp` (`-raftHashicorp`) is what the project deploys; `goraft` is
 * SeaweedFS's built-in default, rendered only for the drills' "SeaweedFS defaults" baseline.
 */
export type RaftImplementation = "hashicorp" | "goraft";

/** Everything that decides one master's command line. */
export interface MasterOptions {
  /** `-ip`: the master's raft identity, an IP or a DNS name; must appear verbatim (as `host:port`) in `peers`. */
  ip: string;
  /**
   * `-ip.bind`: the address to listen on (and, since 4.32, to connect out from). Unset: the same as `ip`, which
   * is right for a fixed IP; a DNS identity binds to the pod's own IP instead, because its DNS record may not
   * resolve yet when the master starts.
   */
  bind?: string;
  /** `-port`, the HTTP port; gRPC is always this + 10000. */
  port: number;
  /** `-mdir`: raft state directory (on a persistent volume, never the /tmp default). */
  mdir: string;
  /** `-peers`: every master's `host:port`, in slot order, identical on every master. */
  peers: string[];
  raft: RaftTiming;
  /** @default "hashicorp" */
  raftImplementation?: RaftImplementation;
  /** `-metricsPort`: Prometheus `/metrics` listener. */
  metricsPort: number;
  /** `-defaultReplication`, e.g. `000` or `010`. */
  defaultReplication: string;
  /** `-volumeSizeLimitMB`. */
  volumeSizeLimitMB: number;
}

/** A peer list or master option that SeaweedFS would refuse or that would break quorum. */
export class MasterConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MasterConfigError";
  }
}

/** `host:port`, the exact string SeaweedFS uses as a master's raft identity (host: an IP or a DNS name). */
export function masterAddress(host: string, port: number): string {
  return `${host}:${port}`;
}

/** An IPv4 address or an RFC 1123 DNS name (lower case, as Kubernetes writes pod DNS names), then a port. */
const ADDRESS = /^((?:\d{1,3}(?:\.\d{1,3}){3})|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)):(\d{1,5})$/;
const GO_DURATION = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

/** Milliseconds of a Go duration string (`1m30s`, `300ms`); NaN when it is not one. */
export function durationMs(value: string): number {
  if (!GO_DURATION.test(value)) return Number.NaN;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(amount) * unitMs[unit];
  }
  return total;
}

/**
 * Checks a peer list the way `checkPeers()` in `weed/command/master.go` would, and stricter: SeaweedFS appends a
 * master that is missing from its own list (turning 3 into 4, which is fatal), so a missing self is refused here.
 */
export function validatePeers(self: string, peers: readonly string[]): void {
  for (const peer of peers) {
    if (!ADDRESS.test(peer)) {
      throw new MasterConfigError(`peer "${peer}" is not a host:port address (IPv4 or lower-case DNS name); SeaweedFS identifies masters by that exact string`);
    }
  }
  const duplicates = peers.filter((peer, index) => peers.indexOf(peer) !== index);
  if (duplicates.length > 0) {
    throw new MasterConfigError(`peers list ${duplicates.join(", ")} more than once; every master must be listed exactly once`);
  }
  if (!peers.includes(self)) {
    throw new MasterConfigError(
      `this master (${self}) is missing from its peers [${peers.join(",")}]; SeaweedFS would append it and change the member count`,
    );
  }
  if (!isValidMasterCount(peers.length)) throw new MasterConfigError(evenCountProblem(peers.length));
}

/**
 * The `weed` argv (without the binary) for one master. Hashicorp raft (sub-second failure detection) unless the
 * drills' baseline asks for goraft, never
 * `-raftBootstrap` (in 4.44 it wipes raft state on every start, issue #10880), telemetry off.
 *
 * @throws MasterConfigError when the peers or timings would make SeaweedFS exit or lose quorum.
 */
export function renderMasterArgs(options: MasterOptions): string[] {
  const self = masterAddress(options.ip, options.port);
  validatePeers(self, options.peers);
  const heartbeatMs = durationMs(options.raft.heartbeatInterval);
  const electionMs = durationMs(options.raft.electionTimeout);
  if (!(heartbeatMs > 0) || !(electionMs > 0)) {
    throw new MasterConfigError(
      `raft timings must be Go durations, got heartbeatInterval=${options.raft.heartbeatInterval} electionTimeout=${options.raft.electionTimeout}`,
    );
  }
  if (heartbeatMs >= electionMs) {
    throw new MasterConfigError(`heartbeatInterval (${options.raft.heartbeatInterval}) must be shorter than electionTimeout (${options.raft.electionTimeout})`);
  }
  if (options.metricsPort === options.port || options.metricsPort === options.port + GRPC_PORT_OFFSET) {
    throw new MasterConfigError(`metricsPort ${options.metricsPort} collides with the master's HTTP or gRPC port`);
  }
  return [
    "master",
    `-ip=${options.ip}`,
    ...(options.bind ? [`-ip.bind=${options.bind}`] : []),
    `-port=${options.port}`,
    `-mdir=${options.mdir}`,
    `-peers=${options.peers.join(",")}`,
    ...(options.raftImplementation === "goraft" ? [] : ["-raftHashicorp"]),
    `-electionTimeout=${options.raft.electionTimeout}`,
    `-heartbeatInterval=${options.raft.heartbeatInterval}`,
    `-metricsPort=${options.metricsPort}`,
    "-telemetry=false",
    `-defaultReplication=${options.defaultReplication}`,
    `-volumeSizeLimitMB=${options.volumeSizeLimitMB}`,
  ];
}
