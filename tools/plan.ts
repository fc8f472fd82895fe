/**
 * `npm run plan -- --stack <name> [--json] [--previous <plan.json>] [--policy-config <file>] [--stacks-dir <dir>]`
 *
 * Runs the real Pulumi program under Pulumi's mocks with the stack's config (Pulumi.yaml defaults plus
 * stacks/Pulumi.<name>.yaml, as the engine would) and prints what it would deploy: the master slots, quorum, the
 * zone-loss table, every registered resource grouped by component, the stack outputs and the policy pack's verdicts
 * (policies/config.<stack>.json, else the environment's file). No cloud account, no Pulumi CLI.
 * Exit codes: 0 ok, 2 invalid config or usage, 3 a mandatory policy is violated.
 *
 * --previous takes the JSON of an earlier plan (or the stack's outputs) and refuses a change that moves a slot; a
 * masterCount change against it is reported as a raft membership change with its steps (`membershipChange` in --json),
 * and a scale-in is refused until the leaving slots are out of raft (`slotsRemovedFromRaft`).
 * --policy-config runs the pack with another config file; --stacks-dir reads Pulumi.<stack>.yaml from another directory.
 */
import * as fs from "node:fs";
import { ConfigError, PROJECT } from "../infra/config";
import { buildPlan, Plan } from "./lib/plan";
import { mandatoryViolations, PolicyConfigError, PolicyReport, readPackConfig, validatePackConfig } from "./lib/policyRun";
import { StackFileError } from "./lib/stackFiles";
import { formatTable } from "./lib/table";

interface PlanArgs {
  stack: string;
  json: boolean;
  previous?: string;
  policyConfig?: string;
  stacksDir?: string;
}

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run plan -- --stack <dev|staging|prod|...> [--json] [--previous <plan.json>] [--policy-config <file>] [--stacks-dir <dir>]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): PlanArgs {
  const args: Partial<PlanArgs> = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") args.json = true;
    else if (arg === "--stack") args.stack = argv[++i];
    else if (arg === "--previous") args.previous = argv[++i];
    else if (arg === "--policy-config") args.policyConfig = argv[++i];
    else if (arg === "--stacks-dir") args.stacksDir = argv[++i];
    else usage(`unknown argument: ${arg}`);
  }
  if (!args.stack) usage("--stack is required");
  return args as PlanArgs;
}

function previousSlotsFrom(file: string): unknown[] {
  const data = JSON.parse(fs.readFileSync(file, "utf8")) as { masters?: unknown[]; outputs?: { slots?: unknown[] }; slots?: unknown[] };
  const slots = data.outputs?.slots ?? data.slots ?? data.masters;
  if (!Array.isArray(slots)) usage(`${file} holds no slots (expected a plan --json output or stack outputs)`);
  return slots;
}

function printSummary(plan: Plan): void {
  const out: string[] = [];
  out.push(`Stack ${plan.stack} (${plan.platform === "aws" ? "" : `${plan.platform}, `}${plan.environment}): ${plan.masters.length} masters, quorum ${plan.quorum}, tolerates ${plan.toleratedFailures} failed master(s)`);
  out.push("", "Master slots:");
  out.push(
    plan.platform === "aws"
      ? formatTable(["slot", "name", "zone", "ip", "subnet"], plan.masters.map((m) => [m.slot, m.name, m.az, m.ip ?? "", m.subnetCidr ?? ""]))
      : formatTable(["slot", "pod", "zone", "raft identity host"], plan.masters.map((m) => [m.slot, m.name, m.az, m.host])),
  );
  out.push("", plan.platform === "aws" ? "Loss of one availability zone:" : "Loss of one zone (the hard spread allows at most these counts per zone):");
  out.push(formatTable(["zone", "masters lost", "remaining", "quorum kept"], plan.azLoss.map((r) => [r.az, r.lost, r.remaining, r.quorumKept ? "yes" : "NO"])));
  out.push("", `Resources (${plan.resources.length}):`);
  const byParent = new Map<string, typeof plan.resources>();
  for (const r of plan.resources) byParent.set(r.parent ?? "(stack)", [...(byParent.get(r.parent ?? "(stack)") ?? []), r]);
  for (const [parent, children] of byParent) {
    out.push(`  ${parent}`);
    for (const c of children) out.push(`    ${c.type}  ${c.name}`);
  }
  out.push("", "Outputs:");
  for (const [name, value] of Object.entries(plan.outputs)) {
    out.push(`  ${name}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  if (plan.membershipChange) {
    const change = plan.membershipChange;
    out.push("", `Membership change against --previous: ${change.from} -> ${change.to} masters (${change.kind}); not a plain diff, run these steps one at a time (docs/runbooks/scaling.md):`);
    out.push(...change.steps.map((s, i) => `  ${i + 1}. ${s.description}`));
  }
  out.push("", ...policySummary(plan.policy));
  console.log(out.join("\n"));
}

function policySummary(report: PolicyReport): string[] {
  const out = [`Policies (pack ${report.pack}, config ${report.configFile ?? "none"}):`];
  out.push(formatTable(["policy", "level", "verdict"], report.verdicts.map((v) => [v.policy, v.enforcementLevel, v.verdict === "fail" ? `FAIL (${v.violations})` : v.verdict])));
  if (report.violations.length > 0) out.push("", `Policy violations (${report.violations.length}):`);
  for (const v of report.violations) out.push(`  [${v.enforcementLevel}] ${v.policy}: ${v.message}${v.resource ? `\n      at ${v.resource}` : ""}`);
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  try {
    if (args.policyConfig) validatePackConfig(readPackConfig(args.policyConfig));
    const plan = await buildPlan(args.stack, args.previous ? previousSlotsFrom(args.previous) : undefined, {
      stacksDir: args.stacksDir,
      policyConfigFile: args.policyConfig,
    });
    if (args.json) console.log(JSON.stringify(plan, null, 2));
    else printSummary(plan);
    const mandatory = mandatoryViolations(plan.policy);
    if (mandatory.length > 0) {
      const names = [...new Set(mandatory.map((v) => v.policy))];
      process.stderr.write(`${mandatory.length} mandatory policy violation(s): ${names.join(", ")}\n`);
      process.exitCode = 3;
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StackFileError || error instanceof PolicyConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`plan failed for ${PROJECT}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
