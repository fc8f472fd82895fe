/**
 * The Kubernetes master tier as the program registers it under mocks: k8s-prod runs 5 masters over 3 zones that
 * survive any zone loss, every pod's argv is the one infra/seaweed renders for its DNS identity, the StatefulSet
 * cannot deadlock on start, probes and the PDB follow the SeaweedFS facts, the JWT key stays in the Secret, and on
 * prod every object of the tier is protected.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type { KubernetesConfig } from "../../infra/config";
import { renderClusterMasters } from "../../infra/seaweed/cluster";
import { HEALTH_CHECK, READINESS_PATH } from "../../infra/seaweed/constants";
import { expandPodArgs } from "../../infra/kubernetes/manifests";
import { MOCK_SECRET_VALUE } from "../../tools/lib/mockCloud";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { buildPlan, Plan, runAnyStack } from "../../tools/lib/plan";
import { IssuedCertificate } from "../../infra/tls/resources";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const runs: Record<string, { resources: RecordedResource[]; outputs: Record<string, unknown>; config: KubernetesConfig }> = {};
let prodPlan: Plan;

before(async () => {
  for (const stack of ["k8s-dev", "k8s-prod"]) runs[stack] = (await runAnyStack(stack)) as (typeof runs)[string];
  prodPlan = await buildPlan("k8s-prod");
});

function statefulSet(stack: string): Inputs {
  const found = runs[stack].resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet");
  assert.equal(found.length, 1);
  return found[0].inputs as Inputs;
}

/**
 * A model of the StatefulSet controller and the master's readiness, driven by the rendered spec: OrderedReady
 * creates pod i+1 only once pods 0..i are ready, Parallel creates all at once; a master answers its readiness path
 * with 200 only when a leader exists, and a leader needs a quorum of running masters. Returns the ready pods once
 * nothing changes any more.
 */
function settle(spec: Inputs): number {
  const replicas: number = spec.replicas;
  const policy: string = spec.podManagementPolicy ?? "OrderedReady";
  const readinessPath: string = spec.template.spec.containers[0].readinessProbe.httpGet.path;
  let created = 0;
  let ready = 0;
  for (;;) {
    const nextCreated = policy === "Parallel" ? replicas : Math.min(replicas, ready + 1);
    const leader = nextCreated >= Math.floor(replicas / 2) + 1;
    // /readyz and /cluster/healthz are 200 only with a leader; an always-200 path would make every created pod ready.
    const nextReady = [READINESS_PATH, HEALTH_CHECK.path].includes(readinessPath) ? (leader ? nextCreated : 0) : nextCreated;
    if (nextCreated === created && nextReady === ready) return ready;
    [created, ready] = [nextCreated, nextReady];
  }
}

