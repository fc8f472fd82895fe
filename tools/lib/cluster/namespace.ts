/**
 * A private network + mount namespace for drills that must not touch the host: partition scenarios add nftables
 * rules, and Kubernetes stacks need DNS identities. The drill re-runs itself under `unshare --net --mount` (a fresh
 * network namespace with only a loopback interface, brought up here), and for DNS identities bind-mounts a private
 * `/etc/hosts` mapping each pod DNS name to its loopback address, so `weed` and the harness resolve
 * `seaweedfs-master-0.….svc.cluster.local` exactly as in a pod. Nothing outside the namespace changes, and the
 * namespace (with its rules, mounts and every process in it) vanishes when the drill exits.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stopChildrenAtExit } from "./processes";

/** Set in the environment of the re-run drill. */
const MARKER = "SEAWEED_DRILL_PRIVATE_NAMESPACE";

export function insidePrivateNamespace(): boolean {
  return process.env[MARKER] === "1";
}

/** Why a private namespace (with nftables for partitions) cannot be made here, or undefined when it can. */
export function privateNamespaceUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "network partitions and DNS identities need root (unshare, nftables, mount and per-process uids)";
  for (const tool of ["unshare", "nft", "ip", "mount", "umount"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is missing (bash tools/setup.sh installs nftables)`;
  }
  return undefined;
}

/**
 * Runs this process's command line again inside fresh network and mount namespaces (needs root, as the drills do);
 * resolves to the child's exit code. Signals to this process are passed on to the child (see stopChildrenAtExit).
 */
export function rerunInPrivateNamespace(): Promise<number> {
  // A signal to this process reaches the drill inside, which stops its cluster; so does this process's death.
  stopChildrenAtExit();
  const command = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn("unshare", ["--net", "--mount", "--propagation", "private", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...command], {
    stdio: "inherit",
    env: { ...process.env, [MARKER]: "1" },
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  });
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr || result.error?.message}`);
}

/** Brings up the namespace's loopback interface (a new network namespace starts with it down). */
export function loopbackUp(): void {
  if (!insidePrivateNamespace()) throw new Error("refusing to touch the network outside a private drill namespace");
  run("ip", ["link", "set", "lo", "up"]);
}

/**
 * Replaces `/etc/hosts` for this mount namespace only, until the returned function is called.
 *
 * The bind mount's source lives in the cluster's run directory, so the caller must release it before that directory
 * is removed: a bind mount whose source file was deleted can no longer be mounted over (the kernel refuses a mount
 * point on an unlinked file with ENOENT), so the next cluster of the same drill (the partition scenarios', the
 * baseline's) could not map its DNS names ("mount --bind <run directory>/hosts /etc/hosts failed ... No such file
 * or directory").
 *
 * @param entries each DNS name and the loopback address it resolves to.
 * @param dir where the hosts file is written (the drill's run directory).
 * @returns unmounts it again (once; later calls do nothing), putting back whatever `/etc/hosts` was before.
 */
export function privateHosts(entries: readonly { name: string; ip: string }[], dir: string): () => void {
  if (!insidePrivateNamespace()) throw new Error("refusing to replace /etc/hosts outside a private drill namespace");
  const file = path.join(dir, "hosts");
  fs.writeFileSync(file, ["127.0.0.1 localhost", ...entries.map((e) => `${e.ip} ${e.name}`), ""].join("\n"));
  run("mount", ["--bind", file, "/etc/hosts"]);
  let mounted = true;
  return () => {
    if (!mounted) return;
    mounted = false;
    // The topmost mount on /etc/hosts is this one: clusters of a drill run one after another, never side by side.
    run("umount", ["/etc/hosts"]);
  };
}
