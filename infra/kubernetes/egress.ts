/**
 * The masters' egress, for clusters whose namespaces deny egress by default (k8sEgressPolicy): only what a master
 * pod opens itself. DNS (the peers' names; any resolver, the cluster's or a node-local cache), the other masters on
 * the HTTP and gRPC ports (raft), the labelled clients on any port (a master calls volume servers back: volume
 * allocation, vacuum), and with backups the S3 endpoint's port and where the credentials come from (the EKS Pod
 * Identity Agent, or STS for web identity). The upstream Helm chart's opt-in policy has egress rules too; without
 * this one a default-deny cluster isolates every master from its peers and no leader is ever elected.
 */
import type { KubernetesConfig } from "../config";
import { backupsEnabled } from "./backup";
import { labelMap } from "./labels";
import { Manifest, object } from "./manifests";
import { masterNames } from "./names";
import { EKS_POD_IDENTITY_ENDPOINT } from "./serviceAccount";

/** The TCP port of the backup store: the endpoint URL's, else AWS S3's HTTPS. */
export function backupStorePort(config: Pick<KubernetesConfig, "k8sBackupEndpoint">): number {
  if (!config.k8sBackupEndpoint) return 443;
  const url = new URL(config.k8sBackupEndpoint);
  return url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
}

/** Every address, for the backup store and STS (their addresses are many and change). */
const ANYWHERE = [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }];

function backupEgress(config: KubernetesConfig): Manifest[] {
  if (!backupsEnabled(config)) return [];
  const ports = new Set([backupStorePort(config)]);
  // STS for AssumeRoleWithWebIdentity is HTTPS.
  if (config.k8sBackupCredentials === "web-identity") ports.add(443);
  return [
    { to: ANYWHERE, ports: [...ports].map((port) => ({ protocol: "TCP", port })) },
    ...(config.k8sBackupCredentials === "eks-pod-identity" ? [{ to: [{ ipBlock: { cidr: `${EKS_POD_IDENTITY_ENDPOINT.ip}/32` } }], ports: [{ protocol: "TCP", port: EKS_POD_IDENTITY_ENDPOINT.port }] }] : []),
  ];
}

export function egressPolicy(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  const clientPods = { matchLabels: labelMap(config.k8sClientPodLabels) };
  const clients = [
    { podSelector: clientPods },
    ...(config.k8sClientNamespaceLabels.length > 0 ? [{ namespaceSelector: { matchLabels: labelMap(config.k8sClientNamespaceLabels) }, podSelector: clientPods }] : []),
  ];
  return object(config, "networking.k8s.io/v1", "NetworkPolicy", `${names.networkPolicy}-egress`, {
    podSelector: { matchLabels: names.selector },
    policyTypes: ["Egress"],
    egress: [
      { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
      { to: [{ podSelector: { matchLabels: names.selector } }], ports: [{ protocol: "TCP", port: config.httpPort }, { protocol: "TCP", port: config.grpcPort }] },
      { to: clients },
      ...backupEgress(config),
    ],
  });
}
