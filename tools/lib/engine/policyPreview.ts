/**
 * `pulumi preview --policy-pack policies` with the engine's policy events streamed as JSON, and the project
 * runner's verdicts in the same form, for the engine policy tests (tests/engine/*-policy.test.ts). A verdict is
 * whole: policy, resource, enforcement level and message.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { policies } from "../../../policies/rules/all";
import { runAnyStack } from "../plan";
import { checkGraph } from "../policyRun";
import { REPO_ROOT } from "../stackFiles";
import { urnName } from "./kubeStack";
import type { PulumiWorkspace } from "./pulumi";

export const PACK = path.join(REPO_ROOT, "policies");
export const packConfig = (name: string) => path.join(PACK, `config.${name}.json`);

/** One policy violation: `policy @ resource name`, its enforcement level and the policy's message. */
export interface EngineViolation {
  verdict: string;
  enforcementLevel: string;
  message: string;
}

const byVerdictThenMessage = (a: EngineViolation, b: EngineViolation) => a.verdict.localeCompare(b.verdict) || a.message.localeCompare(b.message);

const DESCRIPTIONS = new Map(policies.map((p) => [p.name, p.description]));

/**
 * The policy's own message in an engine policy event: the engine writes the policy's description, a newline and the
 * message, with its colour markup (`<{%reset%}>`); both are taken off. Throws when the event does not have that form,
 * so that a changed format cannot make every message compare equal.
 */
export function policyMessage(policyName: string, raw: string): string {
  const plain = raw.replace(/<\{%[^%]*%\}>/g, "");
  const description = DESCRIPTIONS.get(policyName);
  assert.ok(description !== undefined, `the engine reported ${policyName}, which is no policy of the pack`);
  assert.ok(plain.startsWith(`${description}\n`), `the engine's message for ${policyName} does not start with its description:\n${raw}`);
  return plain.slice(description.length + 1).trimEnd();
}

/**
 * The policy violations in the event stream of `pulumi preview --json` run with
 * PULUMI_ENABLE_STREAMING_JSON_PREVIEW (one JSON event per line; `policyEvent`s carry the violations), sorted.
 */
export function engineViolations(stdout: string): EngineViolation[] {
  const found: EngineViolation[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.includes('"policyEvent"')) continue;
    const event = (JSON.parse(line) as { policyEvent: { policyName: string; resourceUrn?: string; enforcementLevel: string; message: string } }).policyEvent;
    found.push({ verdict: `${event.policyName} @ ${urnName(event.resourceUrn ?? "")}`, enforcementLevel: event.enforcementLevel, message: policyMessage(event.policyName, event.message) });
  }
  return found.sort(byVerdictThenMessage);
}

/** `pulumi preview` of `stack` with the pack and `config`; its exit code and the violations from its event stream. */
export async function previewWithPack(workspace: PulumiWorkspace, stack: string, config: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; violations: EngineViolation[]; output: string }> {
  const result = await workspace.run(["preview", "--stack", stack, "--json", "--policy-pack", PACK, "--policy-pack-config", config], {
    env: { ...env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  // The pack must have run: a preview that never loaded it would report no violations too.
  assert.match(result.stdout, /"policyLoadEvent"/, `the engine did not load the pack:\n${output.slice(-3000)}`);
  return { code: result.code, violations: engineViolations(result.stdout), output };
}

/**
 * The project runner's violations keyed like the engine's: `policy @ resource name`, the enforcement level and the
 * message. The name, not the whole URN, because a stack policy's violation names the stack in the runner and the
 * stack or nothing in the engine; both read as "stack".
 */
export function runnerVerdicts(violations: { policy: string; resource: string; enforcementLevel: string; message: string }[]): EngineViolation[] {
  return violations.map((v) => ({ verdict: `${v.policy} @ ${urnName(v.resource)}`, enforcementLevel: v.enforcementLevel, message: v.message })).sort(byVerdictThenMessage);
}

/**
 * The project runner's verdicts on `stack`'s mock graph with `breaker` applied to every resource's inputs and
 * outputs (the same change a broken variant's stack transformation makes in the engine), under pack config `config`.
 */
export async function runnerVerdictsBroken(stack: string, breaker: (type: string, props: Record<string, unknown>) => void, config: string): Promise<EngineViolation[]> {
  // A fresh run of the program each time, so no other check sees the change.
  const graph = (await runAnyStack(stack)).resources;
  for (const r of graph) {
    breaker(r.type, r.state);
    breaker(r.type, r.inputs);
  }
  return runnerVerdicts((await checkGraph(graph, packConfig(config))).violations);
}
