/**
 * How a master's health is probed, from what each endpoint means (infra/seaweed/constants.ts HEALTH_CHECK):
 * liveness asks "is the process answering at all" on `/healthz` (always 200 while the HTTP server works), with a
 * short timeout and a few misses, so a frozen master is killed within seconds and its volume servers reconnect at
 * once instead of waiting ~113 s for gRPC keepalive. Liveness never uses `/cluster/healthz`: it answers 503 during
 * every election, and killing masters mid-election prolongs it. Readiness (who takes client traffic) is
 * `/cluster/healthz`. The AWS watchdog and the Kubernetes probes read the same constants.
 */
import { ENDPOINTS, HEALTH_CHECK } from "./constants";

/** One HTTP probe: GET `path` on the master's HTTP port. */
export interface MasterProbe {
  path: string;
  /** Seconds one probe may take before it counts as a miss. */
  timeoutSeconds: number;
  /** Seconds between two probes. */
  periodSeconds: number;
  /** Consecutive misses before acting (kill for liveness, unready for readiness). */
  failureThreshold: number;
}

/** `/healthz`: answered by the HTTP server itself, whatever raft is doing (4.30+). */
export const LIVENESS_PATH = "/healthz";

/**
 * The watchdog: a master that misses `failureThreshold` probes of `/healthz` in a row, each allowed
 * `timeoutSeconds`, is killed. Worst case from freeze to kill: period x threshold + timeout = 7 s.
 */
export const MASTER_WATCHDOG: MasterProbe = {
  path: LIVENESS_PATH,
  timeoutSeconds: 1,
  periodSeconds: 2,
  failureThreshold: 3,
};

/** Readiness: only a master that knows a leader (200 from `/cluster/healthz`) takes client traffic. */
export const MASTER_READINESS: MasterProbe = {
  path: HEALTH_CHECK.path,
  timeoutSeconds: 1,
  periodSeconds: 2,
  failureThreshold: 2,
};

/**
 * Before the first answer the watchdog is not armed (a master replaying a long raft log is not frozen): the start
 * may take up to period x threshold = 120 s, then liveness takes over.
 */
export const MASTER_STARTUP: MasterProbe = {
  path: LIVENESS_PATH,
  timeoutSeconds: 1,
  periodSeconds: 2,
  failureThreshold: 60,
};

/** Paths that answer 200 whatever the cluster's state; `/cluster/status` is what the upstream Helm chart probes. */
export const ALWAYS_OK_PATHS = [LIVENESS_PATH, ENDPOINTS.clusterStatus] as const;

/** The longest a frozen master lives on after its last answer (what the watchdog bounds). */
export function killBoundSeconds(probe: MasterProbe = MASTER_WATCHDOG): number {
  return probe.periodSeconds * probe.failureThreshold + probe.timeoutSeconds;
}
