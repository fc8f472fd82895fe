/**
 * The pack as `pulumi preview --policy-pack policies` runs it: Pulumi's own policy host (from the pack's
 * node_modules) type-checks index.ts and the rules with the pack's tsconfig and serves the Analyzer gRPC API on
 * loopback. The test then plays the engine: GetAnalyzerInfo, Configure with each stack's pack config (schema
 * defaults applied as the engine applies them), Analyze for every resource of the stack's mocked graph and
 * AnalyzeStack for the whole graph. The violations Pulumi's analyzer reports must equal, one for one, the
 * `policy.violations` of `npm run plan` (the project's in-process runner) for every stack and for a deliberately
 * broken prod graph. Needs `cd policies && npm ci` (done by tools/setup.sh); without it the test fails. The host
 * process group is killed at the end, whatever happens.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policies/rules/all";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { runStack } from "../../tools/lib/plan";
import { checkGraph, defaultPackConfigFile, PackConfig, readPackConfig, runPolicies, toPolicyResources } from "../../tools/lib/policyRun";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { brokenProd, located } from "../support/brokenProd";

const PACK = path.join(REPO_ROOT, "policies");
const HOST = path.join(PACK, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
const fromPack = (module: string) => require(path.join(PACK, "node_modules", module));

let host: ChildProcess | undefined;
after(() => {
  if (host?.pid && host.exitCode === null) process.kill(-host.pid, "SIGKILL");
});

/** Starts the host and resolves with the port it prints once the pack is loaded. */
function startHost(): Promise<number> {
  return new Promise((resolve, reject) => {
    host = spawn(process.execPath, [HOST, "127.0.0.1:1", "."], { cwd: PACK, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`policy host printed no port within 150 s; stderr: ${err}`)), 150_000);
    host.stdout!.on("data", (chunk) => {
      out += String(chunk);
      const port = /^(\d+)\s*$/m.exec(out)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(Number(port));
      }
    });
    host.stderr!.on("data", (chunk) => (err += String(chunk)));
    host.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy host exited ${code}: ${err}`));
    });
  });
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated protobuf classes are untyped JavaScript */
interface Violation {
  policy: string;
  enforcementLevel: string;
  resource: string;
  message: string;
}

/** The engine's side of the Analyzer protocol, over the generated client of the pack's @pulumi/pulumi. */
class Engine {
  private readonly pb = fromPack("@pulumi/pulumi/proto/analyzer_pb.js");
  private readonly Struct = fromPack("google-protobuf/google/protobuf/struct_pb.js").Struct;
  private readonly client: any;
  /** Each policy's description, which the host puts before every violation message. */
  descriptions = new Map<string, string>();
  /** Each policy's config schema as the host serves it. */
  schemas = new Map<string, Record<string, { default?: unknown }>>();

  constructor(port: number) {
    const { AnalyzerClient } = fromPack("@pulumi/pulumi/proto/analyzer_grpc_pb.js");
    this.client = new AnalyzerClient(`127.0.0.1:${port}`, fromPack("@grpc/grpc-js").credentials.createInsecure());
  }

  private call<T>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => this.client[method](request, (error: Error | null, reply: T) => (error ? reject(error) : resolve(reply))));
  }

  async info(): Promise<any> {
    const info = await this.call<any>("getAnalyzerInfo", new (fromPack("google-protobuf/google/protobuf/empty_pb.js").Empty)());
    for (const p of info.getPoliciesList()) {
      this.descriptions.set(p.getName(), p.getDescription());
      this.schemas.set(p.getName(), p.getConfigschema()?.getProperties()?.toJavaScript() ?? {});
    }
    return info;
  }

  /** Configure as the engine does: every policy's level, and its settings with the served schema's defaults filled in. */
  async configure(packConfig: PackConfig): Promise<void> {
    const request = new this.pb.ConfigureAnalyzerRequest();
    const levels: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };
    for (const [name, schema] of this.schemas) {
      const entry = packConfig[name];
      const { enforcementLevel, ...settings } = typeof entry === "object" ? entry : { enforcementLevel: entry };
      const level = enforcementLevel ?? (packConfig.all as string | undefined) ?? "advisory";
      const properties = { ...Object.fromEntries(Object.entries(schema).filter(([, s]) => s.default !== undefined).map(([k, s]) => [k, s.default])), ...settings };
      const config = new this.pb.PolicyConfig();
      config.setEnforcementlevel(levels[level]);
      config.setProperties(this.Struct.fromJavaScript(properties));
      request.getPolicyconfigMap().set(name, config);
    }
    await this.call("configure", request);
  }

  private fill(target: any, r: RecordedResource): any {
    target.setType(r.type);
    target.setUrn(r.urn);
    target.setName(r.name);
    // What the engine hands a policy: the resource's properties (none for a component), as plain JSON.
    target.setProperties(this.Struct.fromJavaScript(JSON.parse(JSON.stringify(r.custom ? r.state : {}))));
    const options = new this.pb.AnalyzerResourceOptions();
    options.setProtect(r.protect);
    options.setIgnorechangesList(r.ignoreChanges);
    if (r.parentUrn) options.setParent(r.parentUrn);
    target.setOptions(options);
    return target;
  }

  /** Analyze (every resource, one call each) and AnalyzeStack (the whole graph): every violation, in engine terms. */
  async analyze(graph: readonly RecordedResource[]): Promise<Violation[]> {
    const stackUrn = graph.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? "";
    // A diagnostic without a URN belongs to the resource analyzed (Analyze) or to the stack (AnalyzeStack).
    const diagnostics: { d: any; urn: string }[] = [];
    for (const r of graph) {
      const reply = await this.call<any>("analyze", this.fill(new this.pb.AnalyzeRequest(), r));
      diagnostics.push(...reply.getDiagnosticsList().map((d: any) => ({ d, urn: d.getUrn() || r.urn })));
    }
    const stack = new this.pb.AnalyzeStackRequest();
    stack.setResourcesList(
      graph.map((r) => {
        const resource = this.fill(new this.pb.AnalyzerResource(), r);
        if (r.parentUrn) resource.setParent(r.parentUrn);
        resource.setDependenciesList(r.dependencies);
        for (const [key, urns] of Object.entries(r.propertyDependencies)) {
          const deps = new this.pb.AnalyzerPropertyDependencies();
          deps.setUrnsList(urns);
          resource.getPropertydependenciesMap().set(key, deps);
        }
        return resource;
      }),
    );
    diagnostics.push(...(await this.call<any>("analyzeStack", stack)).getDiagnosticsList().map((d: any) => ({ d, urn: d.getUrn() || stackUrn })));
    return diagnostics.map(({ d, urn }) => {
      const description = this.descriptions.get(d.getPolicyname()) ?? "";
      const message: string = d.getMessage();
      assert.ok(message.startsWith(`${description}\n`), `the host's message for ${d.getPolicyname()} does not start with its description: ${message}`);
      return {
        policy: d.getPolicyname(),
        enforcementLevel: ["advisory", "mandatory", "disabled", "remediate"][d.getEnforcementlevel()],
        resource: urn,
        message: message.slice(description.length + 1),
      };
    });
  }

  close(): void {
    this.client.close();
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const sorted = (violations: readonly Violation[]) =>
  violations.map(({ policy, enforcementLevel, resource, message }) => ({ policy, enforcementLevel, resource, message })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe("the pack in Pulumi's policy host", { timeout: 300_000 }, () => {
  let engine: Engine;
  before(async () => {
    assert.ok(fs.existsSync(HOST), `${HOST} is missing: run \`bash tools/setup.sh\` (it runs \`cd policies && npm ci\`)`);
    engine = new Engine(await startHost());
  });
  after(() => engine?.close());

  it("type-checks, serves on loopback and lists every policy with its config schema", async () => {
    const info = await engine.info();
    assert.equal(info.getName(), "seaweedfs-ha");
    assert.equal(info.getVersion(), JSON.parse(fs.readFileSync(path.join(PACK, "package.json"), "utf8")).version);
    assert.deepEqual([...engine.descriptions.keys()], policies.map((p) => p.name));
    assert.deepEqual(Object.keys(engine.schemas.get("seaweedfs-lb-health-check")!).sort(), ["httpPort", "maxDetectionSeconds"]);
  });

  for (const stack of ["dev", "staging", "prod"]) {
    it(`${stack}: Pulumi's analyzer reports exactly npm run plan's policy violations`, async () => {
      const { resources, config } = await runStack(stack);
      const configFile = defaultPackConfigFile(stack, config.environment);
      const planned = await checkGraph(resources, configFile);
      await engine.configure(readPackConfig(configFile));
      assert.deepEqual(sorted(await engine.analyze(resources)), sorted(planned.violations));
    });
  }

  for (const level of ["prod", "dev"]) {
    it(`the broken prod graph under the ${level} config: the same violations, with the same enforcement levels`, async () => {
      const { graph, expected, expectedUnderDev } = brokenProd((await runStack("prod")).resources);
      const packConfig = readPackConfig(path.join(PACK, `config.${level}.json`));
      const planned = await runPolicies(toPolicyResources(graph), packConfig);
      // Negative control: exactly the violations written out for the broken graph under this config.
      assert.deepEqual(located(planned.violations, graph), level === "prod" ? expected : expectedUnderDev);
      await engine.configure(packConfig);
      const analyzed = await engine.analyze(graph);
      assert.deepEqual(sorted(analyzed), sorted(planned.violations));
      assert.ok(analyzed.every((v) => v.enforcementLevel === (level === "prod" ? "mandatory" : "advisory")));
    });
  }
});
