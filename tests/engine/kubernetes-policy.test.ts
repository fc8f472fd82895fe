/**
 * The policy pack run by the real engine: `pulumi preview --policy-pack policies --policy-pack-config
 * policies/config.<stack>.json` of the Kubernetes stacks against the loopback control plane (the engine's policy
 * host starts the pack through the patched language host's RunPlugin). The stacks as they are preview clean; a
 * broken k8s-prod (OrderedReady, soft spread, liveness on /cluster/healthz, a PDB letting 2 go) fails the preview
 * with exactly the four mandatory violations, and only warns under the advisory dev config. Every verdict set must
 * equal what the project's own runner (`npm run plan`'s policy.violations) finds on the same program under mocks.
 * Run by `npm run engine:check` (docs/engine.md).
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { BROKEN_ENTRY, BROKEN_KUBERNETES_VIOLATIONS, breakKubernetesProps } from "../../tools/lib/engine/brokenKubernetes";
import { EngineStack, EngineViolation, engineViolations, startEngineStack, urnName } from "../../tools/lib/engine/kubeStack";
import { buildPlan, runAnyStack } from "../../tools/lib/plan";
import { checkGraph } from "../../tools/lib/policyRun";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const PACK = path.join(REPO_ROOT, "policies");
const packConfig = (name: string) => path.join(PACK, `config.${name}.json`);

const started: EngineStack[] = [];
after(async () => {
  for (const engine of started) await engine.stop();
});

async function engineFor(stack: string): Promise<EngineStack> {
  const engine = await startEngineStack(stack);
  started.push(engine);
  return engine;
}

/** `pulumi preview` with the pack; returns its exit code and the violations from its event stream. */
async function previewWithPack(engine: EngineStack, config: string): Promise<{ code: number; violations: EngineViolation[]; output: string }> {
  const result = await engine.workspace.run(["preview", "--stack", engine.stack, "--json", "--policy-pack", PACK, "--policy-pack-config", config], {
    env: { ...engine.env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  // The pack must have run: a preview that never loaded it would report no violations too.
  assert.match(result.stdout, /"policyLoadEvent"/, `the engine did not load the pack:\n${output.slice(-3000)}`);
  return { code: result.code, violations: engineViolations(result.stdout), output };
}

/** The project runner's verdicts in the same form. */
function runnerVerdicts(violations: { policy: string; resource: string; enforcementLevel: string }[]): EngineViolation[] {
  return violations.map((v) => ({ verdict: `${v.policy} @ ${urnName(v.resource)}`, enforcementLevel: v.enforcementLevel })).sort((a, b) => a.verdict.localeCompare(b.verdict));
}

describe("the policy pack run by the engine on the Kubernetes stacks", () => {
  for (const stack of ["k8s-dev", "k8s-prod"]) {
    it(`${stack} as it is previews clean, as npm run plan's policy.violations says`, async () => {
      const engine = await engineFor(stack);
      const preview = await previewWithPack(engine, packConfig(stack));
      assert.equal(preview.code, 0, preview.output.slice(-3000));
      assert.deepEqual(preview.violations, []);
      const plan = await buildPlan(stack);
      assert.deepEqual(preview.violations, runnerVerdicts(plan.policy.violations));
    });
  }

  it("a broken k8s-prod fails with the mandatory violations, and only warns under the advisory dev config", async () => {
    const engine = started.find((e) => e.stack === "k8s-prod") ?? (await engineFor("k8s-prod"));
    const infra = path.join(engine.workspace.projectDir, "infra");
    fs.copyFileSync(path.join(REPO_ROOT, "tools", "lib", "engine", "brokenKubernetes.ts"), path.join(infra, "brokenKubernetes.ts"));
    fs.writeFileSync(path.join(infra, "broken.ts"), BROKEN_ENTRY);
    const manifest = path.join(engine.workspace.projectDir, "package.json");
    fs.writeFileSync(manifest, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifest, "utf8")), main: "infra/broken.ts" }));

    const mandatory = await previewWithPack(engine, packConfig("k8s-prod"));
    assert.notEqual(mandatory.code, 0, "the engine let the broken k8s-prod through");
    assert.deepEqual(mandatory.violations, BROKEN_KUBERNETES_VIOLATIONS.map((verdict) => ({ verdict, enforcementLevel: "mandatory" })));

    const advisory = await previewWithPack(engine, packConfig("k8s-dev"));
    assert.equal(advisory.code, 0, advisory.output.slice(-3000));
    assert.deepEqual(advisory.violations, BROKEN_KUBERNETES_VIOLATIONS.map((verdict) => ({ verdict, enforcementLevel: "advisory" })));

    // The same breakage on the mock graph, judged by the project's runner: the same verdicts.
    const graph = structuredClone((await runAnyStack("k8s-prod")).resources);
    for (const r of graph) {
      breakKubernetesProps(r.type, r.state);
      breakKubernetesProps(r.type, r.inputs);
    }
    for (const [config, preview] of [["k8s-prod", mandatory], ["k8s-dev", advisory]] as const) {
      const report = await checkGraph(graph, packConfig(config));
      assert.deepEqual(preview.violations, runnerVerdicts(report.violations), `engine and runner disagree under config.${config}.json`);
    }
  });
});
