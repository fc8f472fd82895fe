/**
 * How a master's health is probed, from what each endpoint means (infra/seaweed/constants.ts HEALTH_CHECK):
 * liveness asks "is the process answering at all" on `/healthz` (always 200 while the HTTP server works), with a
 * short timeout and a few misses, so a frozen master is killed within seconds and its volume servers reconnect at
 * once instead of waiting ~113 s for gRPC keepalive. Liveness never uses `/cluster/healthz`: it answers 503 during
 * every election, and killing masters mid-election prolongs it. Readiness (who takes client traffic) is `/readyz`,
 * which answers like `/cluster/healthz` without its 5 s lock-check retry. The Kubernetes startup and liveness probes
 * are the AWS watchdog's rules (watchdogProbes below, infra/seaweed/livenessProbe.ts).
 */
import { ENDPOINTS, LIVENESS_PATH, READINESS_PATH } from "./constants";

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

/**
 * Readiness: only a master that knows a leader (200 from `/readyz`) takes client traffic. `/cluster/healthz` with this
 * 1 s timeout (the tier's first form) failed on a leader whenever its topology lock was briefly held: it retries the
 * check for up to 5 s before answering.
 */
export const MASTER_READINESS: MasterProbe = {
  path: READINESS_PATH,
  timeoutSeconds: 1,
  periodSeconds: 2,
  failureThreshold: 2,
};

/** Paths that answer 200 whatever the cluster's state; `/cluster/status` is what the upstream Helm chart probes. */
export const ALWAYS_OK_PATHS = [LIVENESS_PATH, ENDPOINTS.clusterStatus] as const;

/** What probing for liveness needs (the rest of the settings is the wedged-leader rule, which only the watchdog has). */
export interface WatchdogProbeSettings {
  /** Seconds between two probes. */
  intervalSeconds: number;
  /** Seconds a `/healthz` probe may take before it counts as a miss. */
  timeoutSeconds: number;
  /** Consecutive misses before the kill. */
  misses: number;
}

/**
 * The defaults of the watchdog* config keys, chosen from the drills (docs/failover.md): a frozen master is killed
 * within about 10 s, while no master was ever killed in a drill of the other scenarios.
 */
export const DEFAULT_WATCHDOG_PROBE: WatchdogProbeSettings = { intervalSeconds: 1, timeoutSeconds: 2, misses: 3 };

/**
 * How long a Kubernetes startup probe lets a master take before its first answer (the watchdog itself waits for
 * ever): replaying a large raft log after a crash takes seconds to minutes.
 */
export const MASTER_BOOT_ALLOWANCE_SECONDS = 600;

/**
 * The same rules as Kubernetes probes of the master container: the startup probe keeps the liveness probe off until
 * the master has answered once (the watchdog's arming), then kubelet restarts the container after `misses` failed
 * liveness probes. The wedged-leader rule has no probe equivalent: it needs the watchdog.
 */
export function watchdogProbes(settings: WatchdogProbeSettings, httpPort: number) {
  const probe = { httpGet: { path: LIVENESS_PATH, port: httpPort }, periodSeconds: settings.intervalSeconds, timeoutSeconds: settings.timeoutSeconds };
  return {
    startupProbe: { ...probe, failureThreshold: Math.ceil(MASTER_BOOT_ALLOWANCE_SECONDS / settings.intervalSeconds) },
    livenessProbe: { ...probe, failureThreshold: settings.misses },
  };
}
