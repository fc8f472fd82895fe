/**
 * Writes a broken variant of the program into an engine workspace's copy: the breaking module (a file of
 * tools/lib/engine with no imports, exporting `<breaker>(type, props)`) is copied next to the program, and a new
 * entry point runs the real program with that breaker applied to every resource as a stack transformation.
 * Only the workspace's copy changes; the repository's program is never touched.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * @param projectDir the workspace's project copy (PulumiWorkspace.projectDir)
 * @param module the breaking module's name in tools/lib/engine, without `.ts` (e.g. "brokenAws")
 * @param breaker the function it exports, called as `breaker(type, props)` on each resource's props
 */
export function installBrokenVariant(projectDir: string, module: string, breaker: string): void {
  const infra = path.join(projectDir, "infra");
  fs.copyFileSync(path.join(__dirname, `${module}.ts`), path.join(infra, `${module}.ts`));
  fs.writeFileSync(
    path.join(infra, "broken.ts"),
    `import * as pulumi from "@pulumi/pulumi";
import { ${breaker} } from "./${module}";
import program = require("./index");

pulumi.runtime.registerStackTransformation((args) => {
  ${breaker}(args.type, args.props);
  return { props: args.props, opts: args.opts };
});

export = program;
`,
  );
  const manifest = path.join(projectDir, "package.json");
  fs.writeFileSync(manifest, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifest, "utf8")), main: "infra/broken.ts" }));
}
