/**
 * The policy pack run by the real engine on the AWS stacks, through the STAND-IN aws/random provider plugin
 * (tools/lib/engine/standInAwsProvider.ts: the program's mock cloud served over the provider protocol; it echoes
 * inputs, invents ids and validates nothing, and no AWS API is called). `pulumi preview --policy-pack policies
 * --policy-pack-config policies/config.<stack>.json` runs the real program, engine and policy host for dev, staging
 * and prod, and the engine's verdicts (rule, resource, enforcement level and message) must equal `npm run plan`'s
 * policy.violations for each: as the stack is (no violation), and for the stack's broken variant
 * (tools/lib/engine/brokenAws.ts: internet-facing NLB without cross-zone balancing or deletion protection, backup
 * versioning suspended, a leader alarm whose math lets no leader pass), which must yield exactly the violations
 * written out for it, mandatory on staging and prod (failing the preview), advisory on dev. Broken prod is also
 * previewed under the advisory dev config. Run by `npm run engine:check` (docs/engine.md).
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { breakAwsProps, brokenAwsViolations } from "../../tools/lib/engine/brokenAws";
import { installBrokenVariant } from "../../tools/lib/engine/brokenVariant";
import { packConfig, previewWithPack, runnerVerdicts, runnerVerdictsBroken } from "../../tools/lib/engine/policyPreview";
import type { PulumiWorkspace } from "../../tools/lib/engine/pulumi";
import { standInAwsWorkspace } from "../../tools/lib/engine/standInAwsProvider";
import { buildPlan } from "../../tools/lib/plan";

const workspaces = new Map<string, { workspace: PulumiWorkspace; env: NodeJS.ProcessEnv }>();
after(() => {
  for (const { workspace } of workspaces.values()) workspace.remove();
});

async function workspaceFor(stack: string) {
  const found = workspaces.get(stack) ?? (await standInAwsWorkspace(stack));
  workspaces.set(stack, found);
  return found;
}

/** Each stack's own pack config makes its violations mandatory, except dev's. */
const LEVEL: Record<string, string> = { dev: "advisory", staging: "mandatory", prod: "mandatory" };

describe("the policy pack run by the engine on the AWS stacks, through the stand-in aws provider (no AWS)", () => {
  for (const stack of ["dev", "staging", "prod"]) {
    it(`${stack} as it is: the engine's whole verdicts equal npm run plan's policy.violations (none) (stand-in provider)`, async () => {
      const { workspace, env } = await workspaceFor(stack);
      const preview = await previewWithPack(workspace, stack, packConfig(stack), env);
      const plan = await buildPlan(stack);
      assert.deepEqual(preview.violations, runnerVerdicts(plan.policy.violations));
      assert.equal(preview.code, 0, preview.output.slice(-3000));
    });

    it(`${stack} broken: exactly the written-out violations, ${LEVEL[stack]}, whole verdicts equal to the runner's on the same change (stand-in provider)`, async () => {
      const { workspace, env } = await workspaceFor(stack);
      installBrokenVariant(workspace.projectDir, "brokenAws", "breakAwsProps");
      const preview = await previewWithPack(workspace, stack, packConfig(stack), env);
      assert.equal(preview.code === 0, LEVEL[stack] === "advisory", `exit ${preview.code}\n${preview.output.slice(-3000)}`);
      assert.deepEqual(preview.violations.map((v) => [v.verdict, v.enforcementLevel]), brokenAwsViolations(stack).map((verdict) => [verdict, LEVEL[stack]]));
      // The leader alarm's message names the alarm and what its math gets wrong.
      const leader = preview.violations.find((v) => v.verdict === "seaweedfs-required-alarms @ stack")!;
      assert.match(leader.message, new RegExp(`seaweedfs-${stack}-monitoring-leader-count stays OK for 10 min with no leader`));
      assert.deepEqual(preview.violations, await runnerVerdictsBroken(stack, breakAwsProps, stack), "engine and runner disagree");
    });
  }

  it("broken prod under the advisory dev config: the same violations as warnings, less deletion protection (stand-in provider)", async () => {
    const { workspace, env } = await workspaceFor("prod");
    installBrokenVariant(workspace.projectDir, "brokenAws", "breakAwsProps");
    const advisory = await previewWithPack(workspace, "prod", packConfig("dev"), env);
    assert.equal(advisory.code, 0, advisory.output.slice(-3000));
    assert.deepEqual(
      advisory.violations.map((v) => [v.verdict, v.enforcementLevel]),
      brokenAwsViolations("prod").filter((v) => !v.startsWith("seaweedfs-lb-deletion-protection")).map((verdict) => [verdict, "advisory"]),
    );
    assert.deepEqual(advisory.violations, await runnerVerdictsBroken("prod", breakAwsProps, "dev"), "engine and runner disagree under config.dev.json");
  });
});
