/**
 * `npm run bench -- [--stack <name>] [--runs K] [--budget <file>] [--stacks-dir <dir>] [--json]`
 *
 * The failover benchmark gate. Starts two real local master clusters (loopback only): the stack's rendered
 * configuration and the same masters on SeaweedFS defaults (goraft, 10 s election timeout). Then K times, on both
 * at the same moment, the leader-kill drill (scenario b of `npm run drill`): SIGKILL the leader, time the new
 * leader and writes back through a follower, bring the old leader back. Judges the medians against the failover
 * budget (bench/failover-budget.yaml, where every threshold is explained); --stack and --runs override its values.
 * --stacks-dir reads Pulumi.<stack>.yaml from another directory: a variant of a stack, to see the gate fail on it.
 * A stack with mutual TLS (tlsEnabled) runs a third cluster beside them: the same masters without TLS, killed at the
 * same moments, so the report gives what TLS costs a failover from one run and the budget gates it (`tls`).
 *
 * Progress lines go to stdout (stderr with --json). Exit codes: 0 within budget, 1 over budget or a drill failed,
 * 2 bad usage, stack config or budget file.
 */
import { ConfigError } from "../infra/config";
import type { StackSettings } from "../infra/platforms";
import { SEAWEEDFS_VERSION } from "../infra/seaweed/constants";
import { BudgetError, BUDGET_FILE, judge, judgeTls, Medians, readBudget, Side, TlsVerdict, Verdict } from "./lib/bench/budget";
import { stackConfig } from "./lib/cluster/plan";
import { leaderKill } from "./lib/drill/leaderKill";
import { SEAWEEDFS_DEFAULTS } from "./lib/drill/runner";
import { recover, steadyLeader } from "./lib/drill/steps";
import { stabilityWindowMs } from "./lib/rollout/engine";
import { LocalCluster, RaftOverride } from "./lib/localCluster";
import { StackFileError } from "./lib/stackFiles";
import { formatTable } from "./lib/table";

interface BenchArgs {
  stack?: string;
  runs?: number;
  budget: string;
  stacksDir?: string;
  json: boolean;
}

/** The `--json` contract of `npm run bench`: fields are only ever added. */
interface BenchReport extends Verdict {
  stack: string;
  seaweedfsVersion: string;
  runs: number;
  budgetFile: string;
  configurations: { stack: Side; defaults: Side };
  /** A TLS stack only (else null): the same masters without TLS, side by side, and the verdict on the difference. */
  tls: (TlsVerdict & { withoutTls: Side }) | null;
}

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run bench -- [--stack <dev|staging|prod|...>] [--runs K] [--budget <file>] [--stacks-dir <dir>] [--json]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { budget: BUDGET_FILE, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--stack") args.stack = argv[++i] ?? usage("--stack needs a value");
    else if (arg === "--runs") {
      args.runs = Number(argv[++i]);
      if (!Number.isInteger(args.runs) || args.runs < 1) usage("--runs must be a whole number >= 1");
    } else if (arg === "--budget") args.budget = argv[++i] ?? usage("--budget needs a file");
    else if (arg === "--stacks-dir") args.stacksDir = argv[++i] ?? usage("--stacks-dir needs a directory");
    else if (arg === "--json") args.json = true;
    else usage(`unknown argument: ${arg}`);
  }
  return args;
}

interface Contender {
  label: string;
  raft?: RaftOverride;
  /** Mutual TLS on its gRPC channels. @default the stack's tlsEnabled */
  tls?: boolean;
  cluster?: LocalCluster;
  side: Side;
}

/**
 * One leader kill on a contender's cluster, recorded in its side: after bringing every process back, and once the
 * cluster has held still for `holdMs` (the rollout engine's stability window for the stack's raft settings), so that
 * the kill measures a failover, not a vote that the master restarted by the previous round was still going to start
 * (seen: runs right after a slow rejoin took 2.7 and 3.5 s instead of 0.5-1 s).
 */
async function killLeader(contender: Contender, run: number, holdMs: number, progress: (line: string) => void): Promise<void> {
  const cluster = contender.cluster!;
  const step = (line: string) => progress(`${contender.label} run ${run}: ${line}`);
  try {
    await recover(cluster);
    await steadyLeader(cluster, holdMs);
    const measured = await leaderKill.run({ cluster, step });
    contender.side.newLeaderMs.push(measured.newLeaderMs!);
    contender.side.writesBackMs.push(measured.writesBackMs!);
  } catch (error) {
    contender.side.failures.push(`run ${run}: ${error instanceof Error ? error.message : String(error)}`);
    step(`FAILED: ${contender.side.failures.at(-1)}`);
  }
}

