/**
 * CI's engine step (tools/engine-ci.sh) decides from the cache and the time already spent whether the real-engine
 * checks run: a toolchain to build from nothing (~78 min measured) never fits after .ci/run's first 14 minutes, and
 * then the step says loudly that the checks did not run (never a silent pass); a small missing piece that fits is
 * built; SEAWEED_ENGINE_CI=require turns "did not run" into a failure. Runs in "plan" mode (decides, builds nothing)
 * against a throw-away cache directory.
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

function engineCi(cache: string, elapsedMinutes: number, mode = "plan") {
  const result = spawnSync("bash", ["tools/engine-ci.sh"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, SEAWEED_ENGINE_CACHE: cache, CI_STARTED_AT: String(Math.floor(Date.now() / 1000) - elapsedMinutes * 60), SEAWEED_ENGINE_CI: mode },
  });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

describe("CI's engine step (tools/engine-ci.sh)", () => {
  it("does not build a whole toolchain after 14 minutes of CI, and says loudly that the checks did not run", () => {
    const { code, out } = engineCi(cacheWith([]), 14);
    assert.equal(code, 0);
    assert.match(out, /ENGINE CHECKS DID NOT RUN: the engine toolchain is not built \(missing: pulumi 22 langhost 3 kubernetes-provider 26 kube 19 kwok 8 (etcd 0 )?\)/);
    assert.doesNotMatch(out, /would build/);
  });

  it("fails instead when the checks are required", () => {
    const { code, out } = engineCi(cacheWith([]), 14, "require");
    assert.equal(code, 1);
    assert.match(out, /ENGINE CHECKS DID NOT RUN/);
  });

  it("builds a missing language host (3 min) and runs the checks when that fits", () => {
    const { code, out } = engineCi(cacheWith(["pulumi", "kubernetes-provider", "kube", "kwok"]), 14);
    assert.equal(code, 0);
    assert.match(out, /would build 3 min of pieces, then run the engine checks/);
  });

  it("does not start even a small build that no longer fits the limit", () => {
    const { out } = engineCi(cacheWith(["pulumi", "kubernetes-provider", "kube", "kwok"]), 70);
    assert.match(out, /ENGINE CHECKS DID NOT RUN: .*does not fit the -10 min left/);
  });
});
