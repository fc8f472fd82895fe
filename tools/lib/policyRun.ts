/**
 * Runs the CrossGuard pack in-process against a recorded resource graph, the way `pulumi preview --policy-pack`
 * would: the graph becomes linked `PolicyResource`s, each policy's config is its schema defaults merged with the
 * pack config file (validated like the engine does, with ajv), every resource policy sees every resource and every
 * stack policy sees the whole stack. No Pulumi CLI, no engine, no credentials.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import type { EnforcementLevel, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { PACK_NAME, policies as packPolicies } from "../../policies/rules/all";
import type { RecordedResource } from "./mockGraph";
import { REPO_ROOT } from "./stackFiles";

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** A pack config file: `{"all": level, "<policy>": level | {enforcementLevel?, ...settings}}`. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface PolicyViolation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  /** URN of the resource at fault, or of the stack for a stack-wide violation. */
  resource: string;
  message: string;
}

export interface PolicyVerdict {
  policy: string;
  enforcementLevel: EnforcementLevel;
  verdict: "pass" | "fail" | "not applicable" | "disabled";
  violations: number;
}

export interface PolicyReport {
  pack: string;
  /** The pack config file used, relative to the repository; absent when none. */
  configFile?: string;
  verdicts: PolicyVerdict[];
  violations: PolicyViolation[];
}

/** A pack config that names an unknown policy or breaks a policy's configSchema. */
export class PolicyConfigError extends Error {}

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** The recorded graph as the engine hands it to policies: outputs as props (none for components), links resolved. */
export function toPolicyResources(recorded: readonly RecordedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const resources = recorded.map((r) => {
    const props = r.custom ? r.state : {};
    const resource: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: { protect: r.protect, ignoreChanges: r.ignoreChanges, deleteBeforeReplace: r.deleteBeforeReplace, aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: r.additionalSecretOutputs, ...(r.parentUrn ? { parent: r.parentUrn } : {}) },
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => (cls as unknown as { __pulumiType?: string }).__pulumiType === r.type,
      asType: (cls) => ((cls as unknown as { __pulumiType?: string }).__pulumiType === r.type ? (props as never) : undefined),
    };
    byUrn.set(r.urn, resource);
    return resource;
  });
  recorded.forEach((r, i) => {
    const linked = (urns: readonly string[]) => urns.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
    const parent = r.parentUrn ? byUrn.get(r.parentUrn) : undefined;
    if (parent) resources[i].parent = parent;
    resources[i].dependencies = linked(r.dependencies);
    resources[i].propertyDependencies = Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, urns]) => [k, linked(urns)]));
  });
  return resources;
}

// One ajv for every policy, and each policy's schema compiled once per process: compiling is most of what a
// config check costs, and a plan checks every policy's config twice (validatePackConfig, then runPolicies).
const ajv = new Ajv({ useDefaults: true, allErrors: true });
const validators = new WeakMap<Policy, ValidateFunction>();

function configValidator(policy: Policy): ValidateFunction {
  let validate = validators.get(policy);
  if (!validate) {
    validate = ajv.compile({ type: "object", additionalProperties: false, properties: {}, ...policy.configSchema });
    validators.set(policy, validate);
  }
  return validate;
}

