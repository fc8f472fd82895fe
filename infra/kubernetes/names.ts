/**
 * Names the Kubernetes resources of a master tier agree on: the StatefulSet and its pods, the headless Service
 * that gives each pod its DNS identity, the client Service, labels, and the exact raft identity of every slot.
 */
import type { KubernetesConfig } from "../config";
import { masterAddress } from "../seaweed/master";
import type { SlotAddress } from "../seaweed/cluster";
import { slotName } from "../topology";

/** The container path of `-mdir` (on the slot's volume claim). */
export const MDIR = "/data/master";
/** Where the ConfigMap's security.toml is mounted; SeaweedFS looks for it in its working directory first. */
export const CONFIG_DIR = "/etc/seaweedfs";
/** Environment variables the pod template sets from the downward API; Kubernetes expands `$(NAME)` in args. */
export const POD_NAME_ENV = "POD_NAME";
export const POD_IP_ENV = "POD_IP";
/** The well-known node label of the zone; the hard spread and the zone-loss table count over it. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";
export const HOSTNAME_LABEL = "kubernetes.io/hostname";

export interface MasterNames {
  namespace: string;
  statefulSet: string;
  /** Headless Service for peers; part of every master's DNS identity. */
  peerService: string;
  /** ClusterIP Service for clients; selects only ready masters. */
  clientService: string;
  configMap: string;
  secret: string;
  disruptionBudget: string;
  networkPolicy: string;
  /** Labels on every resource; the selector is a subset that never changes. */
  labels: Record<string, string>;
  selector: Record<string, string>;
}

export function masterNames(config: Pick<KubernetesConfig, "clusterName" | "k8sNamespace">): MasterNames {
  const base = `${config.clusterName}-master`;
  const selector = { "app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/instance": config.clusterName, "app.kubernetes.io/component": "master" };
  return {
    namespace: config.k8sNamespace,
    statefulSet: base,
    peerService: `${base}-peers`,
    clientService: base,
    configMap: `${base}-config`,
    secret: `${base}-jwt`,
    disruptionBudget: base,
    networkPolicy: base,
    labels: { ...selector, "app.kubernetes.io/managed-by": "pulumi" },
    selector,
  };
}

/** The pod of a slot: the StatefulSet's ordinal is the slot number (`<cluster>-master-<slot>`). */
export function podName(config: Pick<KubernetesConfig, "clusterName">, slot: number): string {
  return slotName(config.clusterName, slot);
}

/** `<pod>.<headless service>.<namespace>.svc.<cluster domain>` with `pod` as given (a name or `$(POD_NAME)`). */
export function podHost(config: Pick<KubernetesConfig, "clusterName" | "k8sNamespace" | "k8sClusterDomain">, pod: string): string {
  const names = masterNames(config);
  return `${pod}.${names.peerService}.${names.namespace}.svc.${config.k8sClusterDomain}`;
}

/** Every slot's raft identity host, in slot order. */
export function slotHosts(config: Pick<KubernetesConfig, "clusterName" | "k8sNamespace" | "k8sClusterDomain" | "masterCount">): SlotAddress[] {
  return Array.from({ length: config.masterCount }, (_, slot) => ({ slot, host: podHost(config, podName(config, slot)) }));
}

/** The `-master=` list clients need (every master's `host:port`). */
export function clientMasterList(config: KubernetesConfig): string {
  return slotHosts(config)
    .map((s) => masterAddress(s.host, config.httpPort))
    .join(",");
}
