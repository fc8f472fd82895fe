/**
 * The program itself: loaded the way the Pulumi language host loads it, run under mocks for every stack file, and
 * stopped before registering anything when the config is invalid. Pulumi.yaml documents exactly the schema's keys.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { CONFIG_KEYS, PROJECT } from "../../infra/config";
import { runStack } from "../../tools/lib/plan";
import { renderProjectFile, withConfigReference } from "../../tools/lib/projectFile";
import { availableStacks, readStackConfig, REPO_ROOT } from "../../tools/lib/stackFiles";

const run = promisify(execFile);

async function viaLanguageHost(config: Record<string, string>): Promise<{ code: number; result: { outputs?: Record<string, unknown>; types: string[]; tsNodeLoaded?: boolean; error?: string } }> {
  const child = run(process.execPath, [path.join(REPO_ROOT, "tests/support/languageHost.cjs"), PROJECT, "prod"], {
    cwd: REPO_ROOT,
    env: { ...process.env, SEAWEED_TEST_CONFIG: JSON.stringify(config), NODE_OPTIONS: "" },
    timeout: 180_000,
  });
  try {
    const { stdout } = await child;
    return { code: 0, result: JSON.parse(stdout) };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, result: JSON.parse(failed.stdout) };
  }
}

describe("the Pulumi program", () => {
  it("has the three environments' stack files", () => {
    assert.deepEqual(availableStacks().filter((s) => ["dev", "staging", "prod"].includes(s)), ["dev", "prod", "staging"]);
  });

  for (const stack of ["dev", "staging", "prod"]) {
    it(`runs under mocks for ${stack} and exports the slots, quorum and the -master= list`, async () => {
      const { outputs, config } = await runStack(stack);
      const { topology } = config;
      assert.equal(outputs.quorum, topology.quorum);
      assert.deepEqual(outputs.azLoss, topology.azLoss);
      assert.deepEqual((outputs.slots as { ip: string }[]).map((s) => s.ip), topology.slots.map((s) => s.ip));
      assert.equal(outputs.masterAddresses, topology.slots.map((s) => `${s.ip}:${config.httpPort}`).join(","));
      assert.ok(topology.azLoss.every((row) => row.quorumKept), `${stack} survives the loss of any one zone`);
    });
  }

  it("loads through the language host's own loader (package.json main, tsconfig.json, type-checking ts-node)", async () => {
    const { code, result } = await viaLanguageHost(readStackConfig("prod").config);
    assert.equal(code, 0, result.error);
    assert.equal(result.tsNodeLoaded, true);
    assert.equal(result.outputs?.quorum, 3);
    assert.equal((result.outputs?.slots as unknown[]).length, 5);
  });

  it("registers nothing and names the key when the config is invalid", async () => {
    const config = { ...readStackConfig("prod").config, [`${PROJECT}:masterCount`]: "4" };
    const { code, result } = await viaLanguageHost(config);
    assert.notEqual(code, 0);
    assert.match(result.error ?? "", /seaweed-infra:masterCount = 4/);
    assert.deepEqual(result.types.filter((t) => t !== "pulumi:pulumi:Stack"), []);
  });
});

describe("Pulumi.yaml", () => {
  const file = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
  const project = parse(file) as { name: string; runtime: { name: string; options: { typescript: boolean } }; stackConfigDir: string; config: Record<string, { type: string; description: string; default?: unknown }> };

  it("is generated from the config schema (run `npm run gen:project` after changing a key)", () => {
    assert.equal(file, renderProjectFile());
  });

  it("declares the project, its TypeScript runtime and its stacks folder", () => {
    assert.equal(project.name, PROJECT);
    assert.equal(project.runtime.name, "nodejs");
    assert.equal(project.runtime.options.typescript, true);
    assert.equal(project.stackConfigDir, "stacks");
  });

  it("declares every key the CLI can take from any stack, each with a type and a description", () => {
    // A declared key without a default is one the real CLI requires of every stack (tests/engine runs it).
    for (const [name, declaration] of Object.entries(project.config)) {
      if (!("default" in declaration)) assert.ok(["environment", "availabilityZones"].includes(name), `${name} is declared without a default`);
    }
    assert.deepEqual(
      Object.keys(project.config).sort(),
      Object.keys(CONFIG_KEYS).filter((k) => !["seaweedBinaryUrl", "seaweedBinarySha256", "lbDeletionProtection", "dataProtection", "tlsEnabled", "backupObjectLockMode", "backupObjectLockDays"].includes(k)).sort(),
    );
    for (const [name, declaration] of Object.entries(project.config)) {
      assert.ok(["string", "integer", "boolean", "array"].includes(declaration.type), name);
      assert.ok(declaration.description.length > 20, name);
    }
  });
});

describe("README", () => {
  it("carries the config reference generated from the schema", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    assert.equal(readme, withConfigReference(readme));
    for (const name of Object.keys(CONFIG_KEYS)) assert.ok(readme.includes(`| \`${name}\` |`), name);
  });
});
