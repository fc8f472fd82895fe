/**
 * `npm run rollout -- --stack <name> [--dry-run] [--json] [--lb <url>] [--no-leader-transfer] [--slots 0,2]
 *   [--stable-seconds N] [--gate-timeout-seconds N] [--endpoint <url>] [--region <region>]`
 *
 * Rolls an AWS stack's masters onto their current launch templates after `pulumi up` changed them (a new SeaweedFS
 * binary, AMI or flag): one slot at a time, followers first and the leader last (after a raft leadership transfer),
 * each instance replaced through its Auto Scaling group (terminated without decrementing the desired capacity) and
 * every step gated on the masters' own answers (tools/lib/rollout/gates.ts). It refuses to start on an unhealthy
 * tier and stops at the first gate that does not come back. Run it where the masters' private addresses are
 * reachable (HTTP port, and the gRPC port for the leadership transfer), e.g. a runner inside the VPC.
 *   --dry-run   prints the order and the gates, touches nothing (no AWS credentials needed)
 *   --json      one object on stdout (the RolloutCliReport contract; progress lines go to stderr)
 *   --lb        base URL of the load-balanced path for the write gate (e.g. http://<NLB DNS name>:9333), or `stack`
 *               for the stack's own load balancer alias (masters.<private zone>) on the masters' HTTP port, as the
 *               program names it (the deploy workflow uses this); default: the masters in turn (each proxies
 *               /dir/assign to the leader, as the NLB's targets do)
 *   --no-leader-transfer  replace the leader without handing leadership over first (costs an unplanned election)
 *   --endpoint  the Auto Scaling API endpoint (a stand-in such as moto); --region defaults to the stack's aws:region
 * Exit codes: 0 rolled (or dry run), 1 refused or stopped at a gate, 2 bad usage or config.
 * Runbook: docs/runbooks/upgrade.md.
 */
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { ConfigError } from "../infra/config";
import { SeaweedConfig } from "../infra/platforms";
import { loadBalancerDnsName, privateZoneNameOf } from "../infra/aws/naming";
import { clusterSettingsOf } from "../infra/seaweed/cluster";
import { stackConfig } from "./lib/cluster/plan";
import { weedBinary } from "./lib/cluster/weed";
import { awsBackend, awsGateTier, awsSlotsOf } from "./lib/rollout/aws";
import { plannedOrder, RolloutReport, runRollout, stabilityWindowMs } from "./lib/rollout/engine";
import { GATES } from "./lib/rollout/gates";
import { transferLeadershipWithShell } from "./lib/rollout/transfer";
import { readStackConfig, StackFileError } from "./lib/stackFiles";
import { formatTable } from "./lib/table";

interface RolloutArgs {
  stack: string;
  dryRun: boolean;
  json: boolean;
  lb?: string;
  transfer: boolean;
  slots?: number[];
  stableSeconds?: number;
  gateTimeoutSeconds: number;
  endpoint?: string;
  region?: string;
}

/** The `--json` contract of `npm run rollout` (fields are only ever added). */
export interface RolloutCliReport {
  stack: string;
  dryRun: boolean;
  region: string | null;
  /** Every slot the rollout would take (or took), in slot order. */
  slots: { slot: number; az: string; group: string; address: string }[];
  /** The order if the lowest slot led; at run time the slot that leads is always moved last. */
  plannedOrder: number[];
  orderRule: string;
  gates: typeof GATES;
  leadershipTransfer: boolean;
  stableMs: number;
  gateTimeoutMs: number;
  /** Where the write gate writes. */
  writePath: string;
  /** What the rollout did; null for a dry run. */
  rollout: RolloutReport | null;
  passed: boolean;
}

