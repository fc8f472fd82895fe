/**
 * The keys that fit the Kubernetes tier into a real cluster, rendered: the Prometheus Operator's and Grafana's
 * selectors, scheduling (priority, node selector, tolerations), private registries, ephemeral storage, extra flags and
 * log level, the PDB's eviction of unhealthy masters, the optional egress policy, and S3 credentials for the backup
 * sidecar without static keys. Each key's default leaves the manifests as the committed stacks deploy them.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { KubernetesConfig, projectKeys } from "../../infra/config";
import { parseStackConfig } from "../../infra/platforms";
import { egressPolicy } from "../../infra/kubernetes/egress";
import { disruptionBudget, masterStatefulSet } from "../../infra/kubernetes/manifests";
import { grafanaDashboardConfigMap, podMonitor, prometheusRule } from "../../infra/kubernetes/monitoring";
import { serviceAccount } from "../../infra/kubernetes/serviceAccount";
import { planCluster } from "../../tools/lib/cluster/plan";
import { runAnyStack } from "../../tools/lib/plan";
import { readStackConfig } from "../../tools/lib/stackFiles";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** k8s-prod (or another stack) with some keys changed, validated as the program validates it. */
function configWith(overrides: Record<string, unknown>, stack = "k8s-prod"): KubernetesConfig {
  const text = Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  return parseStackConfig({ ...projectKeys(readStackConfig(stack).config), ...text }, { stack }) as KubernetesConfig;
}
const podOf = (config: KubernetesConfig): Obj => (masterStatefulSet(config) as Obj).spec.template.spec;

