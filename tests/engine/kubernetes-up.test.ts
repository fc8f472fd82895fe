/**
 * `pulumi up` of the k8s-dev and k8s-prod stacks by the real Pulumi engine (CLI, nodejs language host, Kubernetes
 * provider, all built by tools/setup-engine.sh) against the loopback control plane, with a file backend and a
 * passphrase. What is judged is read back from the Kubernetes API or the state file, never from the program: the
 * StatefulSet is ready through the provider's own await, no zone holds more than N - quorum pods (pods' nodes, nodes'
 * zone labels), the other objects exist as the program renders them, a second preview changes nothing, a
 * seaweedVersion bump updates the StatefulSet only, the JWT key is ciphertext in the state and absent from `pulumi
 * stack output`, on prod a destroy is refused without deleting anything, and destroy (after `pulumi state unprotect`
 * on prod) removes everything. kwok's fake pod IPs are never contacted. Run by `npm run engine:check`
 * (docs/engine.md).
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { kubeCall, KubeEndpoint, kubeRequest } from "../../tools/lib/kube/api";
import { EngineStack, previewSteps, previewSummary, startEngineStack } from "../../tools/lib/engine/kubeStack";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { runAnyStack } from "../../tools/lib/plan";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Each stack with what its stack file asks for, written out here rather than read from the program: masters, and the
 * namespaced objects besides the Secrets (ServiceAccount, PDB, 2 Services, NetworkPolicy, ConfigMaps, StatefulSet; on
 * k8s-prod also the backup sidecar's ConfigMap, the dashboard's ConfigMap (in the monitoring namespace), the PodMonitor,
 * the PrometheusRule and, with TLS, the certificate-expiry PrometheusRule), the TLS Secrets (k8s-prod: one per master
 * and one per client role: volume, filer, admin), and whether the tier is protected (prod).
 */
const STACKS = [
  { stack: "k8s-dev", masters: 3, objects: 7, tlsSecrets: 0, protectedTier: false },
  { stack: "k8s-prod", masters: 5, objects: 12, tlsSecrets: 8, protectedTier: true },
];

/** The expiry rule's time, in seconds: the earliest `notAfter` of the live master certificates, read by Node's own X.509 parser. */
async function earliestLiveNotAfter(endpoint: KubeEndpoint, namespace: string): Promise<number> {
  const secrets = await kubeCall<{ items: Obj[] }>(endpoint, "GET", `/api/v1/namespaces/${namespace}/secrets`);
  const masters = secrets.items.filter((s) => s.type === "kubernetes.io/tls" && /master-\d+-tls$/.test(s.metadata.name));
  assert.ok(masters.length > 0, `no master TLS Secret in ${namespace}: ${secrets.items.map((s) => s.metadata.name).join(", ")}`);
  return Math.min(...masters.map((s) => Math.floor(new Date(new X509Certificate(Buffer.from(s.data["tls.crt"], "base64")).validTo).getTime() / 1000)));
}

/**
 * Whether `live` holds every field of `want` (arrays element by element); the API adds defaults beside them, and
 * leaves out booleans that are false.
 */
function contains(live: unknown, want: unknown, where = "$"): string[] {
  if (want === false && live === undefined) return [];
  if (want === null || typeof want !== "object") return live === want ? [] : [`${where}: want ${JSON.stringify(want)}, live ${JSON.stringify(live)}`];
  if (Array.isArray(want)) {
    if (!Array.isArray(live) || live.length !== want.length) return [`${where}: want ${want.length} items, live ${JSON.stringify(live)}`];
    return want.flatMap((w, i) => contains(live[i], w, `${where}[${i}]`));
  }
  if (live === null || typeof live !== "object") return [`${where}: missing`];
  return Object.entries(want as Obj).flatMap(([k, w]) => contains((live as Obj)[k], w, `${where}.${k}`));
}

