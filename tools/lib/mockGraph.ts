/**
 * Runs the Pulumi program in-process under Pulumi's mocks and records the resource graph it registers: type, name,
 * parent, inputs, options and dependencies. The offline plan, the unit tests and the policy pack all read this
 * graph; no Pulumi CLI, engine, provider plugin or cloud credential is involved.
 */
import * as pulumi from "@pulumi/pulumi";
import { MOCK_ORGANIZATION, mockCall, mockState } from "./mockCloud";

/** One registered resource as the engine would have seen it. */
export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent; undefined for the stack itself. */
  parentUrn?: string;
  custom: boolean;
  /** Inputs as the program passed them (secrets unwrapped). */
  inputs: Record<string, unknown>;
  /** Inputs plus the mocked provider outputs. */
  state: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  ignoreChanges: string[];
  deleteBeforeReplace: boolean;
  /** Outputs the engine is asked to keep secret in the state. */
  additionalSecretOutputs: string[];
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
}

export interface ProgramRun {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  /** Output names whose value is a secret. */
  secretOutputs: string[];
}

export interface MockRunOptions {
  project: string;
  stack: string;
  /** The full engine config map (`project:key` -> string form). */
  config: Record<string, string>;
  secretKeys?: string[];
  /** Outputs of stacks the program references (including itself), by stack name. */
  stackOutputs?: Record<string, Record<string, unknown>>;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getAdditionalsecretoutputsList(): string[];
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { entries(): { next(): { done: boolean; value?: [string, { getUrnsList(): string[] }] } } };
}

/** The request's property -> dependency URNs map (a jspb map of messages, whose `toObject()` asserts). */
function propertyDependenciesOf(req: RegisterRequest): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const entries = req.getPropertydependenciesMap().entries();
  for (let entry = entries.next(); !entry.done && entry.value; entry = entries.next()) result[entry.value[0]] = entry.value[1].getUrnsList();
  return result;
}

/**
 * Runs `program` as the stack's program under mocks and returns every registered resource and the stack outputs.
 * Each call starts from a fresh mock monitor, so one process can run several stacks one after another.
 */
export async function runUnderMocks(program: () => Promise<Record<string, unknown>>, options: MockRunOptions): Promise<ProgramRun> {
  const recorded = new Map<string, RecordedResource>();
  const options_: Map<string, Partial<RecordedResource>> = new Map();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const state = mockState(args.type, args.name, args.inputs, options.stackOutputs ?? {});
        recorded.set(`${args.type}::${args.name}`, {
          urn: "",
          type: args.type,
          name: args.name,
          custom: args.custom ?? true,
          inputs: args.inputs,
          state: state.state,
          protect: false,
          retainOnDelete: false,
          ignoreChanges: [],
          deleteBeforeReplace: false,
          additionalSecretOutputs: [],
          dependencies: [],
          propertyDependencies: {},
        });
        return state;
      },
      call: (args) => mockCall(args.token, args.inputs),
    },
    options.project,
    options.stack,
    false,
    MOCK_ORGANIZATION,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, callback: (err: unknown, resp: { getUrn(): string }) => void): Promise<void>;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    register(req, (err, resp) => {
      if (!err) {
        options_.set(`${req.getType()}::${req.getName()}`, {
          urn: resp.getUrn(),
          parentUrn: req.getParent() || undefined,
          custom: req.getCustom(),
          protect: req.getProtect(),
          retainOnDelete: req.getRetainondelete(),
          ignoreChanges: req.getIgnorechangesList(),
          deleteBeforeReplace: req.getDeletebeforereplace(),
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          dependencies: req.getDependenciesList(),
          propertyDependencies: propertyDependenciesOf(req),
        });
      }
      callback(err, resp);
    });
  pulumi.runtime.setAllConfig(options.config, options.secretKeys ?? []);

  // Pulumi captures a stack trace for every promise it tracks and every resource it registers (debuggable.js,
  // resource.js); with tsx's source maps on, formatting each one costs a source-map lookup, which was about a fifth
  // of a prod plan's time. Off for the run: messages are unchanged, only a stack's positions point at tsx's output.
  const sourceMaps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  let stackOutputs: Record<string, unknown> | undefined;
  try {
    stackOutputs = await pulumi.runtime.runInPulumiStack(program);
    await pulumi.runtime.disconnect();
  } finally {
    process.setSourceMapsEnabled(sourceMaps);
  }
  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [name, value] of Object.entries(stackOutputs ?? {})) {
    if (pulumi.Output.isInstance(value)) {
      if (await pulumi.isSecret(value)) secretOutputs.push(name);
      outputs[name] = await new Promise((resolve) => value.apply(resolve));
    } else {
      outputs[name] = value;
    }
  }
  const resources = [...recorded.entries()].map(([id, r]) => ({ ...r, ...options_.get(id) }) as RecordedResource);
  return { resources, outputs, secretOutputs };
}

/** The resource's parent in the recorded graph. */
export function parentOf(resources: readonly RecordedResource[], resource: RecordedResource): RecordedResource | undefined {
  return resources.find((r) => r.urn === resource.parentUrn);
}
