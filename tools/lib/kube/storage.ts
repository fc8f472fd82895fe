/**
 * Storage for the local control plane, which has no volume provisioner: a default StorageClass (or one of a given
 * name) with no provisioner and Immediate binding, plus pre-made PersistentVolumes the PV controller binds claims
 * to. The volumes are hostPath entries that no kubelet ever mounts (kwok's fake nodes run nothing); they exist only
 * so a StatefulSet's volumeClaimTemplates bind and its pods get scheduled, as on a cluster with a provisioner.
 */
import { KubeEndpoint, kubeCall } from "./api";

export interface StorageOptions {
  /** StorageClass name; it is made the cluster's default. */
  className: string;
  /** How many volumes to pre-make. */
  volumes: number;
  /** Capacity of each, e.g. "10Gi" (at least the claims' request). */
  size: string;
}

/** Creates the class and the volumes. */
export async function provideStorage(endpoint: KubeEndpoint, options: StorageOptions): Promise<void> {
  await kubeCall(endpoint, "POST", "/apis/storage.k8s.io/v1/storageclasses", {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: options.className, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: "kubernetes.io/no-provisioner",
    volumeBindingMode: "Immediate",
    reclaimPolicy: "Retain",
  });
  for (let i = 0; i < options.volumes; i++) {
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
      },
    });
  }
}
