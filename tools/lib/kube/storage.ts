/**
 * Storage for the local control plane, which has no volume provisioner: a default StorageClass (or one of a given
 * name) with no provisioner and Immediate binding, plus pre-made PersistentVolumes the PV controller binds claims
 * to. The volumes are hostPath entries that no kubelet ever mounts (kwok's fake nodes run nothing); they exist only
 * so a StatefulSet's volumeClaimTemplates bind and its pods get scheduled, as on a cluster with a provisioner.
 * With `zones`, the volumes are zonal like EBS volumes: each belongs to one zone (node affinity on the zone label),
 * and the class binds a claim only once its pod is scheduled (WaitForFirstConsumer), to a volume of the pod's zone.
 */
import { KubeEndpoint, kubeCall } from "./api";

export interface StorageOptions {
  /** StorageClass name; it is made the cluster's default. */
  className: string;
  /** How many volumes to pre-make. */
  volumes: number;
  /** Capacity of each, e.g. "10Gi" (at least the claims' request). */
  size: string;
  /** Zonal volumes: `volumes` of them in each of these zones, bound WaitForFirstConsumer. @default unzoned, Immediate */
  zones?: readonly string[];
}

/** Creates the class and the volumes. */
export async function provideStorage(endpoint: KubeEndpoint, options: StorageOptions): Promise<void> {
  await kubeCall(endpoint, "POST", "/apis/storage.k8s.io/v1/storageclasses", {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: options.className, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: "kubernetes.io/no-provisioner",
    volumeBindingMode: options.zones ? "WaitForFirstConsumer" : "Immediate",
    reclaimPolicy: "Retain",
  });
  const volumes = (options.zones ?? [undefined]).flatMap((zone) => Array.from({ length: options.volumes }, () => zone));
  for (const [i, zone] of volumes.entries()) {
    await kubeCall(endpoint, "POST", "/api/v1/persistentvolumes", {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `local-pv-${i}` },
      spec: {
        capacity: { storage: options.size },
        accessModes: ["ReadWriteOnce"],
        storageClassName: options.className,
        persistentVolumeReclaimPolicy: "Retain",
        hostPath: { path: `/nonexistent/seaweed-infra-engine-test/${i}` },
        ...(zone ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: [zone] }] }] } } } : {}),
      },
    });
  }
}
