/**
 * CI's engine step (tools/engine-ci.sh) decides from the cache and the time already spent whether the real-engine
 * checks run: a toolchain to build from nothing (budgeted at 26 min; 18 min measured on an idle machine) is built
 * when it fits what .ci/run leaves of its 90 minutes. When the checks cannot run the step says so loudly AND fails
 * (the default, which .ci/run uses): CI is never green without them. A build that overruns its time limit is really
 * stopped by `timeout` (a stand-in that sleeps, with the budget minute shortened to a second), and a build that
 * fails fails CI. Runs in "plan" mode (decides, builds nothing) or with a stand-in build command, against a
 * throw-away cache directory.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineVersions } from "../../tools/lib/engine/pulumi";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { processAlive } from "../../tools/lib/cluster/processes";

const caches: string[] = [];
after(() => caches.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A cache directory with the given pieces marked built for their pins. */
function cacheWith(pieces: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seaweed-engine-cache-"));
  caches.push(dir);
  const v = engineVersions();
  const pins: Record<string, string> = {
    pulumi: v.PULUMI_VERSION,
    langhost: `${v.PULUMI_NODEJS_HOST_SDK_VERSION}-r${v.PULUMI_NODEJS_HOST_REV}`,
    "kubernetes-provider": v.PULUMI_KUBERNETES_VERSION,
    kube: v.KUBERNETES_VERSION,
    kwok: v.KWOK_VERSION,
  };
  for (const piece of pieces) {
    fs.mkdirSync(path.join(dir, `${piece}-${pins[piece]}`), { recursive: true });
    fs.writeFileSync(path.join(dir, `${piece}-${pins[piece]}`, ".done"), "");
  }
  return dir;
}

/** Runs the step as if .ci/run started `elapsedMinutes` ago; `setup` replaces the build command. */
function engineCi(cache: string, elapsedMinutes: number, options: { mode?: string; setup?: string; minuteSeconds?: number } = {}) {
  const minute = options.minuteSeconds ?? 60;
  const result = spawnSync("bash", ["tools/engine-ci.sh"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    // A step that hangs (a build `timeout` never stopped) fails the test instead of stalling the suite.
    timeout: 60_000,
    env: {
      ...process.env,
      SEAWEED_ENGINE_CACHE: cache,
      CI_STARTED_AT: String(Math.floor(Date.now() / 1000) - elapsedMinutes * minute),
      ...(options.mode ? { SEAWEED_ENGINE_CI: options.mode } : { SEAWEED_ENGINE_CI: "" }),
      ...(options.setup ? { ENGINE_SETUP_COMMAND: options.setup } : {}),
      ...(options.minuteSeconds ? { ENGINE_MINUTE_SECONDS: String(options.minuteSeconds) } : {}),
    },
  });
  return { code: result.status, signal: result.signal, out: `${result.stdout}${result.stderr}` };
}

const ALL_BUT_LANGHOST = ["pulumi", "kubernetes-provider", "kube", "kwok"];
const ALL = [...ALL_BUT_LANGHOST, "langhost"];
// npm prints "> <package>@<version> engine:smoke" when it starts a script; the banner only names the command.
const CHECKS_STARTED = /^> .* engine:smoke|engine checks passed/m;

