/**
 * The offline plan of a stack: its config validated, then the real program run under mocks, summarised in the
 * JSON contract of `npm run plan -- --json` (stack, quorum, masters, azLoss, resources, outputs, and the policy
 * pack's verdicts in `policy`).
 */
import { ConfigError, projectKeys, PROJECT } from "../../infra/config";
import { parseConfig, parseStackConfig, SeaweedConfig, StackSettings } from "../../infra/platforms";
import { awsNameOf, nameProblem } from "../../infra/aws/physicalNames";
import type { AzLoss } from "../../infra/topology";
import { describeStep, MembershipChange, membershipChangeSince, MembershipStep } from "../../infra/seaweed/membership";
import { AwsTierSummary, summarizeAwsTier } from "./awsTierSummary";
import { KubernetesTierSummary, summarizeKubernetesTier } from "./kubernetesTierSummary";
import { ProgramRun, RecordedResource, runUnderMocks } from "./mockGraph";
import { checkGraph, defaultPackConfigFile, PolicyReport } from "./policyRun";
import { readStackConfigIn } from "./stackFiles";
import program = require("../../infra/index");

export interface PlannedMaster {
  slot: number;
  name: string;
  az: string;
  /** The host part of the master's raft identity: its fixed IP (AWS) or its pod's DNS name (Kubernetes). */
  host: string;
  /** AWS only. */
  ip?: string;
  /** AWS only. */
  subnetCidr?: string;
}

export interface PlannedResource {
  type: string;
  name: string;
  parent?: string;
  awsName: string | null;
}

export interface Plan {
  stack: string;
  /** `aws` or `kubernetes`. */
  platform: string;
  environment: string;
  quorum: number;
  toleratedFailures: number;
  masters: PlannedMaster[];
  azLoss: AzLoss[];
  /**
   * Every registered resource; `awsName` is the physical name AWS will see (for a type Pulumi auto-names, the
   * logical name plus a 7-character placeholder suffix), null for a type without an AWS name (Kubernetes objects).
   */
  resources: PlannedResource[];
  /** AWS stacks: the master tier's key facts: groups, interfaces and IPs, encrypted volumes, load balancer and health checks. */
  awsTier?: AwsTierSummary;
  /** Kubernetes stacks: the StatefulSet's key facts: replicas, pod management, zone spread, probes, PDB, services. */
  kubernetesTier?: KubernetesTierSummary;
  outputs: Record<string, unknown>;
  /** The policy pack run on the recorded graph: verdict per policy and every violation. */
  policy: PolicyReport;
  /**
   * With `--previous`: a `masterCount` change against that deployment is a raft membership change, with the exact
   * steps to run (docs/runbooks/scaling.md); absent when the member count is unchanged or nothing was given.
   */
  membershipChange?: PlannedMembershipChange;
}

/** A {@link MembershipChange} with the new peer list and a printable line per step. */
export interface PlannedMembershipChange extends Omit<MembershipChange, "steps"> {
  /** The `-peers` value every master runs after the change. */
  peers: string;
  /** In order; `description` is the line the text output prints. */
  steps: (MembershipStep & { description: string })[];
}

function plannedMembershipChange(previousSlots: unknown[] | undefined, config: StackSettings, masters: readonly PlannedMaster[]): PlannedMembershipChange | undefined {
  const previous = (previousSlots ?? []).filter((s): s is { slot: number; host?: unknown; ip?: unknown } => typeof (s as { slot?: unknown }).slot === "number");
  const change = membershipChangeSince(previous.map((s) => s.slot), config.masterCount);
  if (!change) return undefined;
  const peers = masters.map((m) => `${m.host}:${config.httpPort}`).join(",");
  const addressOf = (slot: number) => {
    const host = masters.find((m) => m.slot === slot)?.host ?? [previous.find((p) => p.slot === slot)].map((p) => p?.host ?? p?.ip)[0];
    return typeof host === "string" ? `${host}:${config.httpPort}` : undefined;
  };
  const { steps, ...facts } = change;
  return { ...facts, peers, steps: steps.map((step) => ({ ...step, description: describeStep(step, peers, addressOf) })) };
}

/** Where a plan reads its stack and policy config from. */
export interface PlanOptions {
  /** A directory of `Pulumi.<stack>.yaml` files to use instead of the repository's stacks/. */
  stacksDir?: string;
  /** The policy pack config; default policies/config.<stack>.json, else the environment's file. */
  policyConfigFile?: string;
}

