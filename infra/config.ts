/**
 * The stack config's neutral layer: one schema (see `config/keys.ts`) gives every key's type, default and
 * documentation. Reading a stack's config validates all of its keys at once, rejects unknown keys with a
 * did-you-mean and keys of the other platform, and runs the checks that span several keys (the neutral ones and the
 * key checks of the stack's platform, `config/platforms.ts`). What follows from a platform's keys (AWS subnets and
 * fixed IPs, Kubernetes identities) is each platform's own, contributed through the platform registry
 * (infra/platforms.ts, `parseStackConfig`); nothing here imports a platform folder (eslint.config.mjs keeps it so).
 */
import { z } from "zod";
import { durationMs } from "./seaweed/master";
import { membershipChangeProblem, membershipChangeSince } from "./seaweed/membership";
import { GRPC_PORT_OFFSET } from "./seaweed/constants";
import type { Topology as ZoneTopology } from "./topology";
import { CORE_KEYS } from "./config/keys";
import { AWS_KEYS } from "./config/keys-aws";
import { MONITORING_KEYS } from "./config/keys-monitoring";
import { BACKUP_KEYS } from "./config/keys-backup";
import { WATCHDOG_KEYS } from "./config/keys-watchdog";
import { KUBERNETES_KEYS } from "./config/keys-kubernetes";
import { TLS_KEYS, tlsCrossChecks } from "./config/keys-tls";
import { AWS_WATCHDOG_KEYS, KEY_CHECKS, NEUTRAL_BACKUP_KEYS, NEUTRAL_MONITORING_KEYS, ownerOf, Platform } from "./config/platforms";
import { ConfigError, ConfigIssue, didYouMean, Environment, KeySpec, PROJECT } from "./config/spec";

export { ConfigError, PROJECT };
export type { ConfigIssue, Environment, KeySpec, Platform };

/** Every key of the project namespace. */
export const CONFIG_KEYS = { ...CORE_KEYS, ...AWS_KEYS, ...MONITORING_KEYS, ...BACKUP_KEYS, ...WATCHDOG_KEYS, ...TLS_KEYS, ...KUBERNETES_KEYS };

type Keys = typeof CONFIG_KEYS;
/** The value of every key after validation and defaults. */
export type ConfigValues = { [K in keyof Keys]: z.output<Keys[K]["schema"]> };

type AwsOnlyKey =
  | keyof typeof AWS_KEYS
  | Exclude<keyof typeof MONITORING_KEYS, (typeof NEUTRAL_MONITORING_KEYS)[number]>
  | Exclude<keyof typeof BACKUP_KEYS, (typeof NEUTRAL_BACKUP_KEYS)[number]>
  | (typeof AWS_WATCHDOG_KEYS)[number];
/** The keys every platform reads. */
export type NeutralValues = Omit<ConfigValues, AwsOnlyKey | keyof typeof KUBERNETES_KEYS>;

/** A validated Kubernetes stack: neutral keys, its own keys and the zone-only topology. */
export interface KubernetesConfig extends NeutralValues, Pick<ConfigValues, keyof typeof KUBERNETES_KEYS> {
  platform: "kubernetes";
  topology: ZoneTopology;
}

/** A value from its config-string form (how the engine hands config to a program). */
function coerce(spec: KeySpec, text: string): { value?: unknown; problem?: string } {
  switch (spec.type) {
    case "string":
      return { value: text };
    case "integer":
      return /^-?\d+$/.test(text.trim()) ? { value: Number(text) } : { problem: "must be a whole number" };
    case "boolean":
      return text === "true" || text === "false" ? { value: text === "true" } : { problem: "must be true or false" };
    case "array": {
      try {
        const parsed: unknown = JSON.parse(text);
        return Array.isArray(parsed) ? { value: parsed } : { problem: "must be a list" };
      } catch {
        return { problem: "must be a list" };
      }
    }
  }
}

