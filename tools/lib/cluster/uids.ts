/**
 * What processes under uids of their own need (LocalClusterOptions.separateUids, for the partition scenarios): those
 * uids (61000 and up) belong to nobody, so they can run only what every user can reach. A checkout under a directory
 * others cannot enter (a `mktemp -d` folder, root's home) hides `.venv/bin/weed` from them, and spawning it fails with
 * EACCES. So the binary is linked (or copied) into the cluster's run directory, which is theirs to enter, and run once
 * as such a uid before any process starts; when that cannot work, the cluster is refused with the reason and the fix.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The first directory from `/` down to `dir` that users other than its owner and group cannot enter, if any. */
function closedToOthers(dir: string): { dir: string; mode: string } | undefined {
  const chain: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    chain.unshift(d);
    if (d === path.dirname(d)) break;
  }
  for (const d of chain) {
    const mode = fs.statSync(d).mode & 0o777;
    if ((mode & 0o001) === 0) return { dir: d, mode: mode.toString(8).padStart(3, "0") };
  }
  return undefined;
}

/**
 * Puts `binary` where `uid` can run it: `<runDir>/bin/<name>`, a hard link when the file may be run by others and
 * lives on the same file system, a copy otherwise; then runs `<it> version` as `uid`.
 *
 * @param binary the `weed` binary (any path, e.g. inside a checkout only root can enter)
 * @param runDir the cluster's run directory, already open to others (mode 0755); removed with the cluster
 * @param uid a uid the cluster's processes run as
 * @returns the path to give those processes
 * @throws naming the directory they cannot enter and the fix, or what running the staged binary as `uid` said
 */
export function stageBinaryForUid(binary: string, runDir: string, uid: number): string {
  const closed = closedToOthers(runDir);
  if (closed) {
    throw new Error(
      `the partition scenarios run each weed under a uid of its own (${uid} and up), which cannot enter ${closed.dir} (mode ${closed.mode}), ` +
        `where the cluster's run directory ${runDir} is: set TMPDIR to a directory every user can enter, such as /tmp`,
    );
  }
  const bin = path.join(runDir, "bin");
  fs.mkdirSync(bin, { mode: 0o755 });
  const staged = path.join(bin, path.basename(binary));
  const source = fs.realpathSync(binary);
  let linked = false;
  if ((fs.statSync(source).mode & 0o001) !== 0) {
    try {
      fs.linkSync(source, staged);
      linked = true;
    } catch {
      // Another file system (EXDEV) or a refused link: copy instead.
    }
  }
  if (!linked) {
    fs.copyFileSync(source, staged, fs.constants.COPYFILE_FICLONE);
    fs.chmodSync(staged, 0o755);
  }
  const tried = spawnSync(staged, ["version"], { uid, gid: uid, cwd: runDir, encoding: "utf8", timeout: 30_000 });
  if (tried.error || tried.status !== 0) {
    const why = tried.error?.message ?? `exit ${tried.status ?? tried.signal}: ${(tried.stderr || tried.stdout).trim().slice(0, 300)}`;
    throw new Error(`uid ${uid} cannot run ${staged} (staged from ${binary}): ${why}`);
  }
  return staged;
}
