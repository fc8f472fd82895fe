/**
 * The pack as `pulumi preview --policy-pack policies` loads it: Pulumi's own policy host (from the pack's
 * node_modules) type-checks index.ts and the rules with the pack's tsconfig, serves the Analyzer gRPC API on
 * loopback, and lists every policy with its enforcement level and config schema. Needs `cd policies && npm ci`
 * (done by .ci/run); the host process group is killed at the end, whatever happens.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policies/rules/all";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const PACK = path.join(REPO_ROOT, "policies");
const HOST = path.join(PACK, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");

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

interface AnalyzerInfo {
  getName(): string;
  getVersion(): string;
  getPoliciesList(): { getName(): string; getEnforcementlevel(): number; getConfigschema(): { getProperties(): { toJavaScript(): Record<string, unknown> } } | undefined }[];
}

describe("the pack in Pulumi's policy host", { skip: !fs.existsSync(HOST) && "policies/node_modules missing: run `cd policies && npm ci`" }, () => {
  it("type-checks, serves on loopback and lists every policy with its config schema", { timeout: 180_000 }, async () => {
    const port = await startHost();
    const { AnalyzerClient } = require(path.join(PACK, "node_modules/@pulumi/pulumi/proto/analyzer_grpc_pb.js"));
    const { Empty } = require(path.join(PACK, "node_modules/google-protobuf/google/protobuf/empty_pb.js"));
    const grpc = require(path.join(PACK, "node_modules/@grpc/grpc-js"));
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const info = await new Promise<AnalyzerInfo>((resolve, reject) =>
        client.getAnalyzerInfo(new Empty(), (error: Error | null, reply: AnalyzerInfo) => (error ? reject(error) : resolve(reply))),
      );
      assert.equal(info.getName(), "seaweedfs-ha");
      assert.equal(info.getVersion(), JSON.parse(fs.readFileSync(path.join(PACK, "package.json"), "utf8")).version);
      const served = info.getPoliciesList();
      assert.deepEqual(served.map((p) => p.getName()), policies.map((p) => p.name));
      const healthCheck = served.find((p) => p.getName() === "seaweedfs-lb-health-check")!;
      assert.deepEqual(Object.keys(healthCheck.getConfigschema()!.getProperties().toJavaScript()).sort(), ["httpPort", "maxDetectionSeconds"]);
    } finally {
      client.close();
    }
  });
});
