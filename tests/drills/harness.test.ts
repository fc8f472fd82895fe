/**
 * The harness never leaves processes behind: when the Node process that started them exits, crashes, is
 * terminated or interrupted (SIGTERM, SIGINT, SIGHUP), or loses its parent, every process group it started is killed,
 * and so is every tool it runs with what that tool started; also when `node --test` itself is interrupted. Nor log files: every `weed` it starts (masters, volume
 * servers, one-off processes, `weed shell` runs) writes its glog files into its own directory, not the system's
 * temp directory.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { groupAlive, processAlive } from "../../tools/lib/cluster/processes";
import { poll } from "../../tools/lib/cluster/http";
import { LocalCluster } from "../../tools/lib/localCluster";
import { misconfiguration } from "../../tools/lib/drill/misconfiguration";
import { weedShell } from "../../tools/lib/rollout/membership";
import { transferLeadershipWithShell } from "../../tools/lib/rollout/transfer";

const FIXTURES = path.join(__dirname, "fixtures");

/** What a fixture started: process groups, and processes (tools, a test file), from its `pgid=<n>` and `pid=<n>` lines. */
interface Started {
  pgids: number[];
  pids: number[];
  /** Scratch and run directories, removed by the processes' own exit handlers (and by this test after a failure). */
  dirs: string[];
}

function startedIn(text: string): Started {
  const values = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.+)$`, "gm"))].map((m) => m[1]);
  return { pgids: values("pgid").map(Number), pids: values("pid").map(Number), dirs: values("dir") };
}

function stillThere(started: Started): string[] {
  return [...started.pgids.filter(groupAlive).map((g) => `process group ${g}`), ...started.pids.filter(processAlive).map((p) => `process ${p}`)];
}

/** Waits (bounded) until nothing the fixture started is left; returns what still is. */
async function leftBehind(started: Started): Promise<string[]> {
  await poll(async () => (stillThere(started).length === 0 ? true : undefined), 15_000, 100);
  return stillThere(started);
}

/** This test's own clean-up of whatever a failed check left behind (by the pgids, pids and dirs the fixture reported). */
function killStarted(started: Started): void {
  for (const pgid of started.pgids) if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
  for (const pid of started.pids) if (processAlive(pid)) process.kill(pid, "SIGKILL");
  for (const dir of started.dirs) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs orphanParent.ts, starting `kinds` (see fixtures/starters.ts), until it is ready; then it ends by itself
 * (`exit`, `throw`) or, in mode `wait`, gets `signal` once every process it started is confirmed alive.
 */
async function runParent(mode: string, kinds: string, signal?: NodeJS.Signals): Promise<{ started: Started; code: number | null }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(FIXTURES, "orphanParent.ts"), mode, kinds], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let errors = "";
  let aliveAtSignal: string[] | undefined;
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (signal && aliveAtSignal === undefined && /^ready$/m.test(output)) {
      aliveAtSignal = stillThere(startedIn(output));
      child.kill(signal);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  const started = startedIn(output);
  assert.ok(started.pgids.length > 0 && /^ready$/m.test(output), `the fixture did not get ready: ${output}\n${errors}`);
  if (signal) assert.equal(aliveAtSignal?.length, started.pgids.length + started.pids.length, `not everything was running when ${signal} was sent: ${aliveAtSignal?.join(", ")}`);
  return { started, code };
}

describe("process cleanup", { timeout: 180_000 }, () => {
  for (const mode of ["exit", "throw"]) {
    it(`kills the started process group when the parent ${mode === "throw" ? "crashes" : "exits"}`, async () => {
      const { started, code } = await runParent(mode, "sleep");
      try {
        assert.notEqual(code, 0);
        assert.deepEqual(await leftBehind(started), [], "outlived their parent");
      } finally {
        killStarted(started);
      }
    });
  }

  // A test file that runs a cluster, a tool (as gray.test.ts runs `npm run drill`: through the tsx wrapper, a plain
  // child process whose weed is two generations away, in a group of its own) and a plain child (as tests start moto).
  const cases: [NodeJS.Signals, string][] = [
    ["SIGTERM", "cluster,tool:weed,child"],
    ["SIGINT", "sleep,tool:weed,child"],
    ["SIGHUP", "sleep,tool:weed,child"],
  ];
  for (const [signal, kinds] of cases) {
    it(`stops everything the parent started, the tools it ran and what they started, when the parent gets ${signal} (${kinds})`, async () => {
      const { started, code } = await runParent("wait", kinds, signal);
      try {
        assert.notEqual(code, 0);
        // The parent, the tsx wrapper, the tool, the plain child; the parent's groups, the tool's weed, the child's.
        assert.ok(started.pids.length === 4 && started.pgids.length >= 3, `expected the parent, a tool with its weed and a plain child: ${JSON.stringify(started)}`);
        assert.deepEqual(await leftBehind(started), [], `outlived a parent stopped by ${signal}`);
      } finally {
        killStarted(started);
      }
    });
  }

  it("stops a tool and its weed when the process that ran it is killed outright (SIGKILL: no handler runs there, and the tsx wrapper between them lives on)", async () => {
    const { started } = await runParent("wait", "tool:weed", "SIGKILL");
    try {
      assert.deepEqual(await leftBehind(started), [], "outlived the parent of the tool that started them");
    } finally {
      killStarted(started);
    }
  });
});

describe("process cleanup under node --test", { timeout: 240_000 }, () => {
  // The runner sends SIGTERM to its test files when it gets SIGTERM or SIGINT, and nothing when it gets SIGHUP.
  const cases: [NodeJS.Signals, string][] = [
    ["SIGTERM", "cluster,tool:weed,child"],
    ["SIGINT", "weed,tool:weed,child"],
    ["SIGHUP", "weed,tool:weed,child"],
  ];
  for (const [signal, kinds] of cases) {
    it(`leaves nothing running when the runner gets ${signal} while a test file holds ${kinds}`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runner-cleanup-"));
      const report = path.join(dir, "report");
      fs.writeFileSync(report, "");
      // A runner of its own: NODE_TEST_CONTEXT would make it a child of this test's runner.
      const env: NodeJS.ProcessEnv = { ...process.env, FIXTURE_STARTS: kinds, FIXTURE_REPORT: report };
      delete env.NODE_TEST_CONTEXT;
      const runner = spawn(process.execPath, ["--import", "tsx", "--test", path.join(FIXTURES, "runnerChild.ts")], { env, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      runner.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      runner.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<void>((resolve) => runner.once("exit", () => resolve()));
      let started: Started = { pgids: [], pids: [], dirs: [] };
      try {
        const ready = await poll(async () => (/^ready$/m.test(fs.readFileSync(report, "utf8")) ? true : runner.exitCode !== null ? false : undefined), 120_000, 200);
        started = startedIn(fs.readFileSync(report, "utf8"));
        assert.ok(ready, `the test file did not get ready: ${output}`);
        assert.deepEqual(stillThere(started).length, started.pgids.length + started.pids.length, "not everything was running before the signal");
        runner.kill(signal);
        await exited;
        assert.deepEqual(await leftBehind(started), [], `outlived a runner stopped by ${signal}`);
      } finally {
        killStarted(started);
        if (runner.exitCode === null) runner.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
      }
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
