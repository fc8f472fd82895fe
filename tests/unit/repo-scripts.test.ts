/**
 * The project's own scripts and YAML pass the linters CI has: shellcheck for the setup and CI scripts, yamllint for
 * the project and stack files.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { availableStacks, REPO_ROOT, stackFilePath } from "../../tools/lib/stackFiles";

const run = promisify(execFile);
const venv = (tool: string) => path.join(REPO_ROOT, ".venv/bin", tool);

describe("repository scripts and YAML", () => {
  it("tools/setup.sh, tools/setup-engine.sh, tools/setup-promtool.sh, tools/engine-ci.sh and .ci/run pass shellcheck", async () => {
    await assert.doesNotReject(run(venv("shellcheck"), ["-x", "tools/setup.sh", "tools/setup-engine.sh", "tools/setup-promtool.sh", "tools/engine-ci.sh", ".ci/run"], { cwd: REPO_ROOT }));
  });

  it("Pulumi.yaml, the failover budget and every stack file pass yamllint", async () => {
    const files = ["Pulumi.yaml", "bench/failover-budget.yaml", ...availableStacks().map((s) => path.relative(REPO_ROOT, stackFilePath(s)))];
    const config = "{extends: relaxed, rules: {line-length: disable}}";
    await assert.doesNotReject(run(venv("yamllint"), ["--strict", "-d", config, ...files], { cwd: REPO_ROOT }));
  });
});
