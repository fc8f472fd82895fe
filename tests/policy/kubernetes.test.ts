/**
 * The pack's Kubernetes rules on the k8s-prod graph the program registers under mocks: the graph passes every rule,
 * and each broken variant (OrderedReady, a soft or crowded spread, a zone cap without minDomains, no anti-affinity,
 * liveness on /cluster/healthz or too slow (the SIGTERM grace counted), readiness retrying past its timeout, no or a loose PDB, a peer Service hiding unready pods, -raftBootstrap, a peer list missing a pod, an
 * even replica count, a writable root filesystem, a sidecar allowed to escalate, no backup sidecar, a sidecar
 * mounting -mdir writable, an unprotected object of the tier) is refused by the rule named for it, as a mandatory violation
 * under the prod pack config.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { runAnyStack } from "../../tools/lib/plan";
import { mandatoryViolations, readPackConfig, runPolicies, toPolicyResources } from "../../tools/lib/policyRun";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let recorded: RecordedResource[];
before(async () => {
  recorded = (await runAnyStack("k8s-prod")).resources;
});

const prodConfig = () => readPackConfig(path.join(REPO_ROOT, "policies", "config.k8s-prod.json"));

/** The k8s-prod graph with `change` applied to a copy of the state of each resource of `type`. */
function variant(type: string, change: (state: Inputs) => void): RecordedResource[] {
  const copy = structuredClone(recorded);
  for (const r of copy.filter((r) => r.type === type)) change(r.state as Inputs);
  return copy;
}

const STS = "kubernetes:apps/v1:StatefulSet";
const pod = (s: Inputs) => s.spec.template.spec;
const container = (s: Inputs) => pod(s).containers[0];
const sidecar = (s: Inputs) => pod(s).containers.find((c: Inputs) => c.name === "backup");
const setArg = (s: Inputs, name: string, value: string) => {
  const args: string[] = container(s).args;
  args[args.findIndex((a) => a.startsWith(`${name}=`))] = `${name}=${value}`;
};

/** `also`: other rules the variant rightly breaks too (4 masters over 3 zones also crowd a zone). */
const variants: { name: string; rule: string; mentions: RegExp; graph: () => RecordedResource[]; also?: string[] }[] = [
  { name: "OrderedReady pod management", rule: "seaweedfs-k8s-parallel-pods", mentions: /deadlock/, graph: () => variant(STS, (s) => (s.spec.podManagementPolicy = "OrderedReady")) },
  { name: "no pod management policy (OrderedReady by default)", rule: "seaweedfs-k8s-parallel-pods", mentions: /OrderedReady/, graph: () => variant(STS, (s) => delete s.spec.podManagementPolicy) },
  { name: "a soft zone spread", rule: "seaweedfs-k8s-zone-spread", mentions: /ScheduleAnyway/, graph: () => variant(STS, (s) => (pod(s).topologySpreadConstraints[0].whenUnsatisfiable = "ScheduleAnyway")) },
  {
    name: "5 masters pinned to 2 zones",
    rule: "seaweedfs-k8s-zone-spread",
    mentions: /up to 3 in one zone/,
    graph: () =>
      variant(STS, (s) => {
        pod(s).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values = ["us-east-1a", "us-east-1b"];
        pod(s).topologySpreadConstraints[0].minDomains = 2;
      }),
  },
  { name: "no host anti-affinity", rule: "seaweedfs-k8s-zone-spread", mentions: /anti-affinity/, graph: () => variant(STS, (s) => delete pod(s).affinity.podAntiAffinity) },
  {
    name: "a liveness probe on /cluster/healthz",
    rule: "seaweedfs-k8s-probes",
    mentions: /503 during every election/,
    graph: () => variant(STS, (s) => (container(s).livenessProbe = { httpGet: { path: "/cluster/healthz", port: 9333 }, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 3, terminationGracePeriodSeconds: 1 })),
  },
  {
    name: "the Helm chart's liveness timing (period 30 s, 4 failures)",
    rule: "seaweedfs-k8s-probes",
    mentions: /after 131 s/,
    graph: () => variant(STS, (s) => Object.assign(container(s).livenessProbe, { periodSeconds: 30, failureThreshold: 4 })),
  },
  {
    name: "the tier's first liveness probe (GET /healthz, no grace of its own: the pod's 30 s)",
    rule: "seaweedfs-k8s-probes",
    mentions: /after 35 s .*SIGTERM grace/,
    graph: () => variant(STS, (s) => (container(s).livenessProbe = { httpGet: { path: "/healthz", port: 9333 }, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 3, successThreshold: 1 })),
  },
  {
    name: "readiness on /cluster/healthz with a 1 s timeout",
    rule: "seaweedfs-k8s-probes",
    mentions: /retries its lock check there for up to 5 s; use GET \/readyz/,
    graph: () => variant(STS, (s) => (container(s).readinessProbe.httpGet.path = "/cluster/healthz")),
  },
  {
    name: "a zone cap (maxSkew 2) without minDomains",
    rule: "seaweedfs-k8s-zone-spread",
    mentions: /maxSkew 2: a zone may then hold 2 more masters than the emptiest/,
    graph: () => variant(STS, (s) => delete pod(s).topologySpreadConstraints[0].minDomains),
  },
  { name: "readiness on /cluster/status", rule: "seaweedfs-k8s-probes", mentions: /readiness probe is GET \/cluster\/status/, graph: () => variant(STS, (s) => (container(s).readinessProbe.httpGet.path = "/cluster/status")) },
  { name: "a PDB allowing 2 evictions", rule: "seaweedfs-k8s-disruption-budget", mentions: /lets 2 of 5/, graph: () => variant("kubernetes:policy/v1:PodDisruptionBudget", (s) => (s.spec.maxUnavailable = 2)) },
  { name: "no PDB", rule: "seaweedfs-k8s-disruption-budget", mentions: /no PodDisruptionBudget/, graph: () => structuredClone(recorded).filter((r) => r.type !== "kubernetes:policy/v1:PodDisruptionBudget") },
  {
    name: "a peer Service hiding unready pods",
    rule: "seaweedfs-k8s-peer-service",
    mentions: /not-ready addresses/,
    graph: () => variant("kubernetes:core/v1:Service", (s) => s.spec.clusterIP === "None" && (s.spec.publishNotReadyAddresses = false)),
  },
  { name: "-raftBootstrap", rule: "seaweedfs-k8s-master-args", mentions: /-raftBootstrap/, graph: () => variant(STS, (s) => container(s).args.push("-raftBootstrap")) },
  {
    name: "a peer list missing pod 4",
    rule: "seaweedfs-k8s-master-args",
    mentions: /does not list exactly its 5 pods/,
    graph: () => variant(STS, (s) => setArg(s, "-peers", (container(s).args as string[]).find((a) => a.startsWith("-peers="))!.slice(7).split(",").slice(0, 4).join(","))),
  },
  { name: "4 replicas", rule: "seaweedfs-k8s-master-args", mentions: /odd number/, graph: () => variant(STS, (s) => (s.spec.replicas = 4)), also: ["seaweedfs-k8s-zone-spread"] },
  { name: "a writable root filesystem", rule: "seaweedfs-k8s-security-context", mentions: /root filesystem is writable/, graph: () => variant(STS, (s) => (container(s).securityContext.readOnlyRootFilesystem = false)) },
  {
    name: "a backup sidecar allowed to escalate privileges",
    rule: "seaweedfs-k8s-security-context",
    mentions: /container backup: privilege escalation is allowed/,
    graph: () => variant(STS, (s) => (sidecar(s).securityContext.allowPrivilegeEscalation = true)),
  },
  {
    name: "no backup sidecar on prod",
    rule: "seaweedfs-k8s-backups",
    mentions: /no backup sidecar/,
    graph: () => variant(STS, (s) => (pod(s).containers = [container(s)])),
  },
  {
    name: "a backup sidecar mounting -mdir writable",
    rule: "seaweedfs-k8s-backups",
    mentions: /container backup mounts the -mdir volume data writable/,
    graph: () => variant(STS, (s) => sidecar(s).volumeMounts.forEach((m: Inputs) => m.name === "data" && (m.readOnly = false))),
  },
];

