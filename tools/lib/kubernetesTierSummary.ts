/**
 * The `kubernetesTier` section of `npm run plan -- --json`: what a reviewer checks of a Kubernetes master tier,
 * read from the recorded resource graph (what the program would send to the API server): the StatefulSet's
 * replicas, pod management, zone spread, probes and security context, the backup sidecar, the Services, the PDB and
 * the NetworkPolicy.
 */
import type { RecordedResource } from "./mockGraph";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface KubernetesTierSummary {
  statefulSets: {
    name: string;
    namespace: string;
    replicas: number;
    podManagementPolicy: string;
    serviceName: string;
    image: string;
    topologySpread: Inputs[];
    probes: { startup: Inputs; liveness: Inputs; readiness: Inputs };
    securityContext: { pod: Inputs; container: Inputs };
    volumeClaims: { name: string; storageClassName?: string; storage: string }[];
    /** The backup sidecar (k8sBackupBucket), or null when the pod has none. */
    backup: { image: string; bucket?: string; endpoint?: string } | null;
  }[];
  services: { name: string; clusterIP?: string; publishNotReadyAddresses: boolean; ports: number[] }[];
  disruptionBudgets: { name: string; maxUnavailable?: number; minAvailable?: number }[];
  networkPolicies: { name: string; ingressRules: number }[];
  secrets: string[];
}

const TYPES = {
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  service: "kubernetes:core/v1:Service",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  secret: "kubernetes:core/v1:Secret",
} as const;

export function summarizeKubernetesTier(resources: readonly RecordedResource[]): KubernetesTierSummary {
  const ofType = (type: string) => resources.filter((r) => r.type === type).map((r) => ({ r, i: r.inputs as Inputs }));
  return {
    statefulSets: ofType(TYPES.statefulSet).map(({ i }) => {
      const pod = i.spec.template.spec;
      const container = pod.containers[0];
      const sidecar = pod.containers.find((c: Inputs) => c.name === "backup");
      const envOf = (name: string) => sidecar?.env?.find((e: Inputs) => e.name === name)?.value as string | undefined;
      return {
        name: i.metadata.name,
        namespace: i.metadata.namespace,
        replicas: i.spec.replicas,
        podManagementPolicy: i.spec.podManagementPolicy ?? "OrderedReady",
        serviceName: i.spec.serviceName,
        image: container.image,
        topologySpread: pod.topologySpreadConstraints ?? [],
        probes: { startup: container.startupProbe, liveness: container.livenessProbe, readiness: container.readinessProbe },
        securityContext: { pod: pod.securityContext, container: container.securityContext },
        volumeClaims: (i.spec.volumeClaimTemplates ?? []).map((c: Inputs) => ({
          name: c.metadata.name,
          ...(c.spec.storageClassName ? { storageClassName: c.spec.storageClassName } : {}),
          storage: c.spec.resources.requests.storage,
        })),
        backup: sidecar ? { image: sidecar.image, bucket: envOf("SEAWEEDFS_BACKUP_BUCKET"), endpoint: envOf("SEAWEEDFS_BACKUP_ENDPOINT") } : null,
      };
    }),
    services: ofType(TYPES.service).map(({ i }) => ({
      name: i.metadata.name,
      ...(i.spec.clusterIP ? { clusterIP: i.spec.clusterIP } : {}),
      publishNotReadyAddresses: i.spec.publishNotReadyAddresses === true,
      ports: i.spec.ports.map((p: Inputs) => p.port),
    })),
    disruptionBudgets: ofType(TYPES.pdb).map(({ i }) => ({ name: i.metadata.name, maxUnavailable: i.spec.maxUnavailable, minAvailable: i.spec.minAvailable })),
    networkPolicies: ofType(TYPES.networkPolicy).map(({ i }) => ({ name: i.metadata.name, ingressRules: i.spec.ingress.length })),
    secrets: ofType(TYPES.secret).map(({ i }) => i.metadata.name),
  };
}
