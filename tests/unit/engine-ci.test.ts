/**
 * CI's engine step (tools/engine-ci.sh) decides from the cache and the time already spent whether the real-engine
 * checks run: a toolchain to build from nothing (budgeted at 26 min; 18 min measured on an idle machine) is built
 * when it fits what .ci/run leaves of its 90 minutes, and otherwise the step says loudly that the checks did not run
 * (never a silent pass); a build that overruns its time limit is stopped with the same banner, and a build that
 * fails fails CI. SEAWEED_ENGINE_CI=require turns "did not run" into a failure. Runs in "plan" mode (decides, builds
 * nothing) or with a stand-in build command, against a throw-away cache directory.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineVersions } from "../../tools/lib/engine/pulumi";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

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
function engineCi(cache: string, elapsedMinutes: number, mode = "plan", setup?: string) {
  const result = spawnSync("bash", ["tools/engine-ci.sh"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: {
      ...process.env,
      SEAWEED_ENGINE_CACHE: cache,
      CI_STARTED_AT: String(Math.floor(Date.now() / 1000) - elapsedMinutes * 60),
      SEAWEED_ENGINE_CI: mode,
      ...(setup ? { ENGINE_SETUP_COMMAND: setup } : {}),
    },
  });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

describe("CI's engine step (tools/engine-ci.sh)", () => {
  it("builds a whole toolchain after .ci/run's usual 27 minutes: 26 min budgeted, 33 left (90 - 27 - 10 margin - 20 checks)", () => {
    const { code, out } = engineCi(cacheWith([]), 27);
    assert.equal(code, 0);
    assert.match(out, /toolchain build needed: 26 min \(pulumi 6 langhost 1 kubernetes-provider 10 kube 6 kwok 3 (etcd 0 )?\); 33 min left/);
    assert.match(out, /would build 26 min of pieces, then run the engine checks/);
    assert.doesNotMatch(out, /DID NOT RUN/);
  });

  it("does not start a whole toolchain that no longer fits after 40 minutes, and says loudly that the checks did not run", () => {
    const { code, out } = engineCi(cacheWith([]), 40);
    assert.equal(code, 0);
    assert.match(out, /ENGINE CHECKS DID NOT RUN: the engine toolchain is not built \(missing: pulumi 6 .*\), and building it \(estimated 26 min\) does not fit the 20 min left/);
    assert.doesNotMatch(out, /would build/);
  });

  it("fails instead when the checks are required", () => {
    const { code, out } = engineCi(cacheWith([]), 40, "require");
    assert.equal(code, 1);
    assert.match(out, /ENGINE CHECKS DID NOT RUN/);
  });

  it("builds a missing language host (1 min) and runs the checks when that fits", () => {
    const { code, out } = engineCi(cacheWith(["pulumi", "kubernetes-provider", "kube", "kwok"]), 14);
    assert.equal(code, 0);
    assert.match(out, /would build 1 min of pieces, then run the engine checks/);
  });

  it("does not start even a small build that no longer fits the limit", () => {
    const { out } = engineCi(cacheWith(["pulumi", "kubernetes-provider", "kube", "kwok"]), 70);
    assert.match(out, /ENGINE CHECKS DID NOT RUN: .*does not fit the -10 min left/);
  });

  // The stand-in build exits 124, which is what `timeout` returns when it stops a build at its limit.
  it("stops a build at the time left and says the checks did not run, without running them", () => {
    const { code, out } = engineCi(cacheWith(["pulumi", "kubernetes-provider", "kube", "kwok"]), 27, "budget", "exit 124");
    assert.equal(code, 0);
    assert.match(out, /building the missing pieces \(niced; estimate 1 min, stopped after 33 min\)/);
    assert.match(out, /ENGINE CHECKS DID NOT RUN: the engine toolchain build did not finish within the 33 min left/);
    // npm prints "> <package>@<version> engine:smoke" when it starts a script; the banner only names the command.
    assert.doesNotMatch(out, /^> .* engine:smoke|engine checks passed/m);
    assert.equal(engineCi(cacheWith(["pulumi", "kubernetes-provider", "kube", "kwok"]), 27, "require", "exit 124").code, 1);
  });

  it("fails CI when the build itself fails, even when the checks are not required", () => {
    const { code, out } = engineCi(cacheWith(["pulumi", "kubernetes-provider", "kube", "kwok"]), 27, "budget", "exit 3");
    assert.equal(code, 3);
    assert.match(out, /the engine toolchain build failed \(exit 3\)/);
    assert.doesNotMatch(out, /DID NOT RUN|^> .* engine:smoke/m);
  });
});
