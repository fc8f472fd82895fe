/**
 * The harness never leaves processes behind: when the Node process that started them exits, crashes or is
 * terminated, every process group it started is killed. Nor log files: every `weed` it starts (masters, volume
 * servers, one-off processes, `weed shell` runs) writes its glog files into its own directory, not the system's
 * temp directory.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { groupAlive } from "../../tools/lib/cluster/processes";
import { poll } from "../../tools/lib/cluster/http";
import { LocalCluster } from "../../tools/lib/localCluster";
import { misconfiguration } from "../../tools/lib/drill/misconfiguration";
import { weedShell } from "../../tools/lib/rollout/membership";
import { transferLeadershipWithShell } from "../../tools/lib/rollout/transfer";

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

/** glog's files and links (`weed.<host>.<user>.log.INFO.<time>.<pid>`, `weed.INFO`, ...) directly in `dir`. */
function glogFilesIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.startsWith("weed."));
}

describe("weed log files", { timeout: 120_000 }, () => {
  it("stay in each process's own directory, never in the system temp directory", async () => {
    // A temp directory of this test alone (children inherit TMPDIR), so other runs' files cannot interfere.
    const systemTemp = fs.mkdtempSync(path.join(os.tmpdir(), "weed-glog-check-"));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = systemTemp;
    let cluster: LocalCluster | undefined;
    try {
      cluster = await LocalCluster.start({ stack: "dev", watchdog: false, keep: true });
      const leader = (await cluster.leader())!;
      const master = cluster.master(leader);
      await misconfiguration.run({ cluster, step: () => {} }); // a one-off weed master (spawnWeed) that exits
      // Every way the tools run `weed shell`, against a master that does not answer, so that the shell always logs
      // (its failed connections; a shell that meets no trouble may log nothing): the membership drills' weedShell,
      // the rollout drills' transfer (logs in the master's directory) and `npm run rollout`'s (a scratch directory).
      const stopped = cluster.liveSlots().find((s) => s !== leader)!;
      await cluster.kill(stopped, "SIGTERM");
      const nobody = cluster.master(stopped).address;
      const binary = master.process.options.binary;
      // Whether each run fails or gives up is not what is checked here: where its log files went is.
      await Promise.allSettled([
        weedShell(cluster, stopped, ["cluster.check"], 4000),
        transferLeadershipWithShell(binary, nobody, master.dir, master.dir, 4000),
        transferLeadershipWithShell(binary, nobody, process.cwd(), undefined, 4000),
      ]);
      await cluster.stop();
      assert.deepEqual(glogFilesIn(systemTemp), [], `weed wrote log files into the temp directory ${systemTemp}`);
      // Not vacuous: weed does write glog files, into the directories the harness owns and removes.
      for (const dir of [master.dir, cluster.volumeServers[0].options.cwd, path.join(cluster.runDir, "even-peers")]) {
        assert.ok(glogFilesIn(dir).length > 0, `no glog file in ${dir}: does weed still log to files?`);
      }
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await cluster?.stop();
      fs.rmSync(systemTemp, { recursive: true, force: true });
    }
  });
});
