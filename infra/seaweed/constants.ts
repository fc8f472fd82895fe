/**
 * SeaweedFS master facts (release 4.44) that the rest of the project relies on: ports, health-check semantics and
 * metric names (where a Linux host keeps its files is the AWS wing's: infra/aws/host/paths.ts). Every other module
 * imports them from here; nothing else spells them.
 */

/** The SeaweedFS release whose behaviour this module encodes and the drills prove. */
export const SEAWEEDFS_VERSION = "4.44";

/** `weed master -port`: the HTTP API and the load balancer's health-check port. */
export const DEFAULT_HTTP_PORT = 9333;

/**
 * SeaweedFS derives a master's gRPC port (raft, heartbeats, KeepConnected) as HTTP port + 10000 when an address
 * carries no explicit `.grpcPort` suffix, and every client derives it the same way from `-master=` addresses.
 */
export const GRPC_PORT_OFFSET = 10000;

/** `weed master -metricsPort`: Prometheus `/metrics` is served only there, never on the HTTP port. */
export const DEFAULT_METRICS_PORT = 9327;

/**
 * The environment variable that overrides `[jwt.signing] key` of security.toml (SeaweedFS reads every
 * security.toml key from `WEED_<KEY>` with dots replaced by underscores).
 */
export const JWT_SIGNING_KEY_ENV = "WEED_JWT_SIGNING_KEY";

/**
 * Health semantics, read from `weed/server/raft_server_handlers.go` and proven by the drills:
 * `/cluster/healthz` answers 200 on the leader and on followers that know a leader, 503 on a master without a
 * leader and 423 on a wedged leader. `/cluster/status` and `/healthz` always answer 200, so they are useless to a
 * load balancer.
 */
export const HEALTH_CHECK = {
  path: "/cluster/healthz",
  healthyStatusCodes: "200",
  noLeaderStatusCode: 503,
} as const;

/** Endpoints the drills, the backup agent and the restore tool read. */
export const ENDPOINTS = {
  clusterStatus: "/cluster/status",
  dirStatus: "/dir/status",
  dirAssign: "/dir/assign",
  raftStats: "/raft/stats",
  metrics: "/metrics",
} as const;

/** Prometheus metric names the monitoring pipeline, alarms and dashboard use (namespace `SeaweedFS`). */
export const METRICS = {
  isLeader: "SeaweedFS_master_is_leader",
  leaderChanges: "SeaweedFS_master_leader_changes",
  receivedHeartbeats: "SeaweedFS_master_received_heartbeats",
  volumeLayoutWritable: "SeaweedFS_master_volume_layout_writable",
  underReplicatedVolumes: "SeaweedFS_master_under_replicated_volumes",
  pickForWriteError: "SeaweedFS_master_pick_for_write_error",
} as const;

/**
 * Timings compiled into SeaweedFS 4.44 that decide how long writes stall after a leader change (read from
 * `weed/topology`, `weed/server/master_server.go` and `weed/pb/grpc_client_server.go`):
 * - `volumePulseSeconds`: volume servers' heartbeat pulse, and their pause before trying the next `-master`.
 * - `leaderWarmupSeconds`: a new leader refuses `/dir/assign` for `WarmupPulseMultiplier` (3) × pulse after any
 *   leader change, so volume servers can report in first.
 * - `grpcKeepAliveSeconds` + `grpcKeepAliveTimeoutSeconds`: the only thing that ends a volume server's heartbeat
 *   stream to a frozen master (no deadline on the stream itself).
 * - `wedgedCheckSeconds`: `/cluster/healthz` on a leader retries the topology-lock check for up to this long before
 *   answering 423, so a probe of it needs a longer timeout than this.
 * - `volumeRedirectWaitSeconds`: a volume server that a master redirects to the leader waits this long before it
 *   connects there (`weed/server/volume_grpc_client_to_master.go:118-122`, "the new leader may actually is the same
 *   master").
 */
export const SEAWEEDFS_TIMINGS = {
  volumePulseSeconds: 5,
  leaderWarmupSeconds: 15,
  grpcKeepAliveSeconds: 60,
  grpcKeepAliveTimeoutSeconds: 20,
  wedgedCheckSeconds: 5,
  volumeRedirectWaitSeconds: 3,
} as const;

/**
 * The process-liveness endpoint: `/healthz` answers 200 whenever the master's HTTP server runs (leader or not, in an
 * election or not). A timeout there means the process is frozen or hung; a refused connection means it is gone.
 * Never use `/cluster/healthz` for liveness: it is 503 during every election.
 */
export const LIVENESS_PATH = "/healthz";

/**
 * Readiness for Kubernetes: `/readyz` (weed/server/master_server.go readyzHandler) answers as `/cluster/healthz` does
 * (200 with a known leader, 503 without, 423 on a leader whose topology lock is held), but at once: it does not retry
 * the lock check for up to `wedgedCheckSeconds`, so a probe's short timeout judges the answer, not the retry.
 * Proven on real masters by the majority-loss drill.
 */
export const READINESS_PATH = "/readyz";

/** `/cluster/healthz` answers this on a leader whose topology lock is held (a wedged leader). */
export const WEDGED_LEADER_STATUS_CODE = 423;

/**
 * Writes cannot come back sooner than the new leader's warm-up after a failover (`/dir/assign` answers 503 with
 * `Retry-After` meanwhile); `npm run bench` budgets on top of it.
 */
export const WRITE_WARMUP_MS = SEAWEEDFS_TIMINGS.leaderWarmupSeconds * 1000;
