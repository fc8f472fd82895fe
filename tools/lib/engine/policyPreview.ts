/**
 * `pulumi preview --policy-pack policies` with the engine's policy events streamed as JSON, and the project
 * runner's verdicts in the same form, for the engine policy tests (tests/engine/*-policy.test.ts).
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { runAnyStack } from "../plan";
import { checkGraph } from "../policyRun";
import { REPO_ROOT } from "../stackFiles";
import { EngineViolation, engineViolations, urnName } from "./kubeStack";
import type { PulumiWorkspace } from "./pulumi";

export const PACK = path.join(REPO_ROOT, "policies");
export const packConfig = (name: string) => path.join(PACK, `config.${name}.json`);

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
 * The project runner's violations keyed like the engine's: `policy @ resource name` plus the enforcement level.
 * The name, not the whole URN, because a stack policy's violation names the stack in the runner and the stack or
 * nothing in the engine; both read as "stack".
 */
export function runnerVerdicts(violations: { policy: string; resource: string; enforcementLevel: string }[]): EngineViolation[] {
  return violations.map((v) => ({ verdict: `${v.policy} @ ${urnName(v.resource)}`, enforcementLevel: v.enforcementLevel })).sort((a, b) => a.verdict.localeCompare(b.verdict));
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
