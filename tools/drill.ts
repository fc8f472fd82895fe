/**
 * `npm run drill -- --stack <name> [--scenario <id|letter>]... [--suite day2] [--runs K] [--json] [--no-baseline] [--security|--no-security] [--keep] [--report <file.html>]`
 *
 * Runs the stack's rendered SeaweedFS master configuration as a real local cluster (loopback only) through the
 * failure scenarios of tools/lib/drill, K times each, then the gray-failure ones with the watchdog off and the
 * timed ones on SeaweedFS defaults (default raft, 10 s election timeout) for comparison. Prints a progress line per
 * step (stderr with --json) and a table per scenario; --json prints one object (see DrillReport); --report writes
 * a self-contained HTML page with a timeline per scenario run. On a stack with mutual TLS, a run of every scenario
 * (or `--security`) ends with the security drill: each attack tried with TLS off (accepted) and on (refused).
 * Partition scenarios and Kubernetes stacks need root: the drill then re-executes itself in a private network +
 * mount namespace (unshare), where the partitions' nftables rules live and a private /etc/hosts maps each pod DNS
 * name to its loopback address. Exit codes: 0 all passed, 1 a scenario or invariant failed, 2 bad usage or config.
 */
import { ConfigError } from "../infra/config";
import { stackConfig } from "./lib/cluster/plan";
import "./lib/drill/day2";
import "./lib/drill/scale";
import { findScenario, SCENARIOS } from "./lib/drill/registry";
import { runDrill, SEAWEEDFS_DEFAULTS } from "./lib/drill/runner";
import { Scenario } from "./lib/drill/types";
import { StackFileError } from "./lib/stackFiles";
import { insidePrivateNamespace, privateNamespaceUnavailable, rerunInPrivateNamespace } from "./lib/cluster/namespace";
import { renderDrillReportHtml, renderDrillReportText } from "./lib/drill/report";
import * as fs from "node:fs";

interface DrillArgs {
  stack: string;
  scenarios: Scenario[];
  /** The scenarios were named on the command line (not the default set). */
  chosen: boolean;
  runs: number;
  json: boolean;
  baseline: boolean;
  keep: boolean;
  report?: string;
  /** Scenarios left out of a run of every scenario, with why. */
  skipped: { id: string; reason: string }[];
  /** `--security` / `--no-security`; unset: the security drill runs with a run of every scenario on a TLS stack. */
  security?: boolean;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run drill -- --stack <dev|staging|prod|...> [--scenario <id|letter>]... [--suite day2] [--runs K] [--json] [--no-baseline] [--security|--no-security] [--keep] [--report <file.html>]\n` +
      `scenarios: ${SCENARIOS.map((s) => `${s.letter ?? "-"} ${s.id}${s.suite ? ` (suite ${s.suite}, opt-in)` : ""}`).join(", ")}\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): DrillArgs {
  const args: DrillArgs = { stack: "", scenarios: [], chosen: false, runs: 1, json: false, baseline: true, keep: false, skipped: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--stack") args.stack = argv[++i] ?? usage("--stack needs a value");
    else if (arg === "--scenario") {
      for (const id of (argv[++i] ?? usage("--scenario needs a value")).split(",")) {
        args.scenarios.push(findScenario(id) ?? usage(`unknown scenario: ${id}`));
      }
    } else if (arg === "--suite") {
      const suite = argv[++i] ?? usage("--suite needs a value, e.g. day2");
      const members = SCENARIOS.filter((s) => s.suite === suite);
      if (members.length === 0) usage(`unknown suite: ${suite} (known: ${[...new Set(SCENARIOS.flatMap((s) => (s.suite ? [s.suite] : [])))].join(", ")})`);
      args.scenarios.push(...members);
    } else if (arg === "--runs") {
      args.runs = Number(argv[++i]);
      if (!Number.isInteger(args.runs) || args.runs < 1) usage("--runs must be a whole number >= 1");
    } else if (arg === "--json") args.json = true;
    else if (arg === "--no-baseline") args.baseline = false;
    else if (arg === "--security") args.security = true;
    else if (arg === "--no-security") args.security = false;
    else if (arg === "--keep") args.keep = true;
    else if (arg === "--report") args.report = argv[++i] ?? usage("--report needs a file name, e.g. drill.html");
    else usage(`unknown argument: ${arg}`);
  }
  if (!args.stack) usage("--stack is required");
  args.chosen = args.scenarios.length > 0;
  // Opt-in suites (the slow day-2 drills) run only when named.
  args.scenarios = args.chosen ? SCENARIOS.filter((s) => args.scenarios.includes(s)) : SCENARIOS.filter((s) => !s.suite);
  const unavailable = insidePrivateNamespace() ? undefined : privateNamespaceUnavailable();
  if (unavailable) {
    const needing = args.scenarios.filter((s) => s.needsNetworkNamespace);
    if (args.chosen && needing.length > 0) usage(`${needing.map((s) => s.id).join(", ")}: ${unavailable}`);
    args.skipped = needing.map((s) => ({ id: s.id, reason: unavailable }));
    args.scenarios = args.scenarios.filter((s) => !s.needsNetworkNamespace);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const progress = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);
  try {
    const { platform, tlsEnabled } = stackConfig(args.stack);
    if (args.security && !tlsEnabled) usage(`--security: stack ${args.stack} runs without TLS (tlsEnabled is false), so there is nothing to refuse`);
    const security = args.security ?? (tlsEnabled && !args.chosen);
    const elsewhere = args.scenarios.filter((s) => s.platforms && !s.platforms.includes(platform));
    if (elsewhere.length > 0 && args.chosen) usage(`${elsewhere.map((s) => s.id).join(", ")} cannot drill a ${platform} stack (only ${elsewhere[0].platforms!.join(", ")})`);
    if (elsewhere.length > 0 && !insidePrivateNamespace()) progress(`drill ${args.stack}: skipping ${elsewhere.map((s) => s.id).join(", ")} (not for ${platform} stacks)`);
    args.scenarios = args.scenarios.filter((s) => !elsewhere.includes(s));
    const why = platform === "kubernetes" ? "masters have DNS identities" : args.scenarios.some((s) => s.needsNetworkNamespace) ? "partition scenarios selected" : undefined;
    if (why && !insidePrivateNamespace()) {
      progress(`drill ${args.stack}: ${why}; re-running inside a private network namespace (unshare --net --mount)`);
      process.exitCode = await rerunInPrivateNamespace();
      return;
    }
    progress(`drill ${args.stack}: ${args.scenarios.map((s) => s.id).join(", ")}; ${args.runs} run(s)` + (args.baseline ? `; baseline ${JSON.stringify(SEAWEEDFS_DEFAULTS)}` : ""));
    const report = await runDrill({
      stack: args.stack,
      scenarios: args.scenarios,
      runs: args.runs,
      baseline: args.baseline,
      keep: args.keep,
      separateUids: insidePrivateNamespace(),
      timelines: args.report !== undefined,
      skipped: args.skipped,
      security,
      progress,
    });
    if (args.report) {
      fs.writeFileSync(args.report, renderDrillReportHtml(report));
      progress(`report written to ${args.report}`);
    }
    // Timelines feed the HTML report only; the JSON stays a summary.
    if (args.json) console.log(JSON.stringify({ ...report, timelines: undefined }, null, 2));
    else console.log(renderDrillReportText(report));
    process.exitCode = report.passed ? 0 : 1;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StackFileError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`drill failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
