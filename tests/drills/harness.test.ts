/**
 * The harness never leaves processes behind: when the Node process that started them exits, crashes or is
 * terminated, every process group it started is killed.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { groupAlive } from "../../tools/lib/cluster/processes";
import { poll } from "../../tools/lib/cluster/http";

const FIXTURE = path.join(__dirname, "fixtures", "orphanParent.ts");

/** Runs the fixture in `mode`; returns the process group it started and how the fixture ended. */
async function runParent(mode: string): Promise<{ pgid: number; code: number | null }> {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, mode], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (mode === "sigterm" && /pgid=\d+/.test(output)) child.kill("SIGTERM");
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  const pgid = Number(/pgid=(\d+)/.exec(output)?.[1]);
  assert.ok(pgid > 0, `fixture printed no pgid: ${output}\n${errors}`);
  return { pgid, code };
}

describe("process cleanup", { timeout: 60_000 }, () => {
  for (const mode of ["exit", "throw", "sigterm"]) {
    it(`kills the started process group when the parent ${mode === "throw" ? "crashes" : mode === "exit" ? "exits" : "gets SIGTERM"}`, async () => {
      const { pgid, code } = await runParent(mode);
      assert.notEqual(code, 0);
      const gone = await poll(async () => (groupAlive(pgid) ? undefined : true), 5000);
      assert.ok(gone, `process group ${pgid} outlived its parent`);
    });
  }
});
