/**
 * The offline plan of a stack: its config validated, then the real program run under mocks, summarised in the
 * JSON contract of `npm run plan -- --json` (stack, quorum, masters, azLoss, resources, outputs).
 */
import { parseConfig, projectKeys, PROJECT } from "../../infra/config";
import type { AzLoss } from "../../infra/topology";
import { ProgramRun, RecordedResource, runUnderMocks } from "./mockGraph";
import { readStackConfig } from "./stackFiles";
import program = require("../../infra/index");

export interface PlannedMaster {
  slot: number;
  name: string;
  az: string;
  ip: string;
  subnetCidr: string;
}

export interface Plan {
  stack: string;
  environment: string;
  quorum: number;
  toleratedFailures: number;
  masters: PlannedMaster[];
  azLoss: AzLoss[];
  resources: { type: string; name: string; parent?: string }[];
  outputs: Record<string, unknown>;
}

/** The stack's program under mocks; `previousSlots` stands in for the outputs of its last deployment. */
export async function runStack(stack: string, previousSlots?: unknown[]): Promise<ProgramRun & { config: ReturnType<typeof parseConfig> }> {
  const stackConfig = readStackConfig(stack);
  const config = parseConfig(projectKeys(stackConfig.config), { stack });
  const run = await runUnderMocks(program, {
    project: PROJECT,
    stack,
    config: stackConfig.config,
    secretKeys: stackConfig.secretKeys,
    stackOutputs: previousSlots ? { [stack]: { slots: previousSlots } } : {},
  });
  return { ...run, config };
}

function parentName(resources: readonly RecordedResource[], r: RecordedResource): string | undefined {
  const parent = resources.find((p) => p.urn === r.parentUrn);
  return parent && parent.type !== "pulumi:pulumi:Stack" ? `${parent.type}::${parent.name}` : undefined;
}

export async function buildPlan(stack: string, previousSlots?: unknown[]): Promise<Plan> {
  const run = await runStack(stack, previousSlots);
  const { topology } = run.config;
  const outputs = Object.fromEntries(
    Object.entries(run.outputs).map(([k, v]) => [k, run.secretOutputs.includes(k) ? "[secret]" : v]),
  );
  return {
    stack,
    environment: run.config.environment,
    quorum: topology.quorum,
    toleratedFailures: topology.toleratedFailures,
    masters: topology.slots.map((s) => ({ slot: s.slot, name: s.name, az: s.az, ip: s.ip, subnetCidr: s.subnet.cidr })),
    azLoss: topology.azLoss,
    resources: run.resources
      .filter((r) => r.type !== "pulumi:pulumi:Stack")
      .map((r) => ({ type: r.type, name: r.name, ...(parentName(run.resources, r) ? { parent: parentName(run.resources, r) } : {}) })),
    outputs,
  };
}
