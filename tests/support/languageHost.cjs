// Loads the program exactly as the Pulumi Node language host does (cmd/run/run.js: package.json "main",
// tsconfig.json, TypeScript through the project's own ts-node with type checking), but against Pulumi's mocks
// instead of an engine. Prints the stack outputs and the registered resource types as JSON.
// Usage: node tests/support/languageHost.cjs <project> <stack>   (config JSON in SEAWEED_TEST_CONFIG)
"use strict";
const pulumi = require("@pulumi/pulumi");

// run.js requires its package's index.js only for one exit-code constant; that index.js parses the process's
// argv and insists on a live engine (--monitor). Stand in for it so run() itself executes unchanged.
const hostIndex = require.resolve("@pulumi/pulumi/cmd/run/index.js");
require.cache[hostIndex] = { id: hostIndex, filename: hostIndex, loaded: true, exports: { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 } };
const { run } = require("@pulumi/pulumi/cmd/run/run.js");

const types = [];

async function main() {
  const [project, stack] = process.argv.slice(2);
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        types.push(args.type);
        if (args.type === "pulumi:pulumi:StackReference") return { id: args.name, state: { outputs: {} } };
        // Dynamic resources (the signing key, the CA and certificates) compute their outputs in create, which never
        // runs under mocks: the mocked cloud answers them (loaded lazily, like call below).
        if (args.type.startsWith("pulumi-nodejs:dynamic/")) return require("../../tools/lib/mockCloud").mockState(args.type, args.name, args.inputs, {});
        return { id: `${args.name}-id`, state: args.inputs };
      },
      // The project's mocked cloud answers invokes (and throws on unknown ones). Required lazily: by the time the
      // program invokes anything, the host has registered ts-node, so the TypeScript module loads.
      call: (args) => require("../../tools/lib/mockCloud").mockCall(args.token, args.inputs),
    },
    project,
    stack,
    false,
    "acme",
  );
  pulumi.runtime.setAllConfig(JSON.parse(process.env.SEAWEED_TEST_CONFIG || "{}"));
  process.env.PULUMI_NODEJS_TYPESCRIPT = "true";
  let failure;
  const outputs = await run({ _: ["."] }, () => {}, (err) => { failure = err; }, () => false);
  if (failure) throw failure;
  const resolved = {};
  for (const [name, value] of Object.entries(outputs || {})) {
    resolved[name] = pulumi.Output.isInstance(value) ? await new Promise((r) => value.apply(r)) : value;
  }
  await pulumi.runtime.disconnect();
  const tsNodeLoaded = Object.keys(require.cache).some((p) => p.includes(`${require("path").sep}ts-node${require("path").sep}`));
  process.stdout.write(JSON.stringify({ outputs: resolved, types, tsNodeLoaded }));
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ error: String(err && err.message ? err.message : err), types }));
  process.exit(1);
});
