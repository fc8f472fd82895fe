/**
 * The policy pack run by the real engine: `pulumi preview --policy-pack policies --policy-pack-config
 * policies/config.<stack>.json` of the Kubernetes stacks against the loopback control plane (the engine's policy
 * host starts the pack through the patched language host's RunPlugin). The stacks as they are preview clean; each
 * stack's broken variant (OrderedReady, soft spread, liveness on /cluster/healthz, a PDB letting 2 go) yields
 * exactly the four written-out violations: mandatory on k8s-prod (the preview fails), advisory on k8s-dev; broken
 * k8s-prod is also previewed under the advisory dev config. Every verdict set (rule, resource, enforcement level and
 * message) must equal what the project's own runner (`npm run plan`'s policy.violations) finds on the same program
 * under mocks. Run by `npm run engine:check` (docs/engine.md).
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { BROKEN_KUBERNETES_VIOLATIONS, breakKubernetesProps } from "../../tools/lib/engine/brokenKubernetes";
import { installBrokenVariant } from "../../tools/lib/engine/brokenVariant";
import { EngineStack, startEngineStack } from "../../tools/lib/engine/kubeStack";
import { packConfig, previewWithPack, runnerVerdicts, runnerVerdictsBroken } from "../../tools/lib/engine/policyPreview";
import { buildPlan } from "../../tools/lib/plan";

const started: EngineStack[] = [];
after(async () => {
  for (const engine of started) await engine.stop();
});

async function engineFor(stack: string): Promise<EngineStack> {
  const running = started.find((e) => e.stack === stack);
  if (running) return running;
  const engine = await startEngineStack(stack);
  started.push(engine);
  return engine;
}

/** Each stack's own pack config: k8s-dev advisory, k8s-prod mandatory. */
const LEVEL: Record<string, string> = { "k8s-dev": "advisory", "k8s-prod": "mandatory" };

describe("the policy pack run by the engine on the Kubernetes stacks", () => {
  for (const stack of ["k8s-dev", "k8s-prod"]) {
    it(`${stack} as it is previews clean, as npm run plan's policy.violations says`, async () => {
      const engine = await engineFor(stack);
      const preview = await previewWithPack(engine.workspace, engine.stack, packConfig(stack), engine.env);
      assert.equal(preview.code, 0, preview.output.slice(-3000));
      assert.deepEqual(preview.violations, []);
      const plan = await buildPlan(stack);
      assert.deepEqual(preview.violations, runnerVerdicts(plan.policy.violations));
    });

    it(`${stack} broken: the four written-out violations, ${LEVEL[stack]}, whole verdicts equal to the runner's on the same change`, async () => {
      const engine = await engineFor(stack);
      installBrokenVariant(engine.workspace.projectDir, "brokenKubernetes", "breakKubernetesProps");
      const preview = await previewWithPack(engine.workspace, engine.stack, packConfig(stack), engine.env);
      assert.equal(preview.code === 0, LEVEL[stack] === "advisory", `exit ${preview.code}\n${preview.output.slice(-3000)}`);
      assert.deepEqual(preview.violations.map((v) => [v.verdict, v.enforcementLevel]), BROKEN_KUBERNETES_VIOLATIONS.map((verdict) => [verdict, LEVEL[stack]]));
      assert.deepEqual(preview.violations, await runnerVerdictsBroken(stack, breakKubernetesProps, stack), "engine and runner disagree");
    });
  }

  it("broken k8s-prod under the advisory k8s-dev config only warns, with the runner's verdicts", async () => {
    const engine = await engineFor("k8s-prod");
    installBrokenVariant(engine.workspace.projectDir, "brokenKubernetes", "breakKubernetesProps");
    const advisory = await previewWithPack(engine.workspace, engine.stack, packConfig("k8s-dev"), engine.env);
    assert.equal(advisory.code, 0, advisory.output.slice(-3000));
    assert.deepEqual(advisory.violations.map((v) => [v.verdict, v.enforcementLevel]), BROKEN_KUBERNETES_VIOLATIONS.map((verdict) => [verdict, "advisory"]));
    assert.deepEqual(advisory.violations, await runnerVerdictsBroken("k8s-prod", breakKubernetesProps, "k8s-dev"), "engine and runner disagree under config.k8s-dev.json");
  });
});