/** A policy's effective level and config: file entry, else `all`, else the policy's own level, else advisory. */
export function policySettings(policy: Policy, packConfig: PackConfig): { enforcementLevel: EnforcementLevel; config: Record<string, unknown> } {
  const entry = packConfig[policy.name];
  const { enforcementLevel: own, ...settings } = typeof entry === "object" ? entry : { enforcementLevel: entry };
  const all = packConfig.all as EnforcementLevel | undefined;
  const enforcementLevel = own ?? all ?? policy.enforcementLevel ?? "advisory";
  if (!LEVELS.includes(enforcementLevel)) throw new PolicyConfigError(`${policy.name}: enforcementLevel "${enforcementLevel}" is not one of ${LEVELS.join(", ")}`);
  const config = structuredClone(settings);
  const validate = configValidator(policy);
  if (!validate(config)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || "(config)"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`);
    throw new PolicyConfigError(`${policy.name}: invalid config ${JSON.stringify(settings)}: ${problems.join("; ")}`);
  }
  return { enforcementLevel: enforcementLevel === "remediate" ? "mandatory" : enforcementLevel, config };
}

function checkPolicyNames(policies: readonly Policy[], packConfig: PackConfig): void {
  const names = new Set(policies.map((p) => p.name));
  const unknown = Object.keys(packConfig).filter((k) => k !== "all" && !names.has(k));
  if (unknown.length > 0) throw new PolicyConfigError(`the pack config names unknown policies: ${unknown.join(", ")}; policies are ${[...names].join(", ")}`);
  if (packConfig.all !== undefined && !LEVELS.includes(packConfig.all as EnforcementLevel)) {
    throw new PolicyConfigError(`"all" must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(packConfig.all)}`);
  }
}

/** Checks a pack config the way the engine does before any resource is analysed: known policies, valid settings. */
export function validatePackConfig(packConfig: PackConfig, policies: readonly Policy[] = packPolicies): void {
  checkPolicyNames(policies, packConfig);
  for (const policy of policies) policySettings(policy, packConfig);
}

/** Runs every policy over the graph and collects verdicts and violations. */
export async function runPolicies(
  resources: readonly PolicyResource[],
  packConfig: PackConfig = {},
  options: { policies?: readonly Policy[]; stackTags?: ReadonlyMap<string, string>; configFile?: string } = {},
): Promise<PolicyReport> {
  const policies = options.policies ?? packPolicies;
  checkPolicyNames(policies, packConfig);
  const stackTags = options.stackTags ?? new Map<string, string>();
  const stackUrn = resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? "";
  const report: PolicyReport = { pack: PACK_NAME, ...(options.configFile ? { configFile: options.configFile } : {}), verdicts: [], violations: [] };
  for (const policy of policies) {
    const { enforcementLevel, config } = policySettings(policy, packConfig);
    if (enforcementLevel === "disabled") {
      report.verdicts.push({ policy: policy.name, enforcementLevel, verdict: "disabled", violations: 0 });
      continue;
    }
    const before = report.violations.length;
    const violate = (fallbackUrn: string) => (message: string, urn?: string) =>
      report.violations.push({ policy: policy.name, enforcementLevel, resource: urn ?? fallbackUrn, message });
    let applied = false;
    const getConfig = <T extends object>() => structuredClone(config) as T;
    try {
      if ("validateStack" in policy) {
        await policy.validateStack({ resources: [...resources], stackTags, getConfig, notApplicable }, violate(stackUrn));
        applied = true;
      } else {
        const validations = policy.validateResource ? [policy.validateResource].flat() : [];
        for (const r of resources) {
          for (const validate of validations) {
            try {
              await validate({ type: r.type, props: r.props, urn: r.urn, name: r.name, opts: r.opts, stackTags, isType: r.isType, asType: r.asType as unknown as ResourceValidationArgs["asType"], getConfig, notApplicable }, violate(r.urn));
              applied = true;
            } catch (error) {
              if (!(error instanceof NotApplicable)) throw error;
            }
          }
        }
      }
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw new Error(`policy ${policy.name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const count = report.violations.length - before;
    report.verdicts.push({ policy: policy.name, enforcementLevel, verdict: count > 0 ? "fail" : applied ? "pass" : "not applicable", violations: count });
  }
  return report;
}

export function mandatoryViolations(report: PolicyReport): PolicyViolation[] {
  return report.violations.filter((v) => v.enforcementLevel === "mandatory");
}

export function readPackConfig(file: string): PackConfig {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig;
  } catch (error) {
    throw new PolicyConfigError(`cannot read policy config ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The default pack config of a stack: policies/config.<stack>.json, else the environment's policies/config.<env>.json. */
export function defaultPackConfigFile(stack: string, environment: string, root = REPO_ROOT): string {
  const own = path.join(root, "policies", `config.${stack}.json`);
  return fs.existsSync(own) ? own : path.join(root, "policies", `config.${environment}.json`);
}

/** Runs the pack on a recorded graph with a config file (or the stack's default one). */
export async function checkGraph(recorded: readonly RecordedResource[], configFile: string): Promise<PolicyReport> {
  const relative = path.relative(REPO_ROOT, path.resolve(configFile));
  const shown = relative.startsWith("..") ? path.resolve(configFile) : relative;
  return runPolicies(toPolicyResources(recorded), readPackConfig(configFile), { configFile: shown });
}
