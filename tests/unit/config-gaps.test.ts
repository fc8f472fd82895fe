/**
 * Config mistakes a new user makes with the CLI (issue #10, item 8): each is refused by `npm run plan` with exit 2,
 * naming the key (or the file and line) and the fix, instead of planning cleanly or ending in a stack trace.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, stackFilePath } from "../../tools/lib/stackFiles";
import { TSX } from "../support/runTool";

const run = promisify(execFile);

describe("npm run plan refuses config a new user gets wrong", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-gaps-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dev = fs.readFileSync(stackFilePath("dev"), "utf8");

  async function plan(yaml: string): Promise<{ code: number; stdout: string; stderr: string }> {
    fs.writeFileSync(path.join(dir, "Pulumi.gap.yaml"), yaml);
    try {
      const { stdout, stderr } = await run(TSX, ["tools/plan.ts", "--stack", "gap", "--stacks-dir", dir, "--json"], { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 64 << 20 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it("plans the unchanged dev stack file (negative control)", async () => {
    assert.match(dev, /us-east-1c\n/);
    const { code, stderr } = await plan(dev);
    assert.equal(code, 0, stderr);
  });

  it("refuses an availability zone of another region than aws:region", async () => {
    const { code, stderr } = await plan(dev.replace("us-east-1c\n", "us-west-2c\n"));
    assert.equal(code, 2, stderr);
    assert.match(stderr, /seaweed-infra:availabilityZones\[2\] = "us-west-2c": is not a zone of the stack's region aws:region = us-east-1/);
    assert.match(stderr, /fix: list zones of us-east-1 only/);
  });

  it("names the file and line of a YAML syntax error, without a stack trace", async () => {
    const broken = dev.replace("seaweed-infra:masterCount: 3", "seaweed-infra:masterCount: [3");
    const line = broken.split("\n").findIndex((l) => l.includes("masterCount: [3")) + 1;
    const { code, stderr } = await plan(broken);
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`Pulumi\\.gap\\.yaml:(${line}|${line + 1}): not valid YAML`));
    assert.match(stderr, /fix: /);
    assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
  });

  it("refuses seaweedVersion written as a YAML number, quoting its source text", async () => {
    const yaml = `${dev}  seaweed-infra:seaweedVersion: 4.50\n`;
    const line = yaml.split("\n").findIndex((l) => l.includes("seaweedVersion: 4.50")) + 1;
    const { code, stderr } = await plan(yaml);
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`Pulumi\\.gap\\.yaml:${line}: seaweed-infra:seaweedVersion = 4\\.50 is read by YAML as the number 4\\.5`));
    assert.match(stderr, /fix: quote it: seaweed-infra:seaweedVersion: "4\.50"/);
  });
});
