/**
 * The master watchdog's two rules (infra/seaweed/watchdog.sh, the AWS unit) as one exec liveness probe, for
 * platforms where the kubelet is the supervisor (Kubernetes): a container can have one liveness probe, and an HTTP
 * GET cannot tell a wedged leader (it answers /healthz) from a healthy one. One run of the probe:
 *
 * - frozen or hung: no 200 from `/healthz` within the timeout -> the probe fails; after `misses` failures in a row
 *   the kubelet restarts the container (the probe's own grace is 1 s: a frozen process never handles SIGTERM);
 * - wedged leader: `wedgedMisses` runs in a row saw 423 from `/cluster/healthz` -> the probe SIGTERMs the master
 *   itself (PID 1 of its container; it exits cleanly and the kubelet restarts the container), and if the master is
 *   still there `termGraceSeconds` later the probe fails, so the kubelet kills it.
 *
 * Arming is the startup probe's (liveness runs only after the master first answered). The count of 423s and the
 * time of the SIGTERM survive between runs in a file keyed by the master's start time, so a restarted master starts
 * from zero. POSIX sh, curl, cut and date only: the official image is Alpine with busybox and curl.
 */
import { HEALTH_CHECK, LIVENESS_PATH, WEDGED_LEADER_STATUS_CODE } from "./constants";
import type { WatchdogSettings } from "./watchdog";
import { DEFAULT_WATCHDOG_PROBE, DEFAULT_WEDGED_RULE, wedgedProbeTimeoutSeconds } from "./watchdog";

/** What the probe reads from its environment: the pod IP (the downward API), and where the master runs. */
export const LIVENESS_PROBE_ENV = {
  /** The address the master listens on (set from status.podIP in the pod). */
  host: "POD_IP",
  /** The master's pid; unset in a container, where the master is PID 1 (the drills set it). */
  pid: "MASTER_PID",
  /** Where the state file goes; unset in a container (/tmp, an emptyDir). */
  tmp: "TMPDIR",
} as const;

/** Every action is one line starting with this on the probe's output, like the AWS watchdog's journal lines. */
export const LIVENESS_ACTION_PREFIX = "action=";

/** The probe's shell text for a master on `port` with the watchdog settings. */
export function renderLivenessScript(port: number, s: WatchdogSettings): string {
  const wedgedTimeout = wedgedProbeTimeoutSeconds(s);
  return [
    `# SeaweedFS master liveness: the watchdog's rules (infra/seaweed/livenessProbe.ts). Do not edit.`,
    `pid="\${${LIVENESS_PROBE_ENV.pid}:-1}" state="\${${LIVENESS_PROBE_ENV.tmp}:-/tmp}/seaweedfs-liveness" url="http://\${${LIVENESS_PROBE_ENV.host}:?${LIVENESS_PROBE_ENV.host} is not set}:${port}"`,
    `started=$(cut -d' ' -f22 "/proc/$pid/stat" 2>/dev/null) || started=none`,
    `wedged=0 term=0`,
    `if [ -r "$state" ] && read -r s w t < "$state" && [ "$s" = "$started" ]; then wedged=$w term=$t; fi`,
    `code=$(curl -s -o /dev/null -w '%{http_code}' --max-time ${s.timeoutSeconds} "$url${LIVENESS_PATH}") || true`,
    `if [ "$code" != 200 ]; then echo "no answer from ${LIVENESS_PATH} within ${s.timeoutSeconds}s (HTTP $code)"; exit 1; fi`,
    `now=$(date +%s)`,
    `if [ "$term" -gt 0 ]; then`,
    `  if [ $((now - term)) -ge ${s.termGraceSeconds} ]; then echo "still running ${s.termGraceSeconds}s after SIGTERM (wedged leader)"; exit 1; fi`,
    `  exit 0`,
    `fi`,
    `health=$(curl -s -o /dev/null -w '%{http_code}' --max-time ${wedgedTimeout} "$url${HEALTH_CHECK.path}") || true`,
    `if [ "$health" = ${WEDGED_LEADER_STATUS_CODE} ]; then wedged=$((wedged + 1)); else wedged=0; fi`,
    `if [ "$wedged" -ge ${s.wedgedMisses} ]; then`,
    `  echo "${LIVENESS_ACTION_PREFIX}terminate signal=TERM pid=$pid reason=wedged leader: ${s.wedgedMisses} x ${WEDGED_LEADER_STATUS_CODE} from ${HEALTH_CHECK.path}"`,
    `  kill -TERM "$pid" && term=$now wedged=0`,
    `fi`,
    `printf '%s %s %s\\n' "$started" "$wedged" "$term" > "$state.tmp" && mv -f "$state.tmp" "$state"`,
    ``,
  ].join("\n");
}

/**
 * The exec liveness probe: run every `intervalSeconds`, failing after `misses` failures; its timeout covers a
 * healthy run's worst case (the /healthz probe, then a leader's /cluster/healthz retrying its lock check).
 */
export function masterLivenessProbe(port: number, s: WatchdogSettings) {
  return {
    exec: { command: ["/bin/sh", "-c", renderLivenessScript(port, s)] },
    periodSeconds: s.intervalSeconds,
    timeoutSeconds: s.timeoutSeconds + wedgedProbeTimeoutSeconds(s) + 1,
    failureThreshold: s.misses,
    successThreshold: 1,
    // A frozen master ignores SIGTERM; a wedged one had its SIGTERM and termGraceSeconds already.
    terminationGracePeriodSeconds: 1,
  };
}

/** Kubernetes' own default terminationGracePeriodSeconds of a pod. */
export const KUBERNETES_DEFAULT_POD_GRACE_SECONDS = 30;

/**
 * The longest a frozen master lives under a liveness probe: `failureThreshold` probes `periodSeconds` apart, each
 * allowed `timeoutSeconds`, then the grace the kubelet gives after its SIGTERM, which a frozen process never handles
 * (the probe's own terminationGracePeriodSeconds, else the pod's).
 */
export function killBoundSeconds(
  probe: { periodSeconds?: number; failureThreshold?: number; timeoutSeconds?: number; terminationGracePeriodSeconds?: number },
  podGraceSeconds = KUBERNETES_DEFAULT_POD_GRACE_SECONDS,
): number {
  // Kubernetes' defaults for fields left out: period 10 s, 3 failures, 1 s timeout.
  return (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3) + (probe.timeoutSeconds ?? 1) + (probe.terminationGracePeriodSeconds ?? podGraceSeconds);
}

/** The kill bound of the liveness probe the watchdog* keys' defaults render. */
export const DEFAULT_KILL_BOUND_SECONDS = killBoundSeconds(masterLivenessProbe(0, { ...DEFAULT_WATCHDOG_PROBE, ...DEFAULT_WEDGED_RULE }));
