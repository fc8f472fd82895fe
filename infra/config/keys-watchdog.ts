/**
 * Config keys of the master watchdog (infra/seaweed/watchdog.ts). Same rules as config/keys.ts: every key declared
 * once with type, default, documentation and fix. The defaults come from the drills: a healthy master answers
 * /healthz in milliseconds even on a loaded 2-core host, and 3 misses of 2 s kill a frozen master within 17 s at worst.
 */
import { z } from "zod";
import type { ConfigValues } from "../config";
import { SEAWEEDFS_TIMINGS } from "../seaweed/constants";
import { DEFAULT_WATCHDOG_PROBE, DEFAULT_WEDGED_RULE, watchdogDetectionBoundMs, watchdogSettingsOf } from "../seaweed/watchdog";
import { key, type ConfigIssue } from "./spec";

const whole = (min: number, max: number, unit: string) =>
  z.number().int("must be a whole number").min(min, `must be at least ${min}${unit}`).max(max, `must be at most ${max}${unit}`);

export const WATCHDOG_KEYS = {
  watchdogEnabled: key({
    type: "boolean",
    description: "Run the master watchdog beside each master: it SIGKILLs a master whose /healthz stops answering (frozen or hung), so systemd restarts it and volume servers move to the new leader at once instead of after ~2 minutes of gRPC keepalive. See docs/failover.md.",
    schema: z.boolean(),
    default: true,
    fix: "set true (recommended) or false",
  }),
  watchdogIntervalSeconds: key({
    type: "integer",
    description: "Seconds between two watchdog probes of the master's own /healthz (and /cluster/healthz for the wedged-leader rule).",
    schema: whole(1, 30, " s"),
    default: DEFAULT_WATCHDOG_PROBE.intervalSeconds,
    fix: "use 1 to 30 seconds, e.g. 1",
  }),
  watchdogTimeoutSeconds: key({
    type: "integer",
    description: "Seconds a /healthz probe may take before it counts as a miss. A running master answers in milliseconds; only a frozen or hung one times out.",
    schema: whole(1, 30, " s"),
    default: DEFAULT_WATCHDOG_PROBE.timeoutSeconds,
    fix: "use 1 to 30 seconds, e.g. 2",
  }),
  watchdogMisses: key({
    type: "integer",
    description: "Consecutive missed /healthz probes before the watchdog SIGKILLs the master. It only counts once the master has answered since its last start, so a booting master is never killed.",
    schema: whole(2, 20, ""),
    default: DEFAULT_WATCHDOG_PROBE.misses,
    fix: "use 2 to 20, e.g. 3",
  }),
  watchdogWedgedMisses: key({
    type: "integer",
    description: "Consecutive 423 answers of /cluster/healthz (a leader whose topology lock is held for 5 s each time) before the watchdog (on Kubernetes, the liveness probe) SIGTERMs the master.",
    schema: whole(1, 20, ""),
    default: DEFAULT_WEDGED_RULE.wedgedMisses,
    fix: "use 1 to 20, e.g. 3",
  }),
  watchdogTermGraceSeconds: key({
    type: "integer",
    description: "Seconds the watchdog waits after SIGTERM of a wedged leader before it SIGKILLs it (on Kubernetes: before the liveness probe fails, so the kubelet kills it).",
    schema: whole(1, 300, " s"),
    default: DEFAULT_WEDGED_RULE.termGraceSeconds,
    fix: "use 1 to 300 seconds, e.g. 15",
  }),
};

/** A watchdog slower than SeaweedFS's own gRPC keepalive would never act before it. */
export function watchdogCrossChecks(v: ConfigValues, issues: ConfigIssue[]): void {
  const boundSeconds = watchdogDetectionBoundMs(watchdogSettingsOf(v)) / 1000;
  const keepAlive = SEAWEEDFS_TIMINGS.grpcKeepAliveSeconds + SEAWEEDFS_TIMINGS.grpcKeepAliveTimeoutSeconds;
  if (v.watchdogEnabled && boundSeconds >= keepAlive) {
    issues.push({
      key: "watchdogMisses",
      value: v.watchdogMisses,
      message: `with watchdogIntervalSeconds ${v.watchdogIntervalSeconds} and watchdogTimeoutSeconds ${v.watchdogTimeoutSeconds} a frozen master lives up to ${boundSeconds} s, no sooner than SeaweedFS's own gRPC keepalive (${keepAlive} s) frees the volume servers`,
      fix: "lower watchdogMisses, watchdogIntervalSeconds or watchdogTimeoutSeconds (the defaults 3, 1 and 2 give at most 17 s)",
    });
  }
}
