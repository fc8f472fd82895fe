/**
 * `npm run test:only [-- <test files>]` (what `npm test` runs after setup): every test file but the real-engine ones
 * (tests/engine, `npm run engine:check`), in two lanes side by side, which is what keeps the suite within ten minutes
 * on a 2-core machine:
 *   drills  tests/drills: real weed clusters, mostly waiting on elections, heartbeats and alarm windows, and
 *           timing-sensitive; at normal priority, TEST_DRILL_CONCURRENCY files at a time (default 3; each cluster
 *           picks its own loopback network and each partition drill its own network namespace);
 *   unit    every other file (tests/unit, tests/policy): CPU-bound (tsx, Pulumi mocks, plan subprocesses),
 *           TEST_UNIT_CONCURRENCY files at a time (default 2, one per core) under `nice`, so it uses what the drills
 *           leave and never delays a drill's master. Stub servers of these files listen on 127.250-255.*, outside
 *           the networks drill clusters pick.
 * Each lane's spec output is streamed with the lane's name in front of every line; the end prints both lanes'
 * counts and the 10 slowest test files (tools/test-reporters/file-times.mts). Within a lane, files start longest
 * first, by the times of the last run on this machine (${XDG_CACHE_HOME:-~/.cache}/seaweed-infra/test-times.json;
 * alphabetical without it). Exit 1 when a test failed or a lane did not finish; SIGINT, SIGTERM and SIGHUP are passed
 * to both lanes, whose test files stop what they started, and the exit code is the signal's.
 *
 * Environment: TEST_DRILL_CONCURRENCY (drill files at a time, default 3), TEST_UNIT_CONCURRENCY (other files at a
 * time, default 2), SLOWEST_FILES (how many to list, default 10).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { REPO_ROOT } from "./lib/stackFiles";

interface Lane {
  name: string;
  files: string[];
  concurrency: number;
  /** Run under `nice -n <niceness>`. */
  niceness?: number;
}

interface FileTime {
  file: string;
  ms: number;
  passed: boolean;
}

/** What the spec reporter counts at the end of a lane ("ℹ tests 12", "ℹ pass 11", ...). */
const COUNTS = ["tests", "pass", "fail", "cancelled", "skipped", "todo"] as const;
type Counts = Record<(typeof COUNTS)[number], number>;

const TIMES_FILE = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "seaweed-infra", "test-times.json");

function allTestFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => path.join(dir, f));
}

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`test: ${name}=${raw} is not a whole number of at least 1 (unset it for the default, ${fallback})\n`);
    process.exit(2);
  }
  return value;
}

/** The test files to run, from the arguments or every file outside tests/engine; refuses what cannot run here. */
function testFiles(args: string[]): string[] {
  if (args.length === 0) return allTestFiles("tests").filter((f) => !f.startsWith(`tests${path.sep}engine${path.sep}`)).sort();
  const files = args.map((a) => path.relative(REPO_ROOT, path.resolve(a)));
  for (const f of files) {
    if (!fs.existsSync(path.join(REPO_ROOT, f)) || !f.endsWith(".test.ts")) {
      process.stderr.write(`test: ${f} is not a test file (*.test.ts under tests/)\n`);
      process.exit(2);
    }
    if (f.startsWith(`tests${path.sep}engine${path.sep}`)) {
      process.stderr.write(`test: ${f} needs the real engine: run it with npm run engine:check\n`);
      process.exit(2);
    }
  }
  return files;
}

/** The last run's time per file on this machine (empty when there is none or it cannot be read). */
function lastTimes(): Map<string, number> {
  try {
    return new Map(Object.entries(JSON.parse(fs.readFileSync(TIMES_FILE, "utf8")) as Record<string, number>));
  } catch {
    return new Map();
  }
}

function longestFirst(files: string[], times: Map<string, number>): string[] {
  return [...files].sort((a, b) => (times.get(b) ?? 0) - (times.get(a) ?? 0) || a.localeCompare(b));
}