/** A default in the string form the engine hands over (how Pulumi.yaml defaults reach the program). */
function defaultText(spec: KeySpec): string | undefined {
  if (spec.default === undefined) return undefined;
  return typeof spec.default === "string" ? spec.default : JSON.stringify(spec.default);
}

/** The platform a raw config asks for; an invalid value is reported by the key's schema. */
function platformOf(raw: Record<string, string>): Platform {
  return raw.platform === "kubernetes" ? "kubernetes" : "aws";
}

/** The keys a stack of `platform` reads: the neutral ones and its own. */
function keysOf(platform: Platform): string[] {
  return Object.keys(CONFIG_KEYS).filter((k) => [undefined, platform].includes(ownerOf(k)));
}

function readValues(raw: Record<string, string>, issues: ConfigIssue[]): Partial<ConfigValues> {
  const known = Object.keys(CONFIG_KEYS);
  for (const name of Object.keys(raw)) {
    if (!(name in CONFIG_KEYS)) {
      const suggestion = didYouMean(name, known);
      issues.push({
        key: name,
        value: raw[name],
        message: "is not a config key of this project",
        fix: suggestion ? `did you mean ${suggestion}?` : `remove it; known keys are listed in Pulumi.yaml`,
      });
    }
  }
  const environment = z.enum(["dev", "staging", "prod"]).safeParse(raw.environment).data;
  const platform = platformOf(raw);
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(CONFIG_KEYS) as [string, KeySpec][]) {
    const text = raw[name];
    const owner = ownerOf(name);
    if (owner !== undefined && owner !== platform) {
      // Pulumi.yaml defaults reach every stack; only a value the stack file changed is a mistake.
      if (text !== undefined && text !== defaultText(spec)) {
        issues.push({
          key: name,
          value: text,
          message: `is a key of the ${owner} platform, but this stack's platform is ${platform}`,
          fix: `remove it from the stack file, or set platform: ${owner} if the stack should run on ${owner}`,
        });
      }
      continue;
    }
    if (text === undefined) {
      if (spec.default !== undefined) values[name] = spec.default;
      else if (spec.defaultFor && environment) values[name] = spec.defaultFor(environment);
      else if (spec.required) issues.push({ key: name, value: undefined, message: "is required", fix: spec.fix });
      continue;
    }
    const { value, problem } = coerce(spec, text);
    const parsed = problem ? undefined : spec.schema.safeParse(value);
    if (problem || !parsed?.success) {
      const detail = problem ?? parsed!.error!.issues.map((i) => (i.path.length ? `[${i.path.join(".")}] ` : "") + i.message).join("; ");
      issues.push({ key: name, value: value ?? text, message: detail, fix: spec.fix });
      continue;
    }
    values[name] = parsed.data;
  }
  return values as Partial<ConfigValues>;
}

/** Checks that span several neutral keys. */
function crossChecks(v: NeutralValues, issues: ConfigIssue[]): void {
  if (v.environment !== "dev" && v.masterCount < 3) {
    issues.push({ key: "masterCount", value: v.masterCount, message: `a ${v.environment} stack needs at least 3 masters to survive the loss of one`, fix: `set masterCount to ${v.environment === "prod" ? 5 : 3}` });
  }
  if (durationMs(v.heartbeatInterval) >= durationMs(v.electionTimeout)) {
    issues.push({ key: "heartbeatInterval", value: v.heartbeatInterval, message: `must be shorter than electionTimeout (${v.electionTimeout})`, fix: "use e.g. heartbeatInterval: 300ms with electionTimeout: 2s" });
  }
  if (v.grpcPort !== v.httpPort + GRPC_PORT_OFFSET) {
    issues.push({ key: "grpcPort", value: v.grpcPort, message: `must be httpPort + ${GRPC_PORT_OFFSET} (${v.httpPort + GRPC_PORT_OFFSET}): SeaweedFS clients derive the gRPC port that way`, fix: `set grpcPort to ${v.httpPort + GRPC_PORT_OFFSET}` });
  }
  if (v.metricsPort === v.httpPort || v.metricsPort === v.grpcPort) {
    issues.push({ key: "metricsPort", value: v.metricsPort, message: `collides with the master's ${v.metricsPort === v.httpPort ? "HTTP" : "gRPC"} port`, fix: "use a port of its own, e.g. 9327" });
  }
  tlsCrossChecks(v, issues);
}

