/**
 * The platform seam as a lint rule (eslint.config.mjs, no-restricted-imports): the neutral config layer
 * (infra/config.ts, infra/config/) imports no platform folder, no Pulumi and not the platform registry that imports
 * it (issue #25: infra/config.ts imported infra/aws/placement and infra/kubernetes/identity). Each case lints the
 * real file with one import planted, through ESLint's own API and the repository's config; the unchanged files and
 * a neutral import are the negative controls.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ESLint } from "eslint";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const eslint = new ESLint({ cwd: REPO_ROOT });

/** The no-restricted-imports messages for `file` (repository-relative) with `planted` appended to its real text. */
async function restricted(file: string, planted = ""): Promise<string[]> {
  const text = `${fs.readFileSync(path.join(REPO_ROOT, file), "utf8")}${planted ? `${planted}\n` : ""}`;
  const [result] = await eslint.lintText(text, { filePath: path.join(REPO_ROOT, file) });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("the neutral config layer imports no platform", () => {
  it("holds today: infra/config.ts and every file of infra/config/ pass the rule", async () => {
    const files = ["infra/config.ts", ...fs.readdirSync(path.join(REPO_ROOT, "infra/config")).map((f) => `infra/config/${f}`)];
    for (const file of files) assert.deepEqual(await restricted(file), [], file);
  });

  const plants: [string, string][] = [
    ["infra/config.ts", 'import { planTopology } from "./aws/placement";'],
    ["infra/config.ts", 'import type { DeployedPodSlot } from "./kubernetes/identity";'],
    ["infra/config.ts", 'import { parseStackConfig } from "./platforms";'],
    ["infra/config.ts", 'import * as pulumi from "@pulumi/pulumi";'],
    ["infra/config/keys-aws.ts", 'import { slotAddresses } from "../aws/placement";'],
    ["infra/config/platforms.ts", 'import { kubernetesConfig } from "../kubernetes/config";'],
    ["infra/config/spec.ts", 'import { awsPlatform } from "../aws";'],
  ];
  for (const [file, plant] of plants) {
    it(`fires on ${file} + ${plant}`, async () => {
      const messages = await restricted(file, plant);
      assert.equal(messages.length, 1, messages.join("\n"));
      assert.match(messages[0], /neutral config layer/);
    });
  }

  it("lets a neutral import through (negative control)", async () => {
    assert.deepEqual(await restricted("infra/config.ts", 'import { planZones } from "./topology";'), []);
  });
});
