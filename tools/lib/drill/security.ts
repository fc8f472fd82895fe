/**
 * The security drill: every attack of ./securityControls.ts against the stack's rendered configuration as a real
 * local cluster, first with TLS off (each attack must be accepted there, or the control could never fail), then with
 * the stack's mutual TLS (each must be refused). The TLS-on cluster gives each attack a window of at least
 * {@link MIN_WINDOW_MS} and at least {@link WINDOW_FACTOR} times what the same attack took to succeed without TLS.
 * Its report is the `security` section of `npm run drill -- --json` (fields are only ever added).
 */
import type { StackSettings } from "../../../infra/platforms";
import { GRPC_CALLERS, MASTER_GRPC_CHANNELS, tlsCommonName } from "../../../infra/seaweed/tls";
import { LocalCluster } from "../localCluster";
import { stackConfig } from "../cluster/plan";
import { ControlOutcome, SECURITY_CONTROLS, SecurityControl } from "./securityControls";

/** The shortest time an attack gets to succeed against the TLS cluster. */
export const MIN_WINDOW_MS = 10_000;
/** ... and how many times longer than it took without TLS. */
export const WINDOW_FACTOR = 3;

export interface SecurityControlReport {
  id: string;
  title: string;
  /** The same attack against the stack with TLS off: must be accepted. */
  tlsOff: { outcome: "accepted" | "refused"; ms: number | null; evidence: string };
  /** Against the stack's mutual TLS: must be refused within the window. */
  tlsOn: { outcome: "accepted" | "refused"; windowMs: number; evidence: string };
  passed: boolean;
}

export interface SecurityReport {
  /** What the stack turns on: every channel of the masters' gRPC port and who may open it; HTTP stays plain. */
  tls: {
    enabled: boolean;
    channels: { id: string; description: string; allowedCommonNames: string[] }[];
    https: false;
  };
  controls: SecurityControlReport[];
  passed: boolean;
}

export interface SecurityDrillOptions {
  stack: string;
  /** An already validated config (e.g. a variant of the stack). */
  config?: StackSettings;
  /** @default every control */
  controls?: readonly SecurityControl[];
  keep?: boolean;
  progress: (line: string) => void;
}

function outcomeOf(o: ControlOutcome): "accepted" | "refused" {
  return o.accepted ? "accepted" : "refused";
}

/** Runs every control with TLS off, then with TLS on, each on one cluster per side. */
export async function runSecurityDrill(options: SecurityDrillOptions): Promise<SecurityReport> {
  const config = options.config ?? stackConfig(options.stack);
  const controls = options.controls ?? SECURITY_CONTROLS;
  const began = Date.now();
  const log = (line: string) => options.progress(`${options.stack} security +${((Date.now() - began) / 1000).toFixed(1)}s ${line}`);
  const off = new Map<string, ControlOutcome>();
  const on = new Map<string, { outcome: ControlOutcome; windowMs: number }>();
  await withCluster(options, config, false, log, async (cluster) => {
    for (const [i, control] of controls.entries()) {
      const outcome = await control.run(cluster, 60_000, i + 1);
      off.set(control.id, outcome);
      log(`TLS off: ${control.id}: ${outcomeOf(outcome)} (${outcome.evidence})`);
    }
  });
  await withCluster(options, config, true, log, async (cluster) => {
    for (const [i, control] of controls.entries()) {
      const windowMs = Math.max(MIN_WINDOW_MS, WINDOW_FACTOR * (off.get(control.id)?.ms ?? 0));
      const outcome = await control.run(cluster, windowMs, i + 1);
      on.set(control.id, { outcome, windowMs });
      log(`TLS on: ${control.id}: ${outcomeOf(outcome)} (${outcome.evidence})`);
    }
  });
  const reports = controls.map((control): SecurityControlReport => {
    const without = off.get(control.id)!;
    const withTls = on.get(control.id)!;
    return {
      id: control.id,
      title: control.title,
      tlsOff: { outcome: outcomeOf(without), ms: without.ms ?? null, evidence: without.evidence },
      tlsOn: { outcome: outcomeOf(withTls.outcome), windowMs: withTls.windowMs, evidence: withTls.outcome.evidence },
      passed: without.accepted && !withTls.outcome.accepted,
    };
  });
  return { tls: tlsSummary(config), controls: reports, passed: reports.every((r) => r.passed) };
}

/** The channels the stack's TLS covers and who may open them. */
export function tlsSummary(config: StackSettings): SecurityReport["tls"] {
  const allowed = GRPC_CALLERS.master.map((role) => tlsCommonName(config.clusterName, role));
  return {
    enabled: config.tlsEnabled,
    channels: config.tlsEnabled ? MASTER_GRPC_CHANNELS.map((c) => ({ id: c.id, description: c.description, allowedCommonNames: allowed })) : [],
    https: false,
  };
}

async function withCluster(options: SecurityDrillOptions, config: StackSettings, tls: boolean, log: (line: string) => void, body: (cluster: LocalCluster) => Promise<void>): Promise<void> {
  log(`starting the cluster with TLS ${tls ? "on" : "off"}`);
  const cluster = await LocalCluster.start({ stack: options.stack, config, tls, keep: options.keep, log });
  try {
    await body(cluster);
  } finally {
    await cluster.stop();
  }
}
