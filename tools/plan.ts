/**
 * `npm run plan -- --stack <name> [--json] [--previous <plan.json>]`
 *
 * Runs the real Pulumi program under Pulumi's mocks with the stack's config (Pulumi.yaml defaults plus
 * stacks/Pulumi.<name>.yaml, as the engine would) and prints what it would deploy: the master slots, quorum, the
 * zone-loss table, every registered resource grouped by component, and the stack outputs. No cloud account, no
 * Pulumi CLI. Exit codes: 0 ok, 2 invalid config or usage.
 *
 * --previous takes the JSON of an earlier plan (or the stack's outputs) and refuses a change that moves a slot.
 */
import * as fs from "node:fs";
import { ConfigError, PROJECT } from "../infra/config";
import { buildPlan, Plan } from "./lib/plan";
import { StackFileError } from "./lib/stackFiles";
import { formatTable } from "./lib/table";

interface PlanArgs {
  stack: string;
  json: boolean;
  previous?: string;
}

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run plan -- --stack <dev|staging|prod|...> [--json] [--previous <plan.json>]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): PlanArgs {
  const args: Partial<PlanArgs> = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") args.json = true;
    else if (arg === "--stack") args.stack = argv[++i];
    else if (arg === "--previous") args.previous = argv[++i];
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
  out.push(`Stack ${plan.stack} (${plan.environment}): ${plan.masters.length} masters, quorum ${plan.quorum}, tolerates ${plan.toleratedFailures} failed master(s)`);
  out.push("", "Master slots:");
  out.push(formatTable(["slot", "name", "zone", "ip", "subnet"], plan.masters.map((m) => [m.slot, m.name, m.az, m.ip, m.subnetCidr])));
  out.push("", "Loss of one availability zone:");
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
  console.log(out.join("\n"));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  try {
    const plan = await buildPlan(args.stack, args.previous ? previousSlotsFrom(args.previous) : undefined);
    if (args.json) console.log(JSON.stringify(plan, null, 2));
    else printSummary(plan);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StackFileError) {
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