describe("Kubernetes master tier (k8s-prod, k8s-dev under mocks)", () => {
  it("plans 5 masters over 3 zones with quorum 3, every zone loss keeping quorum, and a clean policy verdict", () => {
    assert.equal(prodPlan.platform, "kubernetes");
    assert.equal(prodPlan.masters.length, 5);
    assert.deepEqual([...new Set(prodPlan.masters.map((m) => m.az))].sort(), ["us-east-1a", "us-east-1b", "us-east-1c"]);
    assert.equal(prodPlan.quorum, 3);
    assert.ok(prodPlan.azLoss.every((row) => row.quorumKept && row.remaining >= 3));
    const types = new Set(prodPlan.resources.map((r) => r.type));
    for (const type of ["apps/v1:StatefulSet", "core/v1:Service", "policy/v1:PodDisruptionBudget", "networking.k8s.io/v1:NetworkPolicy", "core/v1:Secret"]) {
      assert.ok(types.has(`kubernetes:${type}`), `no ${type}`);
    }
    assert.deepEqual(prodPlan.policy.violations, []);
    assert.ok(prodPlan.policy.verdicts.filter((v) => v.policy.startsWith("seaweedfs-k8s-")).every((v) => v.verdict === "pass"));
    assert.equal(prodPlan.kubernetesTier?.statefulSets[0].replicas, 5);
    assert.deepEqual(prodPlan.kubernetesTier?.statefulSets[0].backup, { image: "seaweedfs-master-backup:1.0.0", bucket: "seaweedfs-prod-master-backups", endpoint: undefined });
  });

  it("gives every pod exactly the argv infra/seaweed renders for its DNS identity (template args with the pod's name and IP expanded)", () => {
    for (const stack of ["k8s-dev", "k8s-prod"]) {
      const { config } = runs[stack];
      const container = statefulSet(stack).spec.template.spec.containers[0];
      const domain = `seaweedfs-master-peers.${config.k8sNamespace}.svc.cluster.local`;
      const hosts = Array.from({ length: config.masterCount }, (_, slot) => ({ slot, host: `seaweedfs-master-${slot}.${domain}` }));
      const expected = renderClusterMasters(hosts, { port: 9333, metricsPort: 9327, raft: { heartbeatInterval: "300ms", electionTimeout: "2s" }, defaultReplication: "000", volumeSizeLimitMB: config.volumeSizeLimitMB, bind: "10.1.0.7" }, () => "/data/master");
      for (const master of expected) {
        assert.deepEqual(expandPodArgs(container.args, { name: `seaweedfs-master-${master.slot}`, ip: "10.1.0.7" }), master.args, `${stack} slot ${master.slot}`);
      }
      assert.ok(container.args.includes(`-ip=$(POD_NAME).${domain}`));
      assert.deepEqual(container.env.slice(0, 2).map((e: Inputs) => e.valueFrom.fieldRef.fieldPath), ["metadata.name", "status.podIP"]);
    }
  });

  it("starts: with Parallel every master becomes ready; the same spec with OrderedReady deadlocks with no master ready", () => {
    for (const stack of ["k8s-dev", "k8s-prod"]) {
      const spec = statefulSet(stack).spec;
      assert.equal(spec.podManagementPolicy, "Parallel");
      assert.equal(settle(spec), spec.replicas, `${stack} with Parallel`);
      assert.equal(settle({ ...spec, podManagementPolicy: "OrderedReady" }), 0, `${stack} with OrderedReady`);
    }
  });

  it("caps every zone at N - quorum (hard, minDomains = zones), balances softly, one master per node, and lets a drain evict one master at a time", () => {
    const spec = statefulSet("k8s-prod").spec;
    const pod = spec.template.spec;
    assert.deepEqual(pod.topologySpreadConstraints.map((c: Inputs) => [c.topologyKey, c.maxSkew, c.whenUnsatisfiable, c.minDomains]), [
      ["topology.kubernetes.io/zone", 2, "DoNotSchedule", 3],
      ["topology.kubernetes.io/zone", 1, "ScheduleAnyway", undefined],
    ]);
    // 3 masters over 3 zones: one per zone, hard.
    assert.deepEqual(statefulSet("k8s-dev").spec.template.spec.topologySpreadConstraints[0].maxSkew, 1);
    assert.deepEqual(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values, ["us-east-1a", "us-east-1b", "us-east-1c"]);
    assert.equal(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, "kubernetes.io/hostname");
    const pdb = runs["k8s-prod"].resources.find((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget")!.inputs as Inputs;
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.deepEqual(spec.volumeClaimTemplates[0].spec.storageClassName, "gp3-wait-for-first-consumer");
  });

  it("arms liveness on the first /healthz answer, runs the watchdog's two rules as an exec liveness probe, readiness on /readyz, and runs locked down", () => {
    const container = statefulSet("k8s-prod").spec.template.spec.containers[0];
    assert.deepEqual(container.livenessProbe.exec.command.slice(0, 2), ["/bin/sh", "-c"]);
    assert.match(container.livenessProbe.exec.command[2], /curl .*--max-time 2 "\$url\/healthz"/);
    assert.match(container.livenessProbe.exec.command[2], /--max-time 7 "\$url\/cluster\/healthz"/);
    assert.deepEqual([container.livenessProbe.periodSeconds, container.livenessProbe.failureThreshold, container.livenessProbe.timeoutSeconds, container.livenessProbe.terminationGracePeriodSeconds], [1, 3, 10, 1]);
    assert.equal(container.readinessProbe.httpGet.path, "/readyz");
    assert.equal(container.startupProbe.httpGet.path, "/healthz");
    assert.equal(container.image, "chrislusf/seaweedfs:4.44");
    assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.ok(statefulSet("k8s-prod").spec.template.spec.securityContext.runAsUser > 0);
  });

  it("publishes unready peers on the headless Service and only ready masters on the client Service", () => {
    const services = runs["k8s-prod"].resources.filter((r) => r.type === "kubernetes:core/v1:Service").map((r) => r.inputs as Inputs);
    const peers = services.find((s) => s.spec.clusterIP === "None")!;
    assert.equal(peers.metadata.name, statefulSet("k8s-prod").spec.serviceName);
    assert.equal(peers.spec.publishNotReadyAddresses, true);
    assert.equal(services.find((s) => s !== peers)!.spec.publishNotReadyAddresses, false);
  });

  it("raises every shared alarm kind and backup age in a PrometheusRule on the masters' own series, and scrapes their metrics ports", () => {
    const custom = (kind: string) => runs["k8s-prod"].resources.filter((r) => r.type === `kubernetes:monitoring.coreos.com/v1:${kind}`).map((r) => r.inputs as Inputs);
    const [monitor] = custom("PodMonitor");
    assert.deepEqual(monitor.spec.podMetricsEndpoints.map((e: Inputs) => [e.port, e.relabelings[0].replacement]), [["metrics", "seaweedfs-master"], ["backup-metrics", "seaweedfs-master-backup"]]);
    // kube-prometheus-stack's default selectors pick them up by their release label.
    for (const kind of ["PodMonitor", "PrometheusRule"]) for (const o of custom(kind)) assert.equal(o.metadata.labels.release, "kube-prometheus-stack", `${kind} ${o.metadata.name}`);
    const rules: Inputs[] = custom("PrometheusRule").find((r) => !r.metadata.name.endsWith("-tls-expiry"))!.spec.groups[0].rules;
    const byKind = Object.fromEntries(rules.map((r) => [r.labels.kind, r]));
    assert.deepEqual(Object.keys(byKind).sort(), ["backup-age", "data-disk-used", "leader-count", "leader-flapping", "masters-below-quorum", "slot-down"]);
    assert.match(byKind["leader-count"].expr, /sum\(SeaweedFS_master_is_leader\{namespace="seaweedfs", job="seaweedfs-master"\}\) or vector\(0\)\) != 1/);
    assert.equal(byKind["leader-count"].for, "3m");
    assert.match(byKind["leader-flapping"].expr, /count_over_time\(.*SeaweedFS_master_is_leader\{namespace="seaweedfs", job="seaweedfs-master"\}.*\[15m:15s\]\)\) or vector\(0\)\) > 2$/);
    assert.match(byKind["masters-below-quorum"].expr, / < 3$/);
    assert.match(byKind["data-disk-used"].expr, /persistentvolumeclaim=~"data-seaweedfs-master-\[0-9\]\+".* > 80$/);
    assert.equal(byKind["leader-count"].labels.severity, "critical");
    // With TLS (k8s-prod) a third: the certificate-expiry rule (infra/kubernetes/tls.ts tlsExpiryRule).
    assert.equal(custom("PodMonitor").length + custom("PrometheusRule").length, 3);
    assert.equal(runs["k8s-dev"].resources.filter((r) => r.type.startsWith("kubernetes:monitoring.coreos.com/")).length, 0, "k8s-dev has no Prometheus Operator");
    const dashboard = runs["k8s-prod"].resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && (r.inputs as Inputs).metadata.labels.grafana_dashboard === "1")!.inputs as Inputs;
    // The Grafana sidecar of kube-prometheus-stack loads dashboards from its own namespace (the monitoring one).
    assert.equal(dashboard.metadata.namespace, "monitoring");
    const panels: Inputs[] = JSON.parse(dashboard.data["seaweedfs-masters.json"]).panels;
    assert.deepEqual(panels.map((p) => p.title), ["Leaders (must be 1)", "Leader elections (per 15 min)", "Volume-server heartbeats received", "Writable volumes (leader's layouts)", "Alerts"]);
    assert.equal(panels[0].targets[0].expr, 'sum(SeaweedFS_master_is_leader{namespace="seaweedfs", job="seaweedfs-master"})');
  });

  it("keeps the JWT signing key in the Secret only: not in the StatefulSet, the ConfigMap or the outputs", () => {
    const { resources, outputs } = runs["k8s-prod"];
    const holders = resources.filter((r) => JSON.stringify(r.inputs).includes(MOCK_SECRET_VALUE)).map((r) => r.type);
    assert.deepEqual(holders, ["kubernetes:core/v1:Secret"]);
    assert.ok(!JSON.stringify(outputs).includes(MOCK_SECRET_VALUE));
    const env = statefulSet("k8s-prod").spec.template.spec.containers[0].env.find((e: Inputs) => e.name === "WEED_JWT_SIGNING_KEY");
    assert.equal(env.valueFrom.secretKeyRef.name, "seaweedfs-master-jwt");
  });

  it("runs a backup sidecar on k8s-prod that reads -mdir read-only, gets S3 credentials through EKS Pod Identity (its own token only) and never the JWT key", () => {
    const podSpec = statefulSet("k8s-prod").spec.template.spec;
    assert.deepEqual(podSpec.containers.map((c: Inputs) => c.name), ["master", "backup"]);
    const [master, backup] = podSpec.containers;
    const mdir = master.args.find((a: string) => a.startsWith("-mdir=")).slice("-mdir=".length);
    const dataMount = master.volumeMounts.find((m: Inputs) => m.mountPath === mdir);
    assert.deepEqual(backup.volumeMounts.find((m: Inputs) => m.name === dataMount.name), { name: dataMount.name, mountPath: mdir, readOnly: true });
    assert.equal(backup.image, "seaweedfs-master-backup:1.0.0");
    const env = Object.fromEntries(backup.env.map((e: Inputs) => [e.name, e]));
    assert.equal(env.SEAWEEDFS_BACKUP_BUCKET.value, "seaweedfs-prod-master-backups");
    assert.equal(env.AWS_CONTAINER_CREDENTIALS_FULL_URI.value, "http://169.254.170.23/v1/credentials");
    assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
    assert.equal(env.WEED_JWT_SIGNING_KEY, undefined);
    // The token the Pod Identity Agent takes: a projected volume for its audience, mounted in the sidecar only.
    const tokenVolume = podSpec.volumes.find((v: Inputs) => v.projected?.sources.some((s: Inputs) => s.serviceAccountToken));
    assert.deepEqual(tokenVolume.projected.sources[0].serviceAccountToken.audience, "pods.eks.amazonaws.com");
    assert.equal(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.value, `${backup.volumeMounts.find((m: Inputs) => m.name === tokenVolume.name).mountPath}/eks-pod-identity-token`);
    assert.ok(!master.volumeMounts.some((m: Inputs) => m.name === tokenVolume.name));
    assert.equal(podSpec.automountServiceAccountToken, false);
    assert.equal(podSpec.serviceAccountName, "seaweedfs-master");
    // Its scripts come from a ConfigMap the stack registers, holding the one-pass script and the loop.
    const scripts = podSpec.volumes.find((v: Inputs) => v.configMap && backup.volumeMounts.some((m: Inputs) => m.name === v.name && m.readOnly));
    const configMap = runs["k8s-prod"].resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && (r.inputs as Inputs).metadata.name === scripts.configMap.name);
    assert.ok(configMap, `no ConfigMap ${scripts.configMap.name} registered`);
    assert.deepEqual(Object.keys((configMap.inputs as Inputs).data).sort(), ["backup.sh", "loop.sh", "metrics.py"]);
    // Every 15 minutes, and a change check every backupOnChangeSeconds (15 s) in between.
    assert.match((configMap.inputs as Inputs).data["loop.sh"], /next_timer=\$\(\(\$\(date \+%s\) \+ 15 \* 60/);
    assert.match((configMap.inputs as Inputs).data["loop.sh"], /^ {2}sleep 15$/m);
  });

  // A refused `pulumi destroy` still deletes whatever is not protected and not depended on (seen with the real
  // engine: the ConfigMap the pods mount, the PDB, the NetworkPolicy); so on prod nothing of the tier is left out.
  it("protects every object of the tier on k8s-prod (a destroy deletes nothing) and none on k8s-dev", () => {
    const tier = (stack: string) => runs[stack].resources.filter((r) => !r.type.startsWith("pulumi:pulumi:") && r.type !== "seaweed:kubernetes:MasterStatefulSet");
    // Certificates are re-issued by replacement (renewal), which protection would refuse; their Secrets are protected.
    const prod = tier("k8s-prod").filter((r) => r.type !== IssuedCertificate.type);
    assert.equal(prod.length, 26, "Namespace, SigningKey, Secret, ServiceAccount, 3 ConfigMaps, 2 Services, StatefulSet, PDB, NetworkPolicy, PodMonitor, PrometheusRule; TLS: 2 components, the CA, 8 certificate Secrets (5 masters, 3 client roles), the expiry PrometheusRule");
    assert.deepEqual(prod.filter((r) => !r.protect).map((r) => `${r.type} ${r.name}`), []);
    assert.deepEqual(tier("k8s-dev").filter((r) => r.protect).map((r) => `${r.type} ${r.name}`), []);
  });

  it("runs no sidecar and registers no backup ConfigMap when k8sBackupBucket is empty (k8s-dev)", () => {
    const podSpec = statefulSet("k8s-dev").spec.template.spec;
    assert.deepEqual(podSpec.containers.map((c: Inputs) => c.name), ["master"]);
    assert.ok(!runs["k8s-dev"].resources.some((r) => r.type === "kubernetes:core/v1:ConfigMap" && /backup/.test((r.inputs as Inputs).metadata.name)));
  });
});
