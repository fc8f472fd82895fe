/**
 * The Kubernetes composition root: the master StatefulSet and the stack outputs clients and operators need (every
 * master's DNS identity for `-master=`, the client Service, quorum and the zone-loss table).
 */
import type { KubernetesConfig } from "../config";
import { MasterStatefulSet } from "./masterSet";
import { clientMasterList, masterNames, podName, slotHosts } from "./names";
import { kubernetesTlsOutputs } from "./tls";

/** Builds every resource of a Kubernetes stack and returns its outputs. */
export async function kubernetesPlatform(config: KubernetesConfig): Promise<Record<string, unknown>> {
  const { topology } = config;
  const names = masterNames(config);
  const tier = new MasterStatefulSet(config.clusterName, { config });
  const hosts = slotHosts(config);
  return {
    platform: config.platform,
    slots: topology.slots.map((s) => ({ slot: s.slot, name: podName(config, s.slot), az: s.az, host: hosts.find((h) => h.slot === s.slot)!.host })),
    masterAddresses: clientMasterList(config),
    quorum: topology.quorum,
    toleratedFailures: topology.toleratedFailures,
    azLoss: topology.azLoss,
    namespace: names.namespace,
    statefulSetName: tier.statefulSet.metadata.name,
    clientServiceName: tier.clientService.metadata.name,
    clientServiceHost: `${names.clientService}.${names.namespace}.svc.${config.k8sClusterDomain}`,
    jwtSecretName: tier.secret.metadata.name,
    // Mutual TLS: the client roles' Secrets and security.toml (null: TLS off).
    tls: kubernetesTlsOutputs(config),
  };
}
