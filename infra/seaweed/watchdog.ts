/**
 * The master watchdog: a small bash loop beside each master that SIGKILLs it when its `/healthz` stops answering
 * (a frozen or hung process), and SIGTERMs a leader whose topology lock stays wedged. Rendered here once; the EC2
 * user data installs this text with a systemd unit (infra/aws/host/watchdogUnit.ts), the drills run the very same text beside each local master, and
 * Kubernetes gets the same rules as probes: the startup probe arms (watchdogProbes, infra/seaweed/probes.ts) and an
 * exec liveness probe runs both rules (infra/seaweed/livenessProbe.ts).
 *
 * Why it exists (SeaweedFS 4.44): volume servers keep a heartbeat stream without deadline to the leader, and only
 * gRPC keepalive (60 s + 20 s) ends it when the leader freezes, so writes stall for up to ~2 minutes; a master that
 * dies closes its connections and the volume servers move to the new leader at once.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { HEALTH_CHECK, LIVENESS_PATH, SEAWEEDFS_TIMINGS, WEDGED_LEADER_STATUS_CODE } from "./constants";
import type { WatchdogProbeSettings } from "./probes";

export { DEFAULT_WATCHDOG_PROBE, watchdogProbes } from "./probes";
export type { WatchdogProbeSettings } from "./probes";

/** How the watchdog judges its master (the `watchdog*` config keys). */
export interface WatchdogSettings {
  /** Seconds between two probes. */
  intervalSeconds: number;
  /** Seconds a `/healthz` probe may take before it counts as a miss. */
  timeoutSeconds: number;
  /** Consecutive misses before SIGKILL. */
  misses: number;
  /** Consecutive 423 answers of `/cluster/healthz` before SIGTERM. */
  wedgedMisses: number;
  /** Seconds between SIGTERM and SIGKILL of a wedged leader. */
  termGraceSeconds: number;
}

/** The defaults of the wedged-leader keys (watchdogWedgedMisses, watchdogTermGraceSeconds). */
export const DEFAULT_WEDGED_RULE: Pick<WatchdogSettings, "wedgedMisses" | "termGraceSeconds"> = { wedgedMisses: 3, termGraceSeconds: 15 };

/** The config keys that hold the settings. */
export interface WatchdogConfigKeys {
  watchdogIntervalSeconds: number;
  watchdogTimeoutSeconds: number;
  watchdogMisses: number;
  watchdogWedgedMisses: number;
  watchdogTermGraceSeconds: number;
}

/** The probe settings from config keys every platform has (Kubernetes has no wedged-leader keys). */
export function watchdogProbeSettingsOf(config: Pick<WatchdogConfigKeys, "watchdogIntervalSeconds" | "watchdogTimeoutSeconds" | "watchdogMisses">): WatchdogProbeSettings {
  return { intervalSeconds: config.watchdogIntervalSeconds, timeoutSeconds: config.watchdogTimeoutSeconds, misses: config.watchdogMisses };
}

export function watchdogSettingsOf(config: WatchdogConfigKeys): WatchdogSettings {
  return {
    intervalSeconds: config.watchdogIntervalSeconds,
    timeoutSeconds: config.watchdogTimeoutSeconds,
    misses: config.watchdogMisses,
    wedgedMisses: config.watchdogWedgedMisses,
    termGraceSeconds: config.watchdogTermGraceSeconds,
  };
}

/** The journal line of every action starts with this (what the CloudWatch metric filter counts). */
export const WATCHDOG_ACTION_PREFIX = "action=";
/** The file in the state directory that counts the watchdog's actions. */
export const WATCHDOG_KILLS_FILE = "kills";

/**
 * Seconds a /cluster/healthz probe may take: the leader retries its topology-lock check for
 * {@link SEAWEEDFS_TIMINGS.wedgedCheckSeconds} before answering 423.
 */
export function wedgedProbeTimeoutSeconds(settings: WatchdogProbeSettings): number {
  return SEAWEEDFS_TIMINGS.wedgedCheckSeconds + settings.timeoutSeconds;
}

/**
 * The longest a frozen master lives, from the moment it freezes to the SIGKILL: the probe in flight may have
 * just succeeded, a wedged-check probe may run first, then `misses` probes of interval + timeout each.
 */
export function watchdogDetectionBoundMs(settings: WatchdogProbeSettings): number {
  const s = settings;
  return 1000 * (s.intervalSeconds + wedgedProbeTimeoutSeconds(s) + s.misses * (s.intervalSeconds + s.timeoutSeconds));
}

/** The body (infra/seaweed/watchdog.sh) with comments and indentation dropped: it travels in user data. */
const WATCHDOG_BODY = compactBash(fs.readFileSync(path.join(__dirname, "watchdog.sh"), "utf8"));

function compactBash(text: string): string {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .join("\n");
}

function quote(value: string | number): string {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/**
 * The watchdog script of the master listening on `host:port`. The host is the only thing that differs between two
 * masters, and between a host and a drill (the drill maps a slot's IP to a loopback address).
 */
export function renderWatchdogScript(target: { host: string; port: number }, settings: WatchdogSettings): string {
  const values: [string, string | number][] = [
    ["MASTER_HOST", target.host],
    ["MASTER_PORT", target.port],
    ["LIVENESS_PATH", LIVENESS_PATH],
    ["CLUSTER_HEALTH_PATH", HEALTH_CHECK.path],
    ["WEDGED_STATUS", WEDGED_LEADER_STATUS_CODE],
    ["INTERVAL", settings.intervalSeconds],
    ["TIMEOUT", settings.timeoutSeconds],
    ["MISSES", settings.misses],
    ["WEDGED_TIMEOUT", wedgedProbeTimeoutSeconds(settings)],
    ["WEDGED_MISSES", settings.wedgedMisses],
    ["TERM_GRACE", settings.termGraceSeconds],
  ];
  return [
    "#!/bin/bash",
    "# SeaweedFS master watchdog, rendered by infra/seaweed/watchdog.ts (the drills run this same text). Do not edit.",
    `readonly ${values.map(([name, value]) => `${name}=${quote(value)}`).join(" ")}`,
    WATCHDOG_BODY,
    "",
  ].join("\n");
}
