/**
 * ManagedProcess (tools/lib/cluster/processes.ts) when its binary cannot be spawned: start() throws an error naming
 * the process, the binary and why, and the 'error' event Node emits a tick later does not end the test process.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ManagedProcess } from "../../tools/lib/cluster/processes";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "managed-process-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function managed(binary: string): ManagedProcess {
  return new ManagedProcess({ name: "master-0", binary, args: ["version"], cwd: scratch, logFile: path.join(scratch, "master-0.log") });
}

describe("ManagedProcess whose binary cannot be spawned", () => {
  it("throws naming the process, the binary and 'no such file' for a missing binary, and the process lives on", async () => {
    const missing = path.join(scratch, "no-weed-here");
    assert.throws(() => managed(missing).start(), new RegExp(`^Error: master-0: could not start ${missing}: no such file$`));
    await sleep(200); // the 'error' event arrives after start() returned
  });

  it("says 'not executable' for a file without the execute bit", async () => {
    const notExecutable = path.join(scratch, "weed");
    fs.writeFileSync(notExecutable, "#!/bin/sh\n", { mode: 0o644 });
    assert.throws(() => managed(notExecutable).start(), /master-0: could not start .*\/weed: not executable \(EACCES/);
    await sleep(200);
  });
});
