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
  const engine = await startEngineStack(stack);
  started.push(engine);
  return engine;
}

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
  }

  it("a broken k8s-prod fails with the mandatory violations, and only warns under the advisory dev config", async () => {
    const engine = started.find((e) => e.stack === "k8s-prod") ?? (await engineFor("k8s-prod"));
    installBrokenVariant(engine.workspace.projectDir, "brokenKubernetes", "breakKubernetesProps");

    const mandatory = await previewWithPack(engine.workspace, engine.stack, packConfig("k8s-prod"), engine.env);
    assert.notEqual(mandatory.code, 0, "the engine let the broken k8s-prod through");
    assert.deepEqual(mandatory.violations, BROKEN_KUBERNETES_VIOLATIONS.map((verdict) => ({ verdict, enforcementLevel: "mandatory" })));

    const advisory = await previewWithPack(engine.workspace, engine.stack, packConfig("k8s-dev"), engine.env);
    assert.equal(advisory.code, 0, advisory.output.slice(-3000));
    assert.deepEqual(advisory.violations, BROKEN_KUBERNETES_VIOLATIONS.map((verdict) => ({ verdict, enforcementLevel: "advisory" })));

    // The same breakage on the mock graph, judged by the project's runner: the same verdicts.
    for (const [config, preview] of [["k8s-prod", mandatory], ["k8s-dev", advisory]] as const) {
      assert.deepEqual(preview.violations, await runnerVerdictsBroken("k8s-prod", breakKubernetesProps, config), `engine and runner disagree under config.${config}.json`);
    }
  });
});
