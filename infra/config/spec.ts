/**
 * The building blocks of the config schema: a key's spec (type, default, documentation, validation, fix) and the
 * error that lists every problem of a stack's config at once, each naming the key, the bad value and the fix.
 */
import { z } from "zod";

/** The project name, and so the namespace of every config key (`seaweed-infra:masterCount`). */
export const PROJECT = "seaweed-infra";

/** The config types a `Pulumi.yaml` `config:` block can declare. */
export type ConfigKeyType = "string" | "integer" | "boolean" | "array";

/** Environments a stack can be; they set defaults such as deletion protection. */
export type Environment = "dev" | "staging" | "prod";

/** One config key: its Pulumi.yaml declaration, its validation and the advice printed when it is wrong. */
export interface KeySpec<S extends z.ZodType = z.ZodType> {
  type: ConfigKeyType;
  /** Shown in Pulumi.yaml and the README's config reference. */
  description: string;
  /** Validates the value after it is read from its string form. */
  schema: S;
  /** What to do when the value is refused. */
  fix: string;
  /** A default that does not depend on the environment; written to Pulumi.yaml. */
  default?: z.output<S>;
  /** A default that depends on the environment (not expressible in Pulumi.yaml, so documented instead). */
  defaultFor?: (environment: Environment) => z.output<S>;
  /** Required keys have neither kind of default. */
  required?: boolean;
}

/** Declares a key; the identity function exists for type inference. */
export function key<S extends z.ZodType>(spec: KeySpec<S>): KeySpec<S> {
  return spec;
}

/** One problem in a stack's config. */
export interface ConfigIssue {
  /** The key without namespace, e.g. `masterCount` (or `masterIps[2]`). */
  key: string;
  value: unknown;
  message: string;
  fix: string;
}

/** Every problem of a stack's config; thrown before any resource is registered. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], stack?: string) {
    const where = stack ? ` of stack "${stack}"` : "";
    const lines = issues.map(
      (i) => `  - ${PROJECT}:${i.key} = ${formatValue(i.value)}: ${i.message}\n    fix: ${i.fix}`,
    );
    super(`Invalid configuration${where} (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${lines.join("\n")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

function formatValue(value: unknown): string {
  if (value === undefined) return "(not set)";
  return JSON.stringify(value);
}

/** Levenshtein distance, for did-you-mean suggestions. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known key closest to an unknown one, when it is close enough to be a typo. */
export function didYouMean(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.toLowerCase() === lower ? 0 : editDistance(lower, name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (best && best.distance <= Math.max(2, Math.floor(best.name.length / 3))) return best.name;
  return undefined;
}
