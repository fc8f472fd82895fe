/**
 * The partition scenarios work from any checkout, as a new user's would be: each master runs under a uid of its own
 * (61000 and up), which cannot enter a folder such as a `mktemp -d` one or root's home, so `weed` used to fail there
 * with `spawn …/.venv/bin/weed EACCES`. The drill is run from this worktree seen under such a folder (a bind mount in
 * a mount namespace of the command's own, gone with it), and a run directory those uids cannot reach is refused up
 * front with the reason and the fix.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { LocalCluster } from "../../tools/lib/localCluster";
import { stopChildrenAtExit } from "../../tools/lib/cluster/processes";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const run = promisify(execFile);
// The drill runs as a child process: if this test is interrupted, it and its cluster stop with it.
stopChildrenAtExit();

/** A folder only its owner can enter, as `mktemp -d` makes. */
function closedFolder(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  return dir;
}

describe("partition scenarios from any checkout", { timeout: 180_000 }, () => {
  it("run from a checkout in a folder only its owner can enter", async () => {
    const home = closedFolder("closed-home-");
    const checkout = path.join(home, "seaweed-infra");
    fs.mkdirSync(checkout);
    try {
      const script = 'mount --bind "$1" "$2" && cd "$2" && shift 2 && exec node_modules/.bin/tsx tools/drill.ts "$@"';
      const drill = await run("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", REPO_ROOT, checkout, "--stack", "dev", "--scenario", "follower-partitioned", "--no-baseline", "--json"], {
        timeout: 150_000,
        maxBuffer: 16 << 20,
      }).catch((error: { stdout?: string; stderr?: string; message: string }) => assert.fail(`drill failed: ${error.message}\n${error.stdout?.slice(-2000)}\n${error.stderr?.slice(-3000)}`));
      const report = JSON.parse(drill.stdout) as { weedBinary: string; scenarios: { id: string; passed: boolean; failures: string[] }[] };
      // Not vacuous: the drill took its weed from the closed folder, which the masters' uids cannot enter.
      assert.equal(report.weedBinary, path.join(checkout, ".venv", "bin", "weed"));
      assert.deepEqual(report.scenarios.map((s) => [s.id, s.passed, s.failures]), [["follower-partitioned", true, []]]);
    } finally {
      // Never recursive: this path showed the worktree inside the drill's mount namespace.
      fs.rmdirSync(checkout);
      fs.rmdirSync(home);
    }
  });

  it("refuses a run directory those uids cannot reach, naming the folder and the fix, before starting anything", async () => {
    const temp = closedFolder("closed-tmp-");
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = temp;
    try {
      await assert.rejects(
        LocalCluster.start({ stack: "dev", separateUids: true }),
        (error: Error) => error.message.includes(`cannot enter ${temp} (mode 700)`) && /set TMPDIR to a directory every user can enter/.test(error.message),
      );
      assert.deepEqual(fs.readdirSync(temp), [], "the refused cluster's run directory is removed");
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      fs.rmSync(temp, { recursive: true, force: true });
    }
  });
});
