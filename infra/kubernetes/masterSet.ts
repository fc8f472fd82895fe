/**
 * The Kubernetes master tier: namespace, ServiceAccount, JWT Secret, security.toml ConfigMap, peer and client
 * Services, the StatefulSet, its PodDisruptionBudget and NetworkPolicy (infra/kubernetes/manifests.ts), optionally an
 * egress NetworkPolicy (./egress.ts), a PodMonitor, PrometheusRule and Grafana dashboard (infra/kubernetes/monitoring.ts). The signing key is
 * generated once by a dynamic resource (./signingKey.ts, not @pulumi/random) and reaches the pods only through the
 * Secret (as WEED_JWT_SIGNING_KEY).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KubernetesConfig } from "../config";
import { clientService, disruptionBudget, masterSecurityToml, masterStatefulSet, networkPolicy, peerService } from "./manifests";
import { backupConfigMapData, backupConfigMapName, backupsEnabled } from "./backup";
import { grafanaDashboardConfigMap, podMonitor, prometheusRule } from "./monitoring";
import { masterNames } from "./names";
import { SigningKey } from "./signingKey";
import { MasterTlsObjects } from "./masterTls";
import { serviceAccount } from "./serviceAccount";
import { egressPolicy } from "./egress";

export interface MasterStatefulSetArgs {
  /** The validated Kubernetes stack config: masterCount, zones, ports, image, storage and access keys. */
  config: KubernetesConfig;
}

/** Casts a rendered manifest to the args of the resource that registers it (the renderer's tests pin its shape). */
function as<T>(manifest: Record<string, unknown>): T {
  return manifest as unknown as T;
}

export class MasterStatefulSet extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:kubernetes:MasterStatefulSet";
  readonly namespace: k8s.core.v1.Namespace;
  readonly statefulSet: k8s.apps.v1.StatefulSet;
  readonly clientService: k8s.core.v1.Service;
  readonly peerService: k8s.core.v1.Service;
  readonly secret: k8s.core.v1.Secret;
  /** Mutual TLS: the certificates' Secrets (or cert-manager Certificates); absent when `tlsEnabled` is false. */
  readonly tls?: MasterTlsObjects;

  constructor(name: string, args: MasterStatefulSetArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterStatefulSet.__pulumiType, name, {}, opts);
    const { config } = args;
    const names = masterNames(config);
    // On prod every object of the tier is protected, not only the namespace and the StatefulSet: the real engine
    // showed that a refused `pulumi destroy` still deletes every object the StatefulSet does not depend on (the
    // security.toml ConfigMap its pods mount, the PDB, the NetworkPolicy, the client Service, the monitoring),
    // leaving running masters that cannot restart, unguarded. Now the destroy stops before deleting anything.
    const kept = { parent: this, protect: config.environment === "prod" };
    this.namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: names.namespace, labels: names.labels } }, kept);
    const inNamespace = { ...kept, dependsOn: [this.namespace] };
    const jwtKey = new SigningKey(`${name}-jwt-signing-key`, { length: 48 }, kept);
    this.secret = new k8s.core.v1.Secret(
      `${name}-jwt`,
      { metadata: { name: names.secret, namespace: names.namespace, labels: names.labels }, type: "Opaque", stringData: { signingKey: pulumi.secret(jwtKey.result) } },
      inNamespace,
    );
    new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: { name: names.configMap, namespace: names.namespace, labels: names.labels },
        data: {
          "security.toml": masterSecurityToml(config),
        },
      },
      inNamespace,
    );
    // The backup sidecar's scripts (infra/kubernetes/backup.ts); the credentials Secret is the operator's.
    const backupScripts = backupsEnabled(config)
      ? [new k8s.core.v1.ConfigMap(`${name}-backup`, { metadata: { name: backupConfigMapName(config), namespace: names.namespace, labels: names.labels }, data: backupConfigMapData(config) }, inNamespace)]
      : [];
    if (config.tlsEnabled) this.tls = new MasterTlsObjects(`${name}-tls`, { config, objectOptions: inNamespace }, kept);
    const account = new k8s.core.v1.ServiceAccount(`${name}-service-account`, as<k8s.core.v1.ServiceAccountArgs>(serviceAccount(config)), inNamespace);
    this.peerService = new k8s.core.v1.Service(`${name}-peers`, as<k8s.core.v1.ServiceArgs>(peerService(config)), inNamespace);
    this.clientService = new k8s.core.v1.Service(`${name}-clients`, as<k8s.core.v1.ServiceArgs>(clientService(config)), inNamespace);
    this.statefulSet = new k8s.apps.v1.StatefulSet(`${name}-statefulset`, as<k8s.apps.v1.StatefulSetArgs>(masterStatefulSet(config)), {
      ...inNamespace,
      dependsOn: [this.namespace, this.peerService, this.secret, account, ...backupScripts, ...(this.tls?.objects ?? [])],
    });
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, as<k8s.policy.v1.PodDisruptionBudgetArgs>(disruptionBudget(config)), inNamespace);
    new k8s.networking.v1.NetworkPolicy(`${name}-network-policy`, as<k8s.networking.v1.NetworkPolicyArgs>(networkPolicy(config)), inNamespace);
    if (config.k8sEgressPolicy) new k8s.networking.v1.NetworkPolicy(`${name}-egress-policy`, as<k8s.networking.v1.NetworkPolicyArgs>(egressPolicy(config)), inNamespace);
    if (config.k8sPrometheusOperator) {
      new k8s.apiextensions.CustomResource(`${name}-pod-monitor`, as<k8s.apiextensions.CustomResourceArgs>(podMonitor(config)), inNamespace);
      new k8s.apiextensions.CustomResource(`${name}-alarms`, as<k8s.apiextensions.CustomResourceArgs>(prometheusRule(config)), inNamespace);
      new k8s.core.v1.ConfigMap(`${name}-dashboard`, as<k8s.core.v1.ConfigMapArgs>(grafanaDashboardConfigMap(config)), inNamespace);
    }
    this.registerOutputs({ statefulSet: this.statefulSet.metadata.name, clientService: this.clientService.metadata.name });
  }
}
