/**
 * Builds a stack's config the way the engine does: `Pulumi.yaml` project defaults, overridden by
 * `stacks/Pulumi.<stack>.yaml`, every value in the string form a program receives (lists and objects as JSON).
 * Encrypted `secure:` values cannot be decrypted offline; they become a placeholder marked secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, LineCounter, parse, parseDocument } from "yaml";
import { CONFIG_KEYS, PROJECT } from "../../infra/config";

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

/**
 * The stack file's top-level mapping. Refuses, naming the file and line: a YAML syntax error, and a string key
 * written as a plain number or boolean (YAML reads `seaweedVersion: 4.50` as the number 4.5, and the program would
 * then see "4.5").
 */
function readStackYaml(file: string, stackYaml: string): { config?: Record<string, unknown> } {
  const lines = new LineCounter();
  const doc = parseDocument(stackYaml, { lineCounter: lines });
  const at = (offset: number) => `${file}:${lines.linePos(offset).line}`;
  if (doc.errors.length > 0) {
    const [error] = doc.errors;
    throw new StackFileError(`${at(error.pos[0])}: not valid YAML: ${error.message.split("\n")[0]}\n  fix: correct the YAML at that line (indentation, quotes, brackets), then run npm run plan again`);
  }
  const config = doc.get("config", true);
  const problems: string[] = [];
  if (isMap(config)) {
    for (const pair of config.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      const name = key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : undefined;
      const spec = name ? (CONFIG_KEYS as Record<string, { type: string }>)[name] : undefined;
      const value = pair.value;
      if (spec?.type === "string" && isScalar(value) && (typeof value.value === "number" || typeof value.value === "boolean") && value.range) {
        const source = stackYaml.slice(value.range[0], value.range[1]);
        problems.push(
          `${at(value.range[0])}: ${key} = ${source} is read by YAML as the ${typeof value.value} ${String(value.value)}, but ${name} is a string\n  fix: quote it: ${key}: "${source}"`,
        );
      }
    }
  }
  if (problems.length > 0) throw new StackFileError(problems.join("\n"));
  return (doc.toJS() ?? {}) as { config?: Record<string, unknown> };
}

/**
 * Project defaults plus the stack file's values, from YAML text (exposed for tests of ad-hoc stacks); `file` names
 * the file in errors.
 */
export function stackConfigFromYaml(stack: string, stackYaml: string, root = REPO_ROOT, file = `stacks/Pulumi.${stack}.yaml`): StackConfig {
  const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config?: Record<string, { default?: unknown }> };
  const config: Record<string, string> = {};
  for (const [key, declaration] of Object.entries(project.config ?? {})) {
    if (declaration && typeof declaration === "object" && "default" in declaration) {
      config[qualified(key)] = configString(declaration.default);
    }
  }
  const stackFile = readStackYaml(file, stackYaml);
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(stackFile.config ?? {})) {
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
  return stackConfigFromYaml(stack, fs.readFileSync(file, "utf8"), root, path.relative(root, file));
}

/** A stack's config from `Pulumi.<stack>.yaml` in `stacksDir` (a variant of a stack for a check), else from stacks/. */
export function readStackConfigIn(stack: string, stacksDir?: string): StackConfig {
  if (!stacksDir) return readStackConfig(stack);
  const file = path.join(stacksDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) throw new StackFileError(`no stack file ${file}`);
  return stackConfigFromYaml(stack, fs.readFileSync(file, "utf8"), undefined, file);
}
