/**
 * The policy pack run by the real engine on the AWS stacks, through the STAND-IN aws/random provider plugin
 * (tools/lib/engine/standInAwsProvider.ts: the program's mock cloud served over the provider protocol; it echoes
 * inputs, invents ids and validates nothing, and no AWS API is called). `pulumi preview --policy-pack policies
 * --policy-pack-config policies/config.<stack>.json` runs the real program, engine and policy host for dev, staging
 * and prod, and the engine's verdicts must equal `npm run plan`'s policy.violations for each. A broken prod
 * (internet-facing NLB without cross-zone balancing or deletion protection, backup versioning suspended) must fail
 * the preview with exactly those four mandatory violations, and only warn (three: deletion protection is judged for
 * prod only) under the advisory dev config, each time as the project's runner finds on the same change applied to
 * the mock graph. Run by `npm run engine:check` (docs/engine.md).
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { breakAwsProps } from "../../tools/lib/engine/brokenAws";
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

/** The broken prod's violations, written out by hand: one per broken property. */
const BROKEN_PROD = [
  "seaweedfs-backup-bucket-versioning @ seaweedfs-prod-backups-bucket",
  "seaweedfs-lb-cross-zone @ seaweedfs-prod-lb-nlb",
  "seaweedfs-lb-deletion-protection @ seaweedfs-prod-lb-nlb",
  "seaweedfs-lb-internal @ seaweedfs-prod-lb-nlb",
];

describe("the policy pack run by the engine on the AWS stacks, through the stand-in aws provider (no AWS)", () => {
  for (const stack of ["dev", "staging", "prod"]) {
    it(`${stack}: the engine's verdicts equal npm run plan's policy.violations (stand-in provider)`, async () => {
      const { workspace, env } = await workspaceFor(stack);
      const preview = await previewWithPack(workspace, stack, packConfig(stack), env);
      const plan = await buildPlan(stack);
      assert.deepEqual(preview.violations, runnerVerdicts(plan.policy.violations));
      const mandatory = preview.violations.some((v) => v.enforcementLevel === "mandatory");
      assert.equal(preview.code === 0, !mandatory, `exit ${preview.code} with ${JSON.stringify(preview.violations)}\n${preview.output.slice(-3000)}`);
    });
  }

  it("a broken prod fails with the runner's mandatory violations, and only warns under the advisory dev config (stand-in provider)", async () => {
    const { workspace, env } = await workspaceFor("prod");
    installBrokenVariant(workspace.projectDir, "brokenAws", "breakAwsProps");

    const mandatory = await previewWithPack(workspace, "prod", packConfig("prod"), env);
    assert.notEqual(mandatory.code, 0, "the engine let the broken prod through");
    assert.deepEqual(mandatory.violations, BROKEN_PROD.map((verdict) => ({ verdict, enforcementLevel: "mandatory" })));

    const advisory = await previewWithPack(workspace, "prod", packConfig("dev"), env);
    assert.equal(advisory.code, 0, advisory.output.slice(-3000));
    assert.deepEqual(
      advisory.violations,
      BROKEN_PROD.filter((v) => !v.startsWith("seaweedfs-lb-deletion-protection")).map((verdict) => ({ verdict, enforcementLevel: "advisory" })),
    );

    // The same breakage on the mock graph, judged by the project's runner: the same verdicts.
    for (const [config, preview] of [["prod", mandatory], ["dev", advisory]] as const) {
      assert.deepEqual(preview.violations, await runnerVerdictsBroken("prod", breakAwsProps, config), `engine and runner disagree under config.${config}.json`);
    }
  });
});
