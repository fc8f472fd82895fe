/**
 * Master flag names as {@link renderMasterArgs} writes them, for readers of a rendered command line (the policy
 * pack reads boot scripts on AWS and container args on Kubernetes). Names are taken from a sample render, so a
 * renamed flag changes the readers too; the only flags spelled here are the ones the renderer must never emit.
 */
import { DEFAULT_HTTP_PORT, DEFAULT_METRICS_PORT } from "./constants";
import { renderMasterArgs } from "./master";

/**
 * Flags that must never reach a master. `-raftBootstrap` wipes the raft state on every start in 4.44 (issue
 * #10880): a restarted master forms a new cluster of one, a split-brain crash loop.
 */
export const UNSAFE_MASTER_FLAGS = ["-raftBootstrap"] as const;

/** The flag a sample render uses to carry `value` (e.g. the peer list), found rather than respelled. */
function flagCarrying(args: readonly string[], value: string): string {
  const arg = args.find((a) => a.endsWith(`=${value}`));
  if (!arg) throw new Error(`renderMasterArgs no longer emits a flag with value ${value}`);
  return arg.slice(0, arg.indexOf("="));
}

const SAMPLE_IP = "192.0.2.1";
const SAMPLE_PEERS = [SAMPLE_IP, "192.0.2.2", "192.0.2.3"].map((ip) => `${ip}:${DEFAULT_HTTP_PORT}`);
const SAMPLE_ARGS = renderMasterArgs({
  ip: SAMPLE_IP,
  port: DEFAULT_HTTP_PORT,
  mdir: "/data/master",
  peers: SAMPLE_PEERS,
  raft: { heartbeatInterval: "300ms", electionTimeout: "2s" },
  metricsPort: DEFAULT_METRICS_PORT,
  defaultReplication: "000",
  volumeSizeLimitMB: 1,
});

/** Names (with the leading dash) of the master flags the policies read. */
export const MASTER_FLAG_NAMES = {
  ip: flagCarrying(SAMPLE_ARGS, SAMPLE_IP),
  port: flagCarrying(SAMPLE_ARGS, String(DEFAULT_HTTP_PORT)),
  peers: flagCarrying(SAMPLE_ARGS, SAMPLE_PEERS.join(",")),
} as const;

/** `-name=value` / bare `-name` words of a command line as a map (`true` for bare flags). */
export function flagMap(words: readonly string[]): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq < 0) flags.set(word, true);
    else flags.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return flags;
}
