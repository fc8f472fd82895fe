/**
 * `npm run drill -- --json` is a contract: one JSON object on stdout (progress on stderr) with the stack, every
 * scenario's verdict and timings, the duplicate-file-id count and the baseline; bad usage exits 2.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { runTool } from "../support/runTool";

const drill = (args: string[]) => runTool("drill.ts", args);

describe("npm run drill", { timeout: 150_000 }, () => {
  it("prints one JSON object with the contract fields", async () => {
    const { code, stdout, stderr } = await drill(["--stack", "dev", "--scenario", "h", "--no-baseline", "--json"]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as Record<string, unknown> & { scenarios: Record<string, unknown>[] };
    assert.equal(report.stack, "dev");
    assert.equal(report.duplicateFileIds, 0);
    assert.equal(report.baseline, null);
    // The pinned release, and the binary that ran (tests/unit/drill-weed-version.test.ts: another one via WEED_BINARY).
    assert.equal(report.seaweedfsVersion, "4.44");
    assert.match(String(report.weedVersion), /^\d+\.\d+/);
    assert.ok(fs.existsSync(String(report.weedBinary)), `weedBinary ${String(report.weedBinary)} is no file`);
    assert.deepEqual(report.scenarios.map((s) => [s.id, s.passed]), [["misconfiguration", true]]);
    assert.ok("newLeaderMs" in report.scenarios[0] && "writesBackMs" in report.scenarios[0]);
    assert.match(stderr, /h\. misconfiguration: passed/);
  });

  it("refuses an unknown scenario with exit code 2 and the list of scenarios", async () => {
    const { code, stderr } = await drill(["--stack", "dev", "--scenario", "nope"]);
    assert.equal(code, 2);
    assert.match(stderr, /unknown scenario: nope/);
    assert.match(stderr, /b leader-kill/);
  });

  it("keeps the day-2 suite out of the default set and refuses an unknown suite with exit code 2", async () => {
    const { code, stderr } = await drill(["--stack", "dev", "--suite", "nope"]);
    assert.equal(code, 2);
    assert.match(stderr, /unknown suite: nope \(known: day2\)/);
    for (const id of ["rolling-upgrade", "rolling-upgrade-no-transfer", "slot-rebuild", "slot-rebuild-blank-first-peer", "scale-out", "scale-in"]) assert.match(stderr, new RegExp(`- ${id} \\(suite day2, opt-in\\)`));
  });

  it("refuses an unknown stack with exit code 2", async () => {
    const { code, stderr } = await drill(["--stack", "nope", "--scenario", "a"]);
    assert.equal(code, 2);
    assert.match(stderr, /no stack file/);
  });
});
