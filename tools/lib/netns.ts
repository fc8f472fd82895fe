/**
 * The drill's private network namespace. Partition scenarios add nftables rules, and those must never touch the
 * host's network: the drill re-executes itself under `unshare --net` (a fresh namespace with only a loopback
 * interface, brought up here), so every rule and every process of the run lives and dies in that namespace.
 */
import { spawn, spawnSync } from "node:child_process";

/** Set in the environment of the re-executed drill. */
const MARKER = "SEAWEED_DRILL_NETNS";

export function insidePrivateNetwork(): boolean {
  return process.env[MARKER] === "1";
}

/** Why a private network namespace cannot be made here, or undefined when it can. */
export function privateNetworkUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "network partitions need root (unshare --net, nftables and per-process uids)";
  for (const tool of ["unshare", "nft", "ip"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is missing (bash tools/setup.sh installs nftables)`;
  }
  return undefined;
}

/**
 * Runs this same Node command again inside a new network namespace and resolves to its exit code. The child
 * inherits stdio, so its output is the drill's output; SIGINT and SIGTERM are passed on, so it cleans up as usual.
 */
export function rerunInPrivateNetwork(): Promise<number> {
  const command = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn("unshare", ["--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...command], {
    stdio: "inherit",
    env: { ...process.env, [MARKER]: "1" },
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, forward(signal));
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`unshare --net failed: ${error.message}`)));
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
