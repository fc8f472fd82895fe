/**
 * Reading a rendered master command line back: the policy pack decodes a launch template's boot script and checks
 * the `weed master` flags it would run. Flag names are taken from {@link renderMasterArgs} itself, so a renamed flag
 * changes the reader too; the only flags spelled here are the ones the renderer must never emit.
 */
import { DEFAULT_HTTP_PORT, DEFAULT_METRICS_PORT, HOST_PATHS } from "../../seaweed/constants";
import { renderMasterArgs } from "../../seaweed/master";
import { execStart } from "./systemd";

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
  mdir: HOST_PATHS.mdir,
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

/** One `weed master` command line found in a script: its flags, `-name` -> value (`true` for bare flags). */
export interface ParsedMasterCommand {
  line: string;
  flags: Map<string, string | true>;
}

function unquote(word: string): string {
  return word.startsWith('"') && word.endsWith('"') ? word.slice(1, -1).replace(/\\(["\\])/g, "$1") : word;
}

/** Every `ExecStart=<weed> master ...` line of a boot script or unit file, parsed. */
export function parseMasterCommands(script: string): ParsedMasterCommand[] {
  const prefix = `ExecStart=${execStart(["master"])}`;
  return script
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line === prefix || line.startsWith(`${prefix} `))
    .map((line) => {
      const words = line.slice(prefix.length).match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
      const flags = new Map<string, string | true>();
      for (const word of words.map(unquote)) {
        const eq = word.indexOf("=");
        if (eq < 0) flags.set(word, true);
        else flags.set(word.slice(0, eq), word.slice(eq + 1));
      }
      return { line, flags };
    });
}