describe("the pack's Kubernetes rules on k8s-prod", () => {
  it("k8s-prod as registered: every Kubernetes rule applies and passes", async () => {
    const report = await runPolicies(toPolicyResources(recorded), prodConfig());
    assert.deepEqual(report.violations, []);
    const k8s = report.verdicts.filter((v) => v.policy.startsWith("seaweedfs-k8s-"));
    assert.equal(k8s.length, 9);
    assert.ok(k8s.every((v) => v.verdict === "pass"), JSON.stringify(k8s));
  });

  it("refuses an unprotected object of the tier by seaweedfs-k8s-protected in prod, and does not judge protection under the dev config", async () => {
    const graph = structuredClone(recorded);
    for (const r of graph.filter((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget" || r.type === "kubernetes:core/v1:ConfigMap")) r.protect = false;
    const mandatory = mandatoryViolations(await runPolicies(toPolicyResources(graph), prodConfig()));
    assert.deepEqual(mandatory.map((m) => m.policy), ["seaweedfs-k8s-protected"]);
    // The dashboard ConfigMap lives in Grafana's namespace, outside the tier's.
    assert.match(mandatory[0].message, /3 object\(s\) .* not protected \(ConfigMap seaweedfs-master-config, .*PodDisruptionBudget seaweedfs-master/);
    const dev = await runPolicies(toPolicyResources(graph), readPackConfig(path.join(REPO_ROOT, "policies", "config.k8s-dev.json")));
    assert.deepEqual(dev.verdicts.filter((v) => v.policy === "seaweedfs-k8s-protected").map((v) => v.verdict), ["not applicable"]);
  });

  for (const v of variants) {
    it(`refuses ${v.name} by ${v.rule}, mandatory in prod`, async () => {
      const report = await runPolicies(toPolicyResources(v.graph()), prodConfig());
      const mandatory = mandatoryViolations(report);
      assert.deepEqual([...new Set(mandatory.map((m) => m.policy))].sort(), [v.rule, ...(v.also ?? [])].sort(), JSON.stringify(mandatory));
      assert.match(mandatory.map((m) => m.message).join("\n"), v.mentions);
    });
  }
});