const ORDER_RULE = "one slot at a time: followers in slot order, the slot that leads at that moment last (after a raft leadership transfer when enabled)";

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run rollout -- --stack <name> [--dry-run] [--json] [--lb <url>] [--no-leader-transfer] [--slots 0,2] [--stable-seconds N] [--gate-timeout-seconds N] [--endpoint <url>] [--region <region>]\n`,
  );
  process.exit(2);
}

function positive(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) usage(`${flag} must be a positive number of seconds, got ${JSON.stringify(value)}`);
  return n;
}

function parseArgs(argv: string[]): RolloutArgs {
  const args: RolloutArgs = { stack: "", dryRun: false, json: false, transfer: true, gateTimeoutSeconds: 600 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    if (arg === "--stack") args.stack = value();
    else if (arg === "--dry-run") args.dryRun = true;
    else if (arg === "--json") args.json = true;
    else if (arg === "--lb") args.lb = value().replace(/\/+$/, "");
    else if (arg === "--no-leader-transfer") args.transfer = false;
    else if (arg === "--slots") {
      args.slots = value().split(",").map((s) => Number(s));
      if (args.slots.some((s) => !Number.isInteger(s) || s < 0)) usage(`--slots must list slot numbers, e.g. 0,2`);
    } else if (arg === "--stable-seconds") args.stableSeconds = positive(arg, value());
    else if (arg === "--gate-timeout-seconds") args.gateTimeoutSeconds = positive(arg, value());
    else if (arg === "--endpoint") args.endpoint = value();
    else if (arg === "--region") args.region = value();
    else usage(`unknown argument: ${arg}`);
  }
  if (!args.stack) usage("--stack is required");
  return args;
}

function printPlan(report: RolloutCliReport): void {
  const out = [
    `Rollout of stack ${report.stack}${report.dryRun ? " (dry run: nothing is touched)" : ""}`,
    formatTable(["slot", "zone", "Auto Scaling group", "master"], report.slots.map((s) => [String(s.slot), s.az, s.group, s.address])),
    `order: ${report.orderRule}; e.g. ${report.plannedOrder.join(" -> ")} if slot ${report.plannedOrder[report.plannedOrder.length - 1]} leads`,
    "each step: TerminateInstanceInAutoScalingGroup (ShouldDecrementDesiredCapacity=false), wait for the replacement InService and Healthy, then the gates:",
    ...report.gates.map((g) => `  - ${g.name}: ${g.description}`),
    `the gates must hold for ${report.stableMs / 1000} s with one leader (up to ${report.gateTimeoutMs / 1000} s per step); the rollout refuses to start unless they pass, and stops at the first that does not come back`,
    `leadership transfer before the leader's turn: ${report.leadershipTransfer ? "yes (weed shell cluster.raft.transferLeader)" : "no"}; write gate through ${report.writePath}`,
  ];
  console.log(out.join("\n"));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const progress = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);
  let config: SeaweedConfig;
  let region: string | undefined;
  try {
    const parsed = stackConfig(args.stack);
    if (parsed.platform !== "aws") usage(`stack ${args.stack} is a ${parsed.platform} stack: npm run rollout replaces EC2 instances; roll a StatefulSet with its own RollingUpdate`);
    config = parsed;
    region = args.region ?? readStackConfig(args.stack).config["aws:region"];
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StackFileError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const slots = awsSlotsOf(config).filter((s) => !args.slots || args.slots.includes(s.slot));
  const unknown = (args.slots ?? []).filter((s) => !slots.some((x) => x.slot === s));
  if (unknown.length > 0) usage(`--slots ${unknown.join(",")}: stack ${args.stack} has slots ${awsSlotsOf(config).map((s) => s.slot).join(",")}`);
  // `--lb stack`: the alias the program gives the load balancer (infra/aws/masterTier.ts), reachable inside the VPC.
  if (args.lb === "stack") args.lb = `http://${loadBalancerDnsName(privateZoneNameOf(config.clusterName, config.privateZoneName))}:${config.httpPort}`;
  const stableMs = args.stableSeconds !== undefined ? args.stableSeconds * 1000 : stabilityWindowMs(clusterSettingsOf(config).raft);
  const report: RolloutCliReport = {
    stack: args.stack,
    dryRun: args.dryRun,
    region: region ?? null,
    slots: slots.map(({ slot, az, group, address }) => ({ slot, az, group, address })),
    plannedOrder: plannedOrder(slots.map((s) => s.slot), slots[0]?.slot),
    orderRule: ORDER_RULE,
    gates: GATES,
    leadershipTransfer: args.transfer,
    stableMs,
    gateTimeoutMs: args.gateTimeoutSeconds * 1000,
    writePath: args.lb ?? "each master in turn (no --lb given)",
    rollout: null,
    passed: true,
  };
  if (!args.dryRun) {
    const client = new AutoScalingClient({ region, ...(args.endpoint ? { endpoint: args.endpoint } : {}) });
    const weed = args.transfer ? weedBinary() : undefined;
    const backend = awsBackend({
      client,
      slots,
      transferLeadership: weed ? (leader) => transferLeadershipWithShell(weed, leader.address, process.cwd()) : undefined,
    });
    // Gates see every master of the stack, even when only some slots are rolled.
    const tier = awsGateTier(awsSlotsOf(config), args.lb);
    report.rollout = await runRollout({ tier, backend, transferLeadership: args.transfer, stableMs, gateTimeoutMs: report.gateTimeoutMs, slots: slots.map((s) => s.slot), progress });
    report.passed = report.rollout.passed;
  }
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else {
    printPlan(report);
    if (report.rollout) console.log(`\n${report.rollout.passed ? "PASSED" : "FAILED"}: ${report.rollout.message}`);
  }
  process.exitCode = report.passed ? 0 : 1;
}

void main().catch((error: unknown) => {
  process.stderr.write(`rollout failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