/** A slot as the last deployment exported it (the `slots` output); each platform reads its own fields. */
export interface DeployedSlot {
  slot: number;
}

/** Where a stack's config comes from, besides its keys. */
export interface ParseOptions {
  stack?: string;
  /**
   * The `slots` output of the last deployment: on AWS a change that moves a slot is refused, on Kubernetes one that
   * renames a master's DNS identity.
   */
  previousSlots?: readonly DeployedSlot[];
  /** AWS: the stack's `aws:region`; every availability zone must lie in it. */
  region?: string;
}

/** A stack's keys, read and checked; the platform's part of the config follows from them (infra/platforms.ts). */
export interface ReadConfig {
  platform: Platform;
  values: ConfigValues;
  /** Every problem found so far; the platform adds its own before throwing them all at once. */
  issues: ConfigIssue[];
}

/**
 * Reads and checks a stack's keys, whatever its platform: every key's schema, the neutral cross-checks and the key
 * checks of its platform (`KEY_CHECKS`). Throws a ConfigError when a key the platform needs is missing or invalid;
 * other problems are returned in `issues`, so the platform can add its own and report all of them at once.
 *
 * @param raw the project's keys without namespace, each in the string form the engine passes to programs.
 */
export function readStackConfig(raw: Record<string, string>, options: ParseOptions = {}): ReadConfig {
  const issues: ConfigIssue[] = [];
  const values = readValues(raw, issues);
  const platform = platformOf(raw);
  const complete = keysOf(platform).every((k) => values[k as keyof ConfigValues] !== undefined);
  if (!complete) throw new ConfigError(issues, options.stack);
  for (const check of [crossChecks, ...KEY_CHECKS[platform]]) check(values as ConfigValues, issues);
  return { platform, values: values as ConfigValues, issues };
}

/**
 * A `masterCount` change against the last deployment is a raft membership change: a scale-in is refused until the
 * leaving slots were taken out of raft (`slotsRemovedFromRaft`); a slot listed there that stays is refused too.
 */
export function membershipIssues(v: NeutralValues, previous: readonly { slot: number }[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const staying = v.slotsRemovedFromRaft.filter((slot) => slot < v.masterCount);
  if (staying.length > 0) {
    issues.push({
      key: "slotsRemovedFromRaft",
      value: v.slotsRemovedFromRaft,
      message: `lists slot(s) ${staying.join(", ")}, which stay with masterCount ${v.masterCount} (slots 0-${v.masterCount - 1})`,
      fix: "list only the slots that leave, or leave it empty",
    });
  }
  const change = membershipChangeSince(previous.map((p) => p.slot), v.masterCount);
  const problem = change && membershipChangeProblem(change, v.slotsRemovedFromRaft);
  if (change && problem) {
    issues.push({
      key: "masterCount",
      value: v.masterCount,
      message: `${problem} (deployed: ${change.from}, new: ${change.to})`,
      fix: `first run the membership steps of docs/runbooks/scaling.md (npm run plan -- --previous prints them: hand leadership to a kept slot, then for slot ${change.removed.join(", then ")}: cluster.raft.remove and stop it), then set slotsRemovedFromRaft: [${change.removed.join(", ")}]; or keep masterCount: ${change.from}`,
    });
  }
  return issues;
}

/** The project's keys of a flat engine config map (`seaweed-infra:masterCount` -> `masterCount`). */
export function projectKeys(all: Record<string, string>): Record<string, string> {
  const prefix = `${PROJECT}:`;
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, value]) => [k.slice(prefix.length), value]),
  );
}