function startLane(lane: Lane, timesOut: string): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; counts: Partial<Counts> }> } {
  const node = [
    process.execPath,
    "--import",
    "tsx",
    "--test",
    `--test-concurrency=${lane.concurrency}`,
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    `--test-reporter=${path.join(REPO_ROOT, "tools/test-reporters/file-times.mts")}`,
    `--test-reporter-destination=${timesOut}`,
    ...lane.files,
  ];
  const [command, ...args] = lane.niceness === undefined ? node : ["nice", "-n", String(lane.niceness), ...node];
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: process.stdout.isTTY ? "1" : "0" } });
  const prefix = `${lane.name.padEnd(6)} │ `;
  const counts: Partial<Counts> = {};
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on("line", (line) => {
      const count = /^ℹ (\w+) (\d+)$/.exec(line);
      if (count && (COUNTS as readonly string[]).includes(count[1])) counts[count[1] as keyof Counts] = Number(count[2]);
      (stream === child.stdout ? process.stdout : process.stderr).write(`${prefix}${line}\n`);
    });
  }
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; counts: Partial<Counts> }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, counts })),
  );
  return { child, done };
}

function readTimes(file: string): FileTime[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FileTime);
}

async function main(): Promise<void> {
  const files = testFiles(process.argv.slice(2));
  const times = lastTimes();
  const isDrill = (f: string) => f.startsWith(`tests${path.sep}drills${path.sep}`);
  const lanes: Lane[] = [
    { name: "drills", files: longestFirst(files.filter(isDrill), times), concurrency: positiveInteger("TEST_DRILL_CONCURRENCY", 3) },
    { name: "unit", files: longestFirst(files.filter((f) => !isDrill(f)), times), concurrency: positiveInteger("TEST_UNIT_CONCURRENCY", 2), niceness: 10 },
  ].filter((lane) => lane.files.length > 0);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "seaweed-test-times-"));
  const began = Date.now();
  const running = lanes.map((lane) => ({ lane, timesOut: path.join(scratch, `${lane.name}.jsonl`) })).map((r) => ({ ...r, ...startLane(r.lane, r.timesOut) }));
  let interrupted: NodeJS.Signals | undefined;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      interrupted = signal;
      // `node --test` passes SIGINT and SIGTERM on to its test files, which then stop what they started; on SIGHUP
      // it would just die, so a hang-up is passed on as SIGTERM.
      for (const r of running) r.child.kill(signal === "SIGHUP" ? "SIGTERM" : signal);
    });
  }
  const results = await Promise.all(running.map((r) => r.done));

  const fileTimes = running.flatMap((r) => readTimes(r.timesOut));
  fs.rmSync(scratch, { recursive: true, force: true });
  const out: string[] = [""];
  results.forEach((result, i) => {
    const c = result.counts;
    const ended = result.signal ? `stopped by ${result.signal}` : `exit ${result.code}`;
    out.push(`${lanes[i].name}: ${lanes[i].files.length} files, ${c.tests ?? "?"} tests, ${c.pass ?? "?"} passed, ${c.fail ?? "?"} failed, ${c.cancelled ?? "?"} cancelled, ${c.skipped ?? "?"} skipped (${ended})`);
  });
  const count = positiveInteger("SLOWEST_FILES", 10);
  const slowest = [...fileTimes].sort((a, b) => b.ms - a.ms).slice(0, count);
  out.push(`slowest ${slowest.length} of ${fileTimes.length} test files (time in each file; ${((Date.now() - began) / 60_000).toFixed(1)} min for the whole run):`);
  for (const t of slowest) out.push(`  ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.file}${t.passed ? "" : "  (failed)"}`);
  process.stdout.write(`${out.join("\n")}\n`);

  if (interrupted) process.exit(128 + os.constants.signals[interrupted]);
  // A whole run on this machine orders the next one longest first; a partial run only updates its own files.
  fs.mkdirSync(path.dirname(TIMES_FILE), { recursive: true });
  fs.writeFileSync(TIMES_FILE, JSON.stringify(Object.fromEntries([...times, ...fileTimes.map((t) => [t.file, t.ms] as const)]), null, 1));
  process.exit(results.every((r) => r.code === 0) ? 0 : 1);
}

void main();