/** Where the API serves each kind of object the program renders. */
const API_PATHS: Record<string, (o: Obj) => string> = {
  "kubernetes:policy/v1:PodDisruptionBudget": (o) => `/apis/policy/v1/namespaces/${o.metadata.namespace}/poddisruptionbudgets/${o.metadata.name}`,
  "kubernetes:core/v1:Service": (o) => `/api/v1/namespaces/${o.metadata.namespace}/services/${o.metadata.name}`,
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": (o) => `/apis/networking.k8s.io/v1/namespaces/${o.metadata.namespace}/networkpolicies/${o.metadata.name}`,
  "kubernetes:core/v1:ConfigMap": (o) => `/api/v1/namespaces/${o.metadata.namespace}/configmaps/${o.metadata.name}`,
  "kubernetes:apps/v1:StatefulSet": (o) => `/apis/apps/v1/namespaces/${o.metadata.namespace}/statefulsets/${o.metadata.name}`,
  "kubernetes:monitoring.coreos.com/v1:PodMonitor": (o) => `/apis/monitoring.coreos.com/v1/namespaces/${o.metadata.namespace}/podmonitors/${o.metadata.name}`,
  "kubernetes:monitoring.coreos.com/v1:PrometheusRule": (o) => `/apis/monitoring.coreos.com/v1/namespaces/${o.metadata.namespace}/prometheusrules/${o.metadata.name}`,
  "kubernetes:core/v1:Secret": (o) => `/api/v1/namespaces/${o.metadata.namespace}/secrets/${o.metadata.name}`,
  "kubernetes:core/v1:ServiceAccount": (o) => `/api/v1/namespaces/${o.metadata.namespace}/serviceaccounts/${o.metadata.name}`,
  "kubernetes:core/v1:Namespace": (o) => `/api/v1/namespaces/${o.metadata.name}`,
};

/** The kinds compared field by field with what the program renders (the Secret's rendered data is the mock's key). */
const COMPARED_KINDS = Object.keys(API_PATHS).filter((type) => type !== "kubernetes:core/v1:Secret" && type !== "kubernetes:core/v1:Namespace");

/** The API paths of every object the program rendered. */
function renderedPaths(rendered: RecordedResource[]): string[] {
  return rendered.filter((r) => r.type in API_PATHS).map((r) => API_PATHS[r.type](r.inputs as Obj));
}

for (const expected of STACKS) describeUp(expected);

