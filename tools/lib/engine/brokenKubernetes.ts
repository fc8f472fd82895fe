/**
 * The k8s-prod program broken on purpose for the engine's policy checks: OrderedReady pod management, a soft zone
 * spread, liveness on /cluster/healthz (503 during every election) and a PDB letting 2 masters go at once. Applied
 * as a stack transformation by the entry point brokenVariant.ts writes into the engine workspace's copy of the
 * program, so the real program renders everything else; the same change is applied to the mock graph
 * for the in-process runner's verdicts. No imports: the file is copied next to the program.
 */

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The rules the broken variant must break, each as `rule @ resource name`. */
export const BROKEN_KUBERNETES_VIOLATIONS = [
  "seaweedfs-k8s-disruption-budget @ seaweedfs-pdb",
  "seaweedfs-k8s-parallel-pods @ seaweedfs-statefulset",
  "seaweedfs-k8s-probes @ seaweedfs-statefulset",
  "seaweedfs-k8s-zone-spread @ seaweedfs-statefulset",
];

/** Breaks the props of one resource in place; resources of other types are left alone. */
export function breakKubernetesProps(type: string, props: Props): void {
  if (type === "kubernetes:apps/v1:StatefulSet") {
    props.spec.podManagementPolicy = "OrderedReady";
    const pod = props.spec.template.spec;
    // One soft spread: the API allows one spread per key and kind, and minDomains only on a hard one.
    const soft = { ...pod.topologySpreadConstraints[0], whenUnsatisfiable: "ScheduleAnyway" };
    delete soft.minDomains;
    pod.topologySpreadConstraints = [soft];
    pod.containers[0].livenessProbe = { httpGet: { path: "/cluster/healthz", port: 9333 }, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 3, terminationGracePeriodSeconds: 1 };
  }
  if (type === "kubernetes:policy/v1:PodDisruptionBudget") {
    delete props.spec.minAvailable;
    props.spec.maxUnavailable = 2;
  }
}
