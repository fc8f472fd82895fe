/**
 * The GitHub workflows users get: every file passes actionlint (which knows the workflow schema, expressions and
 * shellchecks `run:` scripts), tests run on every push, pull requests preview every stack with the policy pack and
 * its per-stack config plus an offline plan that needs no credentials, and main deploys dev -> staging -> prod behind
 * environment approvals.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { availableStacks, REPO_ROOT } from "../../tools/lib/stackFiles";

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "working-directory"?: string;
}
interface Job {
  needs?: string | string[];
  environment?: string | { name: string };
  strategy?: { matrix?: { stack?: string[] } };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

function workflow(name: string): Workflow {
  return parse(fs.readFileSync(path.join(WORKFLOWS, name), "utf8")) as Workflow;
}

const pulumiSteps = (job: Job) => job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));

describe("GitHub workflows", () => {
  it("exist as test, preview and deploy, and every one parses as YAML", () => {
    for (const name of ["test.yml", "preview.yml", "deploy.yml"]) assert.ok(files.includes(name), `${name} missing`);
    for (const name of files) assert.ok(Object.keys(workflow(name).jobs).length > 0, `${name} has no jobs`);
  });

  it("pass actionlint (schema, expressions, shellcheck of run scripts)", async () => {
    const bin = path.join(REPO_ROOT, ".venv", "bin");
    const { stdout } = await promisify(execFile)(path.join(bin, "actionlint"), ["-shellcheck", path.join(bin, "shellcheck"), ...files.map((f) => path.join(WORKFLOWS, f))], { cwd: REPO_ROOT });
    assert.equal(stdout, "");
  });

  it("run the CI entry point on every push", () => {
    const test = workflow("test.yml");
    assert.ok("push" in test.on);
    assert.equal((test.on.push as { branches?: unknown } | null)?.branches, undefined, "tests must run on every branch");
    assert.ok(Object.values(test.jobs).some((j) => j.steps.some((s) => s.run === "bash .ci/run")));
  });

  it("preview every stack on pull requests with the policy pack, its per-stack config and a PR comment", () => {
    const preview = workflow("preview.yml");
    assert.ok("pull_request" in preview.on);
    assert.equal(preview.permissions?.["pull-requests"], "write");
    const job = Object.values(preview.jobs).find((j) => pulumiSteps(j).length > 0)!;
    assert.deepEqual([...(job.strategy?.matrix?.stack ?? [])].sort(), availableStacks());
    const [step] = pulumiSteps(job);
    assert.match(step.uses!, /^pulumi\/actions@v7$/);
    assert.equal(step.with?.command, "preview");
    assert.equal(step.with?.["stack-name"], "${{ matrix.stack }}");
    assert.equal(step.with?.["comment-on-pr"], true);
    assert.equal(step.with?.policyPacks, "policies");
    assert.equal(step.with?.policyPackConfigs, "policies/config.${{ matrix.stack }}.json");
    for (const stack of availableStacks()) assert.ok(fs.existsSync(path.join(REPO_ROOT, "policies", `config.${stack}.json`)), `no policy config for ${stack}`);
    const packBuild = job.steps.find((s) => s["working-directory"] === "policies");
    assert.match(packBuild?.run ?? "", /npm ci .*&& npm run build/);
  });

  it("plan every stack offline on pull requests, with no secret or cloud credential", () => {
    const preview = workflow("preview.yml");
    const offline = Object.values(preview.jobs).find((j) => j.steps.some((s) => s.run?.startsWith("npm run plan")))!;
    assert.deepEqual([...(offline.strategy?.matrix?.stack ?? [])].sort(), availableStacks());
    assert.ok(offline.steps.some((s) => s.run === 'npm run plan -- --stack "${{ matrix.stack }}"'));
    assert.doesNotMatch(JSON.stringify(offline), /secrets\.|configure-aws-credentials|pulumi\/actions/);
  });

  it("deploy main with pulumi up in order dev -> staging -> prod, each behind its GitHub environment", () => {
    const deploy = workflow("deploy.yml");
    assert.deepEqual((deploy.on.push as { branches: string[] }).branches, ["main"]);
    const order: string[] = [];
    const byEnvironment = new Map(Object.entries(deploy.jobs).map(([id, j]) => [typeof j.environment === "object" ? j.environment.name : j.environment, { id, job: j }]));
    for (const stack of ["dev", "staging", "prod"]) {
      const entry = byEnvironment.get(stack);
      assert.ok(entry, `no deploy job for environment ${stack}`);
      const [step] = pulumiSteps(entry.job);
      assert.equal(step.with?.command, "up");
      assert.equal(step.with?.["stack-name"], stack);
      assert.equal(step.with?.policyPackConfigs, `policies/config.${stack}.json`);
      // The masters are rolled onto the new templates after `pulumi up`, in the same job (so a stopped rollout halts the chain).
      const steps = entry.job.steps ?? [];
      const up = steps.findIndex((s) => s === step);
      const rollout = steps.findIndex((s) => typeof s.run === "string" && s.run.includes(`npm run rollout -- --stack ${stack}`));
      assert.ok(rollout > up, `the ${stack} job must run npm run rollout -- --stack ${stack} after pulumi up`);
      const needs = [entry.job.needs ?? []].flat();
      assert.deepEqual(needs, order.length ? [order[order.length - 1]] : [], `${stack} must wait for ${order.at(-1) ?? "nothing"}`);
      order.push(entry.id);
    }
  });
});
