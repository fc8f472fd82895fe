/**
 * A STAND-IN resource provider plugin for `aws` (and `random`), of this project's own: it serves the program's mock
 * cloud (tools/lib/mockCloud.ts, the same answers `npm run plan` gets under Pulumi's mocks) over the Pulumi
 * resource-provider gRPC protocol, so the real engine and the real policy host can preview the AWS stacks here,
 * where the AWS provider cannot be built and no AWS API may be called. It echoes inputs, invents ids and validates
 * nothing: a preview through it proves nothing about AWS, only that the real program, engine and policy pack agree
 * with the mock-based verdicts (docs/engine.md).
 *
 * Run by the `pulumi-resource-<package>` wrapper that {@link standInAwsWorkspace} installs:
 * `node --import tsx standInAwsProvider.ts <package> <version> <engine address>`.
 * Environment: SEAWEED_STAND_IN_ROOT (the project copy) and SEAWEED_STAND_IN_STACK (the stack previewed), whose
 * stack file answers the subnet lookups, as under mocks.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as provider from "@pulumi/pulumi/provider";
import { mockCall, mockState } from "../mockCloud";
import { readStackConfig } from "../stackFiles";
import { createWorkspace, PulumiWorkspace } from "./pulumi";

/** The name part of a URN (`urn:pulumi:<stack>::<project>::<type chain>::<name>`). */
const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);
/** The resource type token of a URN (the last link of its type chain). */
const urnType = (urn: string): string => {
  const chain = urn.split("::")[2] ?? "";
  return chain.slice(chain.lastIndexOf("$") + 1);
};

export function standInProvider(version: string): provider.Provider {
  return {
    version,
    // Inputs pass as they are: the stand-in validates nothing.
    check: async (_urn, _olds, news) => ({ inputs: news }),
    diff: async (_id, _urn, olds, news) => ({ changes: JSON.stringify(olds) !== JSON.stringify(news) }),
    create: async (urn, inputs) => {
      const { id, state } = mockState(urnType(urn), urnName(urn), inputs as Record<string, unknown>, {});
      return { id, outs: state };
    },
    read: async (id, _urn, props) => ({ id, props }),
    update: async (_id, _urn, _olds, news) => ({ outs: news }),
    delete: async () => {},
    invoke: async (token, inputs) => ({ outputs: mockCall(token, inputs as Record<string, unknown>) }),
  };
}

/**
 * Makes the provider server answer Configure with `supportsPreview`, so the engine calls Create during a preview
 * too and the pack judges the mock cloud's outputs (ARNs, DNS names), as the project's runner does under mocks.
 * Without it, every output is unknown in a preview and policies that read one (IAM documents naming a bucket's ARN)
 * can only report "can't be known during preview". @pulumi/pulumi's server has no option for it, so its gRPC
 * service's configure is wrapped where the server registers it.
 */
function answerPreviews(): void {
  type Callback = (error: unknown, response?: { setSupportspreview(value: boolean): void }) => void;
  type Implementation = { configure(call: unknown, callback: Callback): void };
  // The @grpc/grpc-js instance @pulumi/pulumi's server uses.
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [require.resolve("@pulumi/pulumi")] })) as { Server: { prototype: { addService(service: unknown, implementation: Implementation): void } } };
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (this: unknown, service: unknown, implementation: Implementation) {
    const configure = implementation.configure.bind(implementation);
    implementation.configure = (call, callback) =>
      configure(call, (error, response) => {
        response?.setSupportspreview(true);
        callback(error, response);
      });
    addService.call(this, service, implementation);
  };
}

async function main(): Promise<void> {
  const [pkg, version, ...args] = process.argv.slice(2);
  const root = process.env.SEAWEED_STAND_IN_ROOT;
  const stack = process.env.SEAWEED_STAND_IN_STACK;
  if (!pkg || !version || !root || !stack) {
    throw new Error("usage: SEAWEED_STAND_IN_ROOT=<project> SEAWEED_STAND_IN_STACK=<stack> standInAwsProvider.ts <package> <version> <engine address>");
  }
  // The mock cloud's subnet lookups read the running stack's config, as they do under mocks.
  const { config, secretKeys } = readStackConfig(stack, root);
  pulumi.runtime.setAllConfig(config, secretKeys);
  console.error(`stand-in ${pkg} provider ${version} (mock cloud, validates nothing) for stack ${stack}`);
  answerPreviews();
  await provider.main(standInProvider(version), args);
}

/** The plugin version the program's SDK asks the engine for (`pulumi.version` of the npm package). */
function sdkPluginVersion(pkg: string): string {
  const manifest = JSON.parse(fs.readFileSync(require.resolve(`@pulumi/${pkg}/package.json`), "utf8")) as { pulumi: { version: string } };
  return manifest.pulumi.version;
}

/** The packages the stand-in serves: the AWS stacks use `aws` and `random` (the JWT key's RandomPassword). */
export const STAND_IN_PACKAGES = ["aws", "random"];

/**
 * A Pulumi workspace for an AWS stack whose `aws` and `random` plugins are this stand-in, installed under the
 * exact versions the program's SDKs request, with `stack` initialised. Pass `env` to every pulumi command.
 */
export async function standInAwsWorkspace(stack: string): Promise<{ workspace: PulumiWorkspace; env: NodeJS.ProcessEnv }> {
  // The wrappers only need to exist while `pulumi plugin install` copies them into the workspace's PULUMI_HOME.
  const wrappers = fs.mkdtempSync(path.join(os.tmpdir(), "seaweed-stand-in-"));
  let workspace: PulumiWorkspace;
  try {
    const plugins = STAND_IN_PACKAGES.map((name): [string, string, string] => {
      const version = sdkPluginVersion(name);
      const file = path.join(wrappers, `pulumi-resource-${name}`);
      const script = `#!/bin/sh\n# STAND-IN ${name} provider ${version} (mock cloud; validates nothing), written by tools/lib/engine/standInAwsProvider.ts\nexec "${process.execPath}" --import "${require.resolve("tsx")}" "${__filename}" ${name} ${version} "$@"\n`;
      fs.writeFileSync(file, script, { mode: 0o755 });
      return [name, version, file];
    });
    workspace = createWorkspace({ plugins });
  } finally {
    fs.rmSync(wrappers, { recursive: true, force: true });
  }
  const env = { SEAWEED_STAND_IN_ROOT: workspace.projectDir, SEAWEED_STAND_IN_STACK: stack };
  try {
    await workspace.ok(["stack", "init", stack], { env });
  } catch (error) {
    workspace.remove();
    throw error;
  }
  return { workspace, env };
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`stand-in provider failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
}