describe("Kubernetes operations keys", () => {
  it("by default: no priority, selector, tolerations, pull secrets, ephemeral storage, extra flag or -v; unhealthy masters may be evicted", () => {
    const config = configWith({});
    const pod = podOf(config);
    for (const field of ["priorityClassName", "nodeSelector", "tolerations", "imagePullSecrets"]) assert.equal(pod[field], undefined, field);
    assert.deepEqual(pod.containers[0].command, ["/usr/bin/weed", "-logtostderr=true"]);
    assert.equal(pod.containers[0].resources.requests["ephemeral-storage"], undefined);
    assert.equal(pod.containers[0].args.at(-1), "-volumeSizeLimitMB=30000");
    assert.equal((disruptionBudget(config) as Obj).spec.unhealthyPodEvictionPolicy, "AlwaysAllow");
  });

  it("renders priority, node selector, tolerations, pull secrets, ephemeral storage, extra flags (also in the drill's argv) and log level", () => {
    const config = configWith({
      k8sPriorityClassName: "seaweedfs-critical",
      k8sNodeSelector: ["node-group=masters"],
      k8sTolerations: ["dedicated=seaweedfs:NoSchedule", "spot:NoExecute"],
      k8sImagePullSecrets: ["regcred"],
      k8sEphemeralStorageRequest: "256Mi",
      k8sExtraArgs: ["-garbageThreshold=0.3"],
      k8sLogLevel: "2",
    });
    const pod = podOf(config);
    assert.equal(pod.priorityClassName, "seaweedfs-critical");
    assert.deepEqual(pod.nodeSelector, { "node-group": "masters" });
    assert.deepEqual(pod.tolerations, [
      { key: "dedicated", operator: "Equal", value: "seaweedfs", effect: "NoSchedule" },
      { key: "spot", operator: "Exists", effect: "NoExecute" },
    ]);
    assert.deepEqual(pod.imagePullSecrets, [{ name: "regcred" }]);
    assert.deepEqual(pod.containers[0].resources, { requests: { cpu: "500m", memory: "1Gi", "ephemeral-storage": "256Mi" }, limits: { memory: "1Gi", "ephemeral-storage": "256Mi" } });
    assert.deepEqual(pod.containers[0].command, ["/usr/bin/weed", "-logtostderr=true", "-v=2"]);
    assert.equal(pod.containers[0].args.at(-1), "-garbageThreshold=0.3");
    // The drill runs the same argv, so `npm run drill` proves an extra flag before a deploy does.
    const plan = planCluster(config, { network: 200, runDir: "/nonexistent", volumeServers: 2 });
    assert.ok(plan.masters.every((m) => m.args.at(-1) === "-garbageThreshold=0.3"));
  });

  it("labels the PodMonitor and PrometheusRule for the operator's selector and puts the dashboard where Grafana reads", () => {
    const config = configWith({ k8sMonitoringLabels: ["release=prom", "team=storage"], k8sDashboardNamespace: "grafana" });
    for (const object of [podMonitor(config), prometheusRule(config)] as Obj[]) assert.deepEqual([object.metadata.labels.release, object.metadata.labels.team], ["prom", "storage"]);
    assert.equal((grafanaDashboardConfigMap(config) as Obj).metadata.namespace, "grafana");
  });

  it("with k8sEgressPolicy: DNS, the peers' ports, the clients, and the backup store and credential endpoints only", () => {
    const podIdentity = egressPolicy(configWith({ k8sEgressPolicy: "true" })) as Obj;
    assert.deepEqual(podIdentity.spec.policyTypes, ["Egress"]);
    const rules: Obj[] = podIdentity.spec.egress;
    assert.deepEqual(rules[0], { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] });
    assert.deepEqual(rules[1].ports, [{ protocol: "TCP", port: 9333 }, { protocol: "TCP", port: 19333 }]);
    assert.deepEqual(rules[2].to[0], { podSelector: { matchLabels: { "seaweedfs.io/master-client": "true" } } });
    assert.deepEqual(rules[3].ports, [{ protocol: "TCP", port: 443 }]);
    assert.deepEqual(rules[4], { to: [{ ipBlock: { cidr: "169.254.170.23/32" } }], ports: [{ protocol: "TCP", port: 80 }] });
    // An S3-compatible store on its own port with static keys: that port only, no credential endpoint.
    const minio = egressPolicy(configWith({ k8sEgressPolicy: "true", k8sBackupEndpoint: "http://minio.storage.svc:9000", k8sBackupCredentials: "secret", k8sBackupCredentialsSecret: "minio-keys" })) as Obj;
    assert.deepEqual(minio.spec.egress.slice(3), [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }], ports: [{ protocol: "TCP", port: 9000 }] }]);
    // Without backups (k8s-dev): no rule to the outside at all.
    assert.equal((egressPolicy(configWith({ k8sEgressPolicy: "true" }, "k8s-dev")) as Obj).spec.egress.length, 3);
  });

  it("registers the egress policy only when asked (the program under mocks)", async () => {
    const stacks = fs.mkdtempSync(path.join(os.tmpdir(), "egress-stacks-"));
    try {
      const file = readStackConfig("k8s-prod");
      fs.writeFileSync(path.join(stacks, "Pulumi.k8s-prod.yaml"), stringify({ config: { ...file.config, "seaweed-infra:k8sEgressPolicy": true } }));
      const policies = async (dir?: string) => (await runAnyStack("k8s-prod", undefined, dir)).resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => (r.inputs as Obj).metadata.name);
      assert.deepEqual(await policies(stacks), ["seaweedfs-master", "seaweedfs-master-egress"]);
      assert.deepEqual(await policies(), ["seaweedfs-master"]);
    } finally {
      fs.rmSync(stacks, { recursive: true, force: true });
    }
  });

  it("gives only the backup sidecar a ServiceAccount token, for web identity too; static keys come from an optional Secret", () => {
    const web = configWith({ k8sBackupCredentials: "web-identity", k8sBackupRoleArn: "arn:aws:iam::210987654321:role/seaweedfs-backup", k8sServiceAccountAnnotations: ["example.org/owner=storage"] });
    const account = serviceAccount(web) as Obj;
    assert.deepEqual([account.metadata.name, account.automountServiceAccountToken, account.metadata.annotations], ["seaweedfs-master", false, { "example.org/owner": "storage" }]);
    const pod = podOf(web);
    const [master, backup] = pod.containers;
    const env = Object.fromEntries(backup.env.map((e: Obj) => [e.name, e.value]));
    assert.equal(env.AWS_ROLE_ARN, "arn:aws:iam::210987654321:role/seaweedfs-backup");
    const token = pod.volumes.find((v: Obj) => v.projected);
    assert.equal(token.projected.sources[0].serviceAccountToken.audience, "sts.amazonaws.com");
    assert.equal(env.AWS_WEB_IDENTITY_TOKEN_FILE, `${backup.volumeMounts.find((m: Obj) => m.name === token.name).mountPath}/token`);
    assert.ok(!master.volumeMounts.some((m: Obj) => m.name === token.name));
    assert.deepEqual((masterStatefulSet(web) as Obj).spec.template.metadata.annotations, { "eks.amazonaws.com/skip-containers": "master" });
    // Static keys: no token at all, and the pods start before the operator made the Secret in the new namespace.
    const keys = podOf(configWith({ k8sBackupCredentials: "secret", k8sBackupCredentialsSecret: "seaweedfs-backup-credentials" }));
    assert.equal(keys.volumes.find((v: Obj) => v.projected), undefined);
    const secretRefs = keys.containers[1].env.filter((e: Obj) => e.valueFrom?.secretKeyRef).map((e: Obj) => e.valueFrom.secretKeyRef);
    assert.deepEqual(secretRefs, ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map((key) => ({ name: "seaweedfs-backup-credentials", key, optional: true })));
  });
});
