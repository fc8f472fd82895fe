/**
 * Builds a stack's config the way the engine does: `Pulumi.yaml` project defaults, overridden by
 * `stacks/Pulumi.<stack>.yaml`, every value in the string form a program receives (lists and objects as JSON).
 * Encrypted `secure:` values cannot be decrypted offline; they become a placeholder marked secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT } from "../../infra/config";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface StackConfig {
  stack: string;
  /** `namespace:key` -> string value. */
  config: Record<string, string>;
  secretKeys: string[];
}

export class StackFileError extends Error {}

function configString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function qualified(key: string): string {
  return key.includes(":") ? key : `${PROJECT}:${key}`;
}

export function stackFilePath(stack: string, root = REPO_ROOT): string {
  return path.join(root, "stacks", `Pulumi.${stack}.yaml`);
}

export function availableStacks(root = REPO_ROOT): string[] {
  return fs
    .readdirSync(path.join(root, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Project defaults plus the stack file's values, from YAML text (exposed for tests of ad-hoc stacks). */
export function stackConfigFromYaml(stack: string, stackYaml: string, root = REPO_ROOT): StackConfig {
  const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config?: Record<string, { default?: unknown }> };
  const config: Record<string, string> = {};
  for (const [key, declaration] of Object.entries(project.config ?? {})) {
    if (declaration && typeof declaration === "object" && "default" in declaration) {
      config[qualified(key)] = configString(declaration.default);
    }
  }
  const file = (parse(stackYaml) ?? {}) as { config?: Record<string, unknown> };
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(file.config ?? {})) {
    if (value && typeof value === "object" && "secure" in value) {
      config[qualified(key)] = "offline-placeholder-for-secret";
      secretKeys.push(qualified(key));
    } else {
      config[qualified(key)] = configString(value);
    }
  }
  return { stack, config, secretKeys };
}

/** The config of `stacks/Pulumi.<stack>.yaml`. */
export function readStackConfig(stack: string, root = REPO_ROOT): StackConfig {
  const file = stackFilePath(stack, root);
  if (!fs.existsSync(file)) {
    throw new StackFileError(`no stack file ${path.relative(root, file)}; stacks here: ${availableStacks(root).join(", ")}`);
  }
  return stackConfigFromYaml(stack, fs.readFileSync(file, "utf8"), root);
}