describe("CI's engine step (tools/engine-ci.sh)", () => {
  it("builds a whole toolchain after .ci/run's usual 27 minutes: 26 min budgeted, 33 left (90 - 27 - 10 margin - 20 checks)", () => {
    const { code, out } = engineCi(cacheWith([]), 27, { mode: "plan" });
    assert.equal(code, 0);
    assert.match(out, /toolchain build needed: 26 min \(pulumi 6 langhost 1 kubernetes-provider 10 kube 6 kwok 3( etcd 0)?\); 33 min left/);
    assert.match(out, /would build 26 min of pieces, then run the engine checks/);
    assert.doesNotMatch(out, /DID NOT RUN/);
  });

  it("fails CI, by default, when a whole toolchain no longer fits after 40 minutes, saying loudly that the checks did not run", () => {
    const { code, out } = engineCi(cacheWith([]), 40);
    assert.equal(code, 1);
    assert.match(out, /ENGINE CHECKS DID NOT RUN: the engine toolchain is not built \(missing: pulumi 6 .*\), and building it \(estimated 26 min\) does not fit the 20 min left/);
    assert.doesNotMatch(out, /would build|building the missing/);
  });

  it("only exits 0 on the banner when a person asks for allow-skip (local use, never CI)", () => {
    const { code, out } = engineCi(cacheWith([]), 40, { mode: "allow-skip" });
    assert.equal(code, 0);
    assert.match(out, /ENGINE CHECKS DID NOT RUN/);
  });

  it("refuses a mode it does not know, naming the key and the modes", () => {
    const { code, out } = engineCi(cacheWith(ALL), 0, { mode: "skip" });
    assert.equal(code, 2);
    assert.match(out, /SEAWEED_ENGINE_CI='skip' is not a mode; use require \(default\), allow-skip \(local use\) or plan/);
  });

  it("builds a missing language host (1 min) and runs the checks when that fits", () => {
    const { code, out } = engineCi(cacheWith(ALL_BUT_LANGHOST), 14, { mode: "plan" });
    assert.equal(code, 0);
    assert.match(out, /would build 1 min of pieces, then run the engine checks/);
  });

  it("does not start even a small build that no longer fits the limit", () => {
    const { code, out } = engineCi(cacheWith(ALL_BUT_LANGHOST), 70);
    assert.equal(code, 1);
    assert.match(out, /ENGINE CHECKS DID NOT RUN: .*does not fit the -10 min left/);
  });

  it("with everything built but no time left for the checks, says that (not that the toolchain is missing)", () => {
    const { code, out } = engineCi(cacheWith(ALL), 70);
    assert.equal(code, 1);
    assert.match(out, /ENGINE CHECKS DID NOT RUN: the toolchain is built, but only 20 min are left of CI's 90-minute limit, less than the checks' 20 min and a 10 min margin/);
    assert.doesNotMatch(out, /not built/);
  });

  // A budget minute of one second: 50 "minutes" elapsed leaves about 10 (fewer when the machine is slow to get to
  // the decision) for a 1-"minute" build that really sleeps for ten minutes, so only `timeout` can end it.
  it("really stops a build that overruns the time left, kills it, and fails without running the checks", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seaweed-engine-build-"));
    caches.push(dir);
    const pidFile = path.join(dir, "pid");
    const began = Date.now();
    const { code, out } = engineCi(cacheWith(ALL_BUT_LANGHOST), 50, { minuteSeconds: 1, setup: `echo $$ > ${pidFile}; exec sleep 600` });
    const tookMs = Date.now() - began;
    assert.equal(code, 1, out);
    assert.match(out, /building the missing pieces \(estimate 1 min, stopped after \d+ min\)/);
    assert.match(out, /ENGINE CHECKS DID NOT RUN: the engine toolchain build did not finish within the \d+ min left/);
    assert.doesNotMatch(out, CHECKS_STARTED);
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    assert.ok(pid > 0 && !processAlive(pid), `the stand-in build (pid ${pid}) is still running`);
    // Far below the stand-in's 600 s: the step returned because the build was stopped, not because it ended.
    assert.ok(tookMs < 30_000, `the step took ${tookMs} ms`);
  });

  it(".ci/run requires the step, whatever SEAWEED_ENGINE_CI the environment sets", () => {
    const calls = fs.readFileSync(path.join(REPO_ROOT, ".ci/run"), "utf8").split("\n").filter((line) => /tools\/engine-ci\.sh/.test(line) && !line.startsWith("#"));
    assert.deepEqual(calls, ["SEAWEED_ENGINE_CI=require bash tools/engine-ci.sh"]);
  });

  it("fails CI when the build itself fails", () => {
    const { code, out } = engineCi(cacheWith(ALL_BUT_LANGHOST), 27, { setup: "exit 3" });
    assert.equal(code, 3);
    assert.match(out, /the engine toolchain build failed \(exit 3\)/);
    assert.doesNotMatch(out, /DID NOT RUN/);
    assert.doesNotMatch(out, CHECKS_STARTED);
  });
});