/** The program of a stack of either platform under mocks; `previousSlots` stands in for its last deployment's outputs. */
export async function runAnyStack(stack: string, previousSlots?: unknown[], stacksDir?: string): Promise<ProgramRun & { config: StackSettings }> {
  const stackConfig = readStackConfigIn(stack, stacksDir);
  const config = parseStackConfig(projectKeys(stackConfig.config), { stack, region: stackConfig.config["aws:region"] });
  const run = await runUnderMocks(program, {
    project: PROJECT,
    stack,
    config: stackConfig.config,
    secretKeys: stackConfig.secretKeys,
    stackOutputs: previousSlots ? { [stack]: { slots: previousSlots } } : {},
  });
  return { ...run, config };
}

/** An AWS stack's program under mocks (see {@link runAnyStack}); a Kubernetes stack is refused by its platform key. */
export async function runStack(stack: string, previousSlots?: unknown[], stacksDir?: string): Promise<ProgramRun & { config: SeaweedConfig }> {
  const stackConfig = readStackConfigIn(stack, stacksDir);
  parseConfig(projectKeys(stackConfig.config), { stack });
  return (await runAnyStack(stack, previousSlots, stacksDir)) as ProgramRun & { config: SeaweedConfig };
}

function plannedMasters(config: StackSettings, outputs: Record<string, unknown>): PlannedMaster[] {
  if (config.platform === "aws") {
    return config.topology.slots.map((s) => ({ slot: s.slot, name: s.name, az: s.az, host: s.ip, ip: s.ip, subnetCidr: s.subnet.cidr }));
  }
  const hosts = (outputs.slots as { slot: number; name: string; host: string }[]) ?? [];
  return config.topology.slots.map((s) => {
    const out = hosts.find((h) => h.slot === s.slot)!;
    return { slot: s.slot, name: out.name, az: s.az, host: out.host };
  });
}

function parentName(resources: readonly RecordedResource[], r: RecordedResource): string | undefined {
  const parent = resources.find((p) => p.urn === r.parentUrn);
  return parent && parent.type !== "pulumi:pulumi:Stack" ? `${parent.type}::${parent.name}` : undefined;
}

/** Refuses (ConfigError on clusterName, which every name derives from) any physical name AWS would refuse. */
function checkPhysicalNames(clusterName: string, resources: readonly RecordedResource[]): void {
  const issues = resources.flatMap((r) => {
    const awsName = awsNameOf(r.type, r.name, r.inputs);
    const problem = awsName === null ? undefined : nameProblem(r.type, awsName);
    return problem ? [{ key: "clusterName", value: clusterName, message: `${r.type} ${r.name} would be named "${awsName}" in AWS, which ${problem}`, fix: "choose a shorter clusterName" }] : [];
  });
  if (issues.length > 0) throw new ConfigError(issues);
}

export async function buildPlan(stack: string, previousSlots?: unknown[], options: PlanOptions = {}): Promise<Plan> {
  const run = await runAnyStack(stack, previousSlots, options.stacksDir);
  const { config } = run;
  if (config.platform === "aws") checkPhysicalNames(config.clusterName, run.resources);
  const { topology } = config;
  const outputs = Object.fromEntries(
    Object.entries(run.outputs).map(([k, v]) => [k, run.secretOutputs.includes(k) ? "[secret]" : v]),
  );
  return {
    stack,
    platform: config.platform,
    environment: config.environment,
    quorum: topology.quorum,
    toleratedFailures: topology.toleratedFailures,
    masters: plannedMasters(config, run.outputs),
    azLoss: topology.azLoss,
    resources: run.resources
      .filter((r) => r.type !== "pulumi:pulumi:Stack")
      .map((r) => ({
        type: r.type,
        name: r.name,
        ...(parentName(run.resources, r) ? { parent: parentName(run.resources, r) } : {}),
        awsName: awsNameOf(r.type, r.name, r.inputs),
      })),
    ...(config.platform === "aws"
      ? { awsTier: summarizeAwsTier(run.resources, (slot) => topology.slots.find((s) => s.slot === slot)?.az) }
      : { kubernetesTier: summarizeKubernetesTier(run.resources) }),
    outputs,
    policy: await checkGraph(run.resources, options.policyConfigFile ?? defaultPackConfigFile(stack, run.config.environment)),
    ...optional("membershipChange", plannedMembershipChange(previousSlots, config, plannedMasters(config, run.outputs))),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