function describeUp(expected: (typeof STACKS)[number]) {
  const STACK = expected.stack;
  let engine: EngineStack;
  /** The program's resources as rendered (under mocks): what the live objects must contain. */
  let rendered: RecordedResource[];
  let quorum: number;
  let masters: number;

  const renderedOf = (type: string): Obj[] => rendered.filter((r) => r.type === type).map((r) => r.inputs as Obj);

  /** Resources the program registers that the engine manages (the StackReference is only read). */
  const managed = () => rendered.filter((r) => r.type !== "pulumi:pulumi:StackReference").length;

  async function pulumi(args: string[]) {
    return engine.workspace.ok([...args, "--stack", STACK], { env: engine.env });
  }

  describe(`pulumi up --stack ${STACK} against the local control plane`, () => {
    before(async () => {
      const run = await runAnyStack(STACK);
      rendered = run.resources;
      quorum = Number(run.outputs.quorum);
      masters = renderedOf("kubernetes:apps/v1:StatefulSet")[0].spec.replicas;
      engine = await startEngineStack(STACK);
      const started = Date.now();
      await pulumi(["up", "--yes", "--skip-preview"]);
      console.error(`engine: pulumi up --stack ${STACK} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    after(async () => {
      await engine?.stop();
    });

    it("the StatefulSet reached readyReplicas = masterCount through the provider's own await", async () => {
      const namespace = renderedOf("kubernetes:core/v1:Namespace")[0].metadata.name;
      const sts = await kubeCall<Obj>(engine.plane.endpoint, "GET", `/apis/apps/v1/namespaces/${namespace}/statefulsets/seaweedfs-master`);
      // `up` returned only after the provider's await; skipAwait would have let it return before the pods were ready.
      assert.equal(sts.metadata.annotations?.["pulumi.com/skipAwait"], undefined);
      assert.equal(sts.status.readyReplicas, expected.masters);
      assert.equal(sts.status.readyReplicas, masters);
    });

    it("no zone holds more than N - quorum pods (pods' nodes and nodes' zone labels, read from the API)", async () => {
      const namespace = renderedOf("kubernetes:core/v1:Namespace")[0].metadata.name;
      const pods = await kubeCall<{ items: Obj[] }>(engine.plane.endpoint, "GET", `/api/v1/namespaces/${namespace}/pods`);
      const nodes = await kubeCall<{ items: Obj[] }>(engine.plane.endpoint, "GET", "/api/v1/nodes");
      const zoneOf = new Map(nodes.items.map((n) => [n.metadata.name as string, n.metadata.labels["topology.kubernetes.io/zone"] as string]));
      const perZone = new Map<string, number>();
      for (const pod of pods.items) {
        const zone = zoneOf.get(pod.spec.nodeName);
        assert.ok(zone, `pod ${pod.metadata.name} is on node ${pod.spec.nodeName}, which has no zone`);
        perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
      }
      assert.equal(pods.items.length, masters);
      const crowded = [...perZone].filter(([, count]) => count > masters - quorum);
      assert.deepEqual(crowded, [], `pods per zone ${JSON.stringify([...perZone])}, at most ${masters - quorum} allowed`);
    });

    /** `rule` with the earliest notAfter of the live master certificates in place of the rendered one. */
    async function withLiveExpiry(rule: Obj): Promise<Obj> {
      const notAfter = await earliestLiveNotAfter(engine.plane.endpoint, rule.metadata.namespace);
      const copy = structuredClone(rule);
      for (const r of copy.spec.groups[0].rules) r.expr = String(r.expr).replace(/^\(\d+ - time\(\)\)/, `(${notAfter} - time())`);
      assert.notEqual(JSON.stringify(copy), JSON.stringify(rule), `no notAfter replaced in ${JSON.stringify(rule.spec)}`);
      return copy;
    }

    it("the PDB, the Services, the NetworkPolicy, the ConfigMaps, the monitoring objects and the Secret exist as rendered", async () => {
      const optional = new Set(["kubernetes:monitoring.coreos.com/v1:PodMonitor", "kubernetes:monitoring.coreos.com/v1:PrometheusRule"]);
      let checked = 0;
      for (const type of COMPARED_KINDS) {
        const objects = renderedOf(type);
        assert.ok(objects.length > 0 || optional.has(type), `the program renders no ${type}`);
        for (const rendering of objects) {
          const live = await kubeCall<Obj>(engine.plane.endpoint, "GET", API_PATHS[type](rendering));
          // The expiry rule holds the certificates' notAfter, which under mocks is a placeholder: the live certificates' instead.
          const want = rendering.metadata.name.endsWith("-tls-expiry") ? await withLiveExpiry(rendering) : rendering;
          assert.deepEqual(contains(live, want), [], `${type} ${want.metadata.name}`);
          checked++;
        }
      }
      assert.equal(checked, expected.objects, "the namespaced objects of the STACKS table (and the Secret below)");
      const [secret] = renderedOf("kubernetes:core/v1:Secret");
      const live = await kubeCall<Obj>(engine.plane.endpoint, "GET", API_PATHS["kubernetes:core/v1:Secret"](secret));
      assert.deepEqual(contains(live, { metadata: secret.metadata, type: secret.type }), []);
      assert.match(Buffer.from(live.data.signingKey, "base64").toString("utf8"), /^[A-Za-z0-9]{48}$/);
    });

    it("keeps the JWT signing key as ciphertext in the state and out of `pulumi stack output`", async () => {
      const [secret] = renderedOf("kubernetes:core/v1:Secret");
      const live = await kubeCall<Obj>(engine.plane.endpoint, "GET", API_PATHS["kubernetes:core/v1:Secret"](secret));
      const key = Buffer.from(live.data.signingKey, "base64").toString("utf8");
      const encoded = live.data.signingKey as string;
      const state = (await pulumi(["stack", "export"])).stdout;
      const outputs = (await pulumi(["stack", "output", "--json"])).stdout;
      for (const [what, text] of [["the exported state", state], ["pulumi stack output", outputs]] as const) {
        assert.ok(!text.includes(key), `${what} holds the signing key in plaintext`);
        assert.ok(!text.includes(encoded), `${what} holds the signing key base64-encoded`);
      }
      assert.match(state, /"ciphertext"/);
      // Negative control: the same search finds the key once secrets are decrypted, so the absence above means something.
      const decrypted = (await pulumi(["stack", "export", "--show-secrets"])).stdout;
      assert.ok(decrypted.includes(key), "the decrypted state does not hold the key: the search above proves nothing");
    });

    it("a preview right after changes nothing (the signing key included)", async () => {
      const preview = await pulumi(["preview", "--json"]);
      assert.deepEqual(previewSteps(preview.stdout).filter((s) => s.op !== "same"), []);
      // Every resource the program manages (the stack and its component included) unchanged, and the stack's read of
      // its own last slots output.
      assert.deepEqual(previewSummary(preview.stdout), { same: managed(), read: 1 });
    });

    it("a seaweedVersion change previews as an update of the StatefulSet only", async () => {
      await pulumi(["config", "set", "seaweedVersion", "4.45"]);
      try {
        const preview = await pulumi(["preview", "--json", "--diff"]);
        const changed = previewSteps(preview.stdout).filter((s) => s.op !== "same");
        assert.deepEqual(
          changed.map((s) => `${s.op} ${s.type}`),
          ["update kubernetes:apps/v1:StatefulSet"],
        );
        assert.deepEqual(previewSummary(preview.stdout), { same: managed() - 1, update: 1, read: 1 });
      } finally {
        await pulumi(["config", "rm", "seaweedVersion"]);
      }
    });

    if (expected.protectedTier) {
      it("pulumi destroy is refused and deletes nothing: every object of the tier is protected", async () => {
        const refused = await engine.workspace.run(["destroy", "--yes", "--skip-preview", "--stack", STACK], { env: engine.env });
        assert.notEqual(refused.code, 0, "destroy of a protected tier succeeded");
        assert.match(refused.stdout + refused.stderr, /because it is protected/);
        const paths = renderedPaths(rendered);
        assert.equal(paths.length, expected.objects + expected.tlsSecrets + 2, "every object of the STACKS table, its TLS Secrets, the JWT Secret and the Namespace");
        const gone: string[] = [];
        for (const url of paths) if ((await kubeRequest(engine.plane.endpoint, "GET", url)).status !== 200) gone.push(url);
        assert.deepEqual(gone, [], "objects deleted by the refused destroy");
      });
    }

    it(`pulumi destroy removes everything it created${expected.protectedTier ? " once the operator unprotects the tier" : ""}`, async () => {
      const namespace = renderedOf("kubernetes:core/v1:Namespace")[0].metadata.name;
      if (expected.protectedTier) await pulumi(["state", "unprotect", "--all", "--yes"]);
      await pulumi(["destroy", "--yes", "--skip-preview"]);
      const ns = await kubeRequest(engine.plane.endpoint, "GET", `/api/v1/namespaces/${namespace}`);
      assert.equal(ns.status, 404, `namespace ${namespace} still exists after destroy`);
      const pods = await kubeCall<{ items: Obj[] }>(engine.plane.endpoint, "GET", `/api/v1/pods?labelSelector=app.kubernetes.io/name%3Dseaweedfs`);
      assert.deepEqual(pods.items.map((p) => p.metadata.name), []);
      const state = JSON.parse((await pulumi(["stack", "export"])).stdout) as { deployment: { resources?: { type: string }[] } };
      assert.deepEqual((state.deployment.resources ?? []).map((r) => r.type), []);
    });
  });
}
