/**
 * `npm run engine:smoke` — checks the locally built engine toolchain (bash tools/setup-engine.sh) end to end,
 * without touching any cloud:
 *   1. the loopback Kubernetes control plane starts, and every fake node is Ready, untainted and in its zone;
 *   2. the real `pulumi` CLI previews a minimal program with this repository's policy pack, through the patched
 *      nodejs language host's RunPlugin: the pack must load and report its policies, and a pack that cannot start
 *      fails the preview.
 * Everything it starts is stopped, also on failure. Exit 0 when both pass, 1 otherwise. This is the first step of
 * issue #15 (docs/engine.md); `pulumi up` of the Kubernetes stacks is not wired yet.
 */
import * as path from "node:path";
import { createWorkspace, engineBinDir } from "./lib/engine/pulumi";
import { kubeCall } from "./lib/kube/api";
import { startControlPlane } from "./lib/kube/controlPlane";
import { REPO_ROOT } from "./lib/stackFiles";

const ZONES = ["zone-a", "zone-b", "zone-c"];

interface NodeList {
  items: { metadata: { name: string; labels: Record<string, string> }; spec: { taints?: unknown[] }; status?: { conditions?: { type: string; status: string }[] } }[];
}

async function checkControlPlane(): Promise<void> {
  const started = Date.now();
  const plane = await startControlPlane({ binDir: engineBinDir(), zones: ZONES, log: (line) => console.log(line) });
  try {
    const nodes = await kubeCall<NodeList>(plane.endpoint, "GET", "/api/v1/nodes");
    const zones = new Set(nodes.items.map((n) => n.metadata.labels["topology.kubernetes.io/zone"]));
    const notReady = nodes.items.filter((n) => !n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") || (n.spec.taints ?? []).length > 0);
    if (nodes.items.length !== plane.nodes.size || ZONES.some((z) => !zones.has(z)) || notReady.length > 0) {
      throw new Error(`control plane: expected ${plane.nodes.size} Ready untainted nodes over ${ZONES.join(", ")}, got ${JSON.stringify(nodes.items.map((n) => n.metadata))}`);
    }
    console.log(`control plane: ${nodes.items.length} nodes Ready over ${zones.size} zones after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await plane.stop();
  }
}

/** A program with no resources: the preview only has to start the language host and the policy pack. */
const MINIMAL_PROGRAM = {
  "Pulumi.yaml": "name: engine-smoke\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n",
  "package.json": JSON.stringify({ name: "engine-smoke", main: "index.js" }),
  "index.js": 'require("@pulumi/pulumi");\nexports.ok = true;\n',
};

async function checkPolicyPack(): Promise<void> {
  const workspace = createWorkspace({ projectFiles: MINIMAL_PROGRAM });
  try {
    await workspace.ok(["stack", "init", "smoke"]);
    const pack = path.join(REPO_ROOT, "policies");
    const preview = await workspace.ok(["preview", "--policy-pack", pack, "--policy-pack-config", path.join(pack, "config.dev.json")]);
    if (!/seaweedfs-ha@v[\d.]+/.test(preview.stdout)) throw new Error(`the preview did not report the seaweedfs-ha pack:\n${preview.stdout}`);
    console.log("policy pack: loaded by the engine through the language host's RunPlugin");
    // Negative control: a folder that is no policy pack must fail the preview, so the line above is not vacuous.
    const broken = await workspace.run(["preview", "--policy-pack", path.join(REPO_ROOT, "tools", "engine")]);
    if (broken.code === 0 || !/policy pack/i.test(broken.stdout + broken.stderr)) {
      throw new Error(`a preview with a folder that is no policy pack did not fail on the pack (exit ${broken.code}): the check above proves nothing\n${broken.stdout}${broken.stderr}`);
    }
    console.log("policy pack: a folder that is no pack fails the preview (negative control)");
  } finally {
    workspace.remove();
  }
}

async function main(): Promise<void> {
  await checkControlPlane();
  await checkPolicyPack();
  console.log("engine smoke: passed");
}

main().catch((error: unknown) => {
  console.error(`engine smoke: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