async function bench(stack: string, config: StackSettings, runs: number, budgetFile: string, progress: (line: string) => void): Promise<BenchReport> {
  const budget = readBudget(budgetFile);
  const contenders: Contender[] = [
    { label: stack, side: { raft: { heartbeatInterval: "", electionTimeout: "" }, newLeaderMs: [], writesBackMs: [], failures: [] } },
    { label: "SeaweedFS defaults", raft: SEAWEEDFS_DEFAULTS, side: { raft: { heartbeatInterval: "", electionTimeout: "" }, newLeaderMs: [], writesBackMs: [], failures: [] } },
    ...(config.tlsEnabled ? [{ label: `${stack} without TLS`, tls: false, side: { raft: { heartbeatInterval: "", electionTimeout: "" }, newLeaderMs: [], writesBackMs: [], failures: [] } }] : []),
  ];
  try {
    // One after the other: each picks a free loopback network, which the other could otherwise pick too.
    for (const c of contenders) {
      progress(`${c.label}: starting ${stack}'s masters${c.raft ? ` with ${JSON.stringify(c.raft)}` : ""}`);
      // The defaults side is SeaweedFS as shipped: no watchdog beside its masters.
      c.cluster = await LocalCluster.start({ stack, config, raft: c.raft, tls: c.tls, watchdog: c.raft ? false : undefined, log: (line) => progress(`${c.label}: ${line}`) });
      c.side.raft = { ...c.cluster.plan.settings.raft };
    }
    // The same window on both sides (the stack's), so that both kills still come at about the same moment.
    const holdMs = stabilityWindowMs(contenders[0].side.raft);
    for (let run = 1; run <= runs; run++) {
      // Side by side: every cluster loses its leader at about the same moment, so load on the machine hits all alike.
      await Promise.all(contenders.map((c) => killLeader(c, run, holdMs, progress)));
    }
  } finally {
    await Promise.all(contenders.map((c) => c.cluster?.stop()));
  }
  const [mine, defaults, withoutTls] = contenders.map((c) => c.side);
  const verdict = judge(budget, mine, defaults);
  const tls = withoutTls ? { ...judgeTls(budget, mine, withoutTls), withoutTls } : null;
  return { stack, seaweedfsVersion: SEAWEEDFS_VERSION, runs, budgetFile, configurations: { stack: mine, defaults }, ...verdict, passed: verdict.passed && (tls?.passed ?? true), tls };
}

function printReport(report: BenchReport): void {
  const seconds = (values: number[]) => values.map((v) => (v / 1000).toFixed(2)).join(" ");
  const median = (s: { median: number } | null) => (s ? (s.median / 1000).toFixed(2) : "-");
  const row = (name: string, side: Side, spreads: Medians) => [
    name,
    `${side.raft.heartbeatInterval} / ${side.raft.electionTimeout}`,
    `${median(spreads.newLeaderMs)} (${seconds(side.newLeaderMs)})`,
    `${median(spreads.writesBackMs)} (${seconds(side.writesBackMs)})`,
  ];
  const out = [
    "",
    `Failover bench, leader kill x${report.runs} on ${report.stack}'s masters (SeaweedFS ${report.seaweedfsVersion}), budget ${report.budgetFile}`,
    formatTable(
      ["configuration", "heartbeat / election", "new leader s: median (runs)", "writes back s: median (runs)"],
      [
        row(`${report.stack} (rendered${report.tls ? ", mutual TLS" : ""})`, report.configurations.stack, report.spreads.stack),
        row("SeaweedFS defaults", report.configurations.defaults, report.spreads.defaults),
        ...(report.tls ? [row(`${report.stack} without TLS`, report.tls.withoutTls, report.tls.spreads.withoutTls)] : []),
      ],
    ),
    "",
    ...[...report.checks, ...(report.tls?.checks ?? [])].map((c) => `  ${c.passed ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`),
    "",
    report.passed ? "WITHIN BUDGET" : "OVER BUDGET",
  ];
  console.log(out.join("\n"));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const progress = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);
  try {
    const budget = readBudget(args.budget);
    const stack = args.stack ?? budget.stack;
    const config = stackConfig(stack, args.stacksDir);
    const runs = args.runs ?? budget.runs;
    progress(`bench ${stack}: leader kill x${runs} beside SeaweedFS defaults ${JSON.stringify(SEAWEEDFS_DEFAULTS)}`);
    const report = await bench(stack, config, runs, args.budget, progress);
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report);
    process.exitCode = report.passed ? 0 : 1;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StackFileError || error instanceof BudgetError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
