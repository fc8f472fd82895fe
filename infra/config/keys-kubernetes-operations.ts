/**
 * Config keys of the Kubernetes platform that fit the tier into a real cluster's operations: where the Prometheus
 * Operator and Grafana pick the monitoring objects up, scheduling (priority, node selector, tolerations), image
 * pulls, extra `weed master` flags and log level, the optional egress policy, and how the backup sidecar gets its
 * S3 credentials without static keys. Declared here and spread into KUBERNETES_KEYS (config/keys-kubernetes.ts):
 * same rules, every key with type, default, documentation and fix.
 */
import { z } from "zod";
import type { ConfigIssue } from "./spec";
import { key } from "./spec";

/** A label written `key=value` (the same form as k8sClientPodLabels). */
const labelTerm = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?=([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/, "must be a label written key=value, e.g. release=kube-prometheus-stack");
/** An annotation written `key=value`; the value is free text. */
const annotationTerm = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?=.*$/, "must be an annotation written key=value, e.g. eks.amazonaws.com/role-arn=arn:aws:iam::<account>:role/<name>");
const dnsSubdomain = z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, "must be a Kubernetes object name: lower-case letters, digits, dots and dashes");

/** A toleration in `kubectl taint` form: `key=value:Effect` (operator Equal) or `key:Effect` (operator Exists). */
export const TOLERATION = /^(?<key>([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)(=(?<value>[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?))?:(?<effect>NoSchedule|PreferNoSchedule|NoExecute)$/;

/** How the backup sidecar obtains AWS credentials (k8sBackupCredentials). */
export const BACKUP_CREDENTIALS = ["secret", "web-identity", "eks-pod-identity"] as const;
export type BackupCredentials = (typeof BACKUP_CREDENTIALS)[number];

/**
 * `weed master` flags the tier renders itself (infra/seaweed/flags.ts and infra/kubernetes/manifests.ts): an extra
 * argument may not set them again, which would change a master's identity or the quorum behind the renderers' back.
 */
export const RENDERED_MASTER_FLAGS = ["ip", "ip.bind", "port", "port.grpc", "mdir", "peers", "raftHashicorp", "raftBootstrap", "electionTimeout", "heartbeatInterval", "metricsPort", "telemetry", "defaultReplication", "volumeSizeLimitMB"] as const;

export const KUBERNETES_OPERATIONS_KEYS = {
  k8sMonitoringLabels: key({
    type: "array",
    description:
      "Kubernetes only: labels on the PodMonitor and PrometheusRule, which the Prometheus Operator selects them by. kube-prometheus-stack's Prometheus selects release=<its Helm release name> by default; like the upstream chart's monitoring.additionalLabels.",
    schema: z.array(labelTerm),
    default: ["release=kube-prometheus-stack"],
    fix: "write each label as key=value, e.g. release=<your kube-prometheus-stack release name>",
  }),
  k8sDashboardNamespace: key({
    type: "string",
    description:
      "Kubernetes only: the namespace of the Grafana dashboard ConfigMap (label grafana_dashboard=1). kube-prometheus-stack's Grafana sidecar loads dashboards from its own namespace only by default. Empty: k8sMonitoringNamespace.",
    schema: z.string().regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$/, "must be a DNS label: lower-case letters, digits and dashes, at most 63"),
    default: "",
    fix: "name the namespace Grafana runs in, or leave it empty for k8sMonitoringNamespace",
  }),
  k8sPriorityClassName: key({
    type: "string",
    description: "Kubernetes only: priorityClassName of the master pods (made by you), so the scheduler preempts lesser pods for a master rather than leaving it Pending. Empty: the cluster's default priority.",
    schema: dnsSubdomain.or(z.literal("")),
    default: "",
    fix: "name an existing PriorityClass, e.g. system-cluster-critical or one of yours, or leave it empty",
  }),
  k8sNodeSelector: key({
    type: "array",
    description: "Kubernetes only: node labels a master's node must carry (nodeSelector), e.g. a dedicated node group; the zone rule (availabilityZones) applies as well.",
    schema: z.array(labelTerm),
    default: [],
    fix: "write each label as key=value, e.g. node-role.example.org/seaweedfs=true",
  }),
  k8sTolerations: key({
    type: "array",
    description: "Kubernetes only: taints the master pods tolerate, written as kubectl taint does: key=value:Effect (Equal) or key:Effect (Exists).",
    schema: z.array(z.string().regex(TOLERATION, "must be a toleration written key=value:Effect or key:Effect (Effect: NoSchedule, PreferNoSchedule or NoExecute)")),
    default: [],
    fix: "write each toleration as key=value:NoSchedule or key:NoSchedule",
  }),
  k8sImagePullSecrets: key({
    type: "array",
    description: "Kubernetes only: Secrets (of type kubernetes.io/dockerconfigjson, in k8sNamespace) the kubelet pulls the master and backup images with, for private registries.",
    schema: z.array(dnsSubdomain),
    default: [],
    fix: "name each pull Secret, e.g. regcred",
  }),
  k8sEphemeralStorageRequest: key({
    type: "string",
    description: "Kubernetes only: ephemeral-storage request and limit of the master container (its /tmp and logs), so the kubelet schedules and evicts it predictably. Empty: none.",
    schema: z.string().regex(/^(\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?)?$/, "not a Kubernetes quantity such as 256Mi"),
    default: "",
    fix: "use a quantity such as 256Mi, or leave it empty",
  }),
  k8sExtraArgs: key({
    type: "array",
    description:
      "Kubernetes only: extra `weed master` flags appended to the rendered ones, each written -name=value (e.g. -garbageThreshold=0.3). Flags the tier renders (identity, peers, raft, ports, -mdir) are refused. An unknown flag makes weed exit 2: try it in a drill first.",
    schema: z.array(z.string().regex(/^-[A-Za-z][A-Za-z0-9.]*(=.*)?$/, "must be a flag written -name=value, e.g. -garbageThreshold=0.3")),
    default: [],
    fix: "write each flag as -name=value, e.g. -garbageThreshold=0.3",
  }),
  k8sLogLevel: key({
    type: "integer",
    description: "Kubernetes only: the masters' glog verbosity (`weed -v=<level>`): 0 is SeaweedFS's default, 1-4 add detail (4 is very verbose).",
    schema: z.number().int("must be a whole number").min(0, "must be 0 or more").max(4, "must be 4 or less"),
    default: 0,
    fix: "use 0 (default), 1 or 2 for troubleshooting",
  }),
  k8sEgressPolicy: key({
    type: "boolean",
    description:
      "Kubernetes only: also deploy a NetworkPolicy for the masters' egress, for clusters that deny egress by default: DNS, the other masters, the labelled clients (a master calls volume servers back), and with backups the S3 endpoint's port and the credential endpoints.",
    schema: z.boolean(),
    default: false,
    fix: "set true when the cluster denies egress by default, else false",
  }),
  k8sServiceAccountAnnotations: key({
    type: "array",
    description:
      "Kubernetes only: annotations of the masters' ServiceAccount (made by the stack, named after the StatefulSet), e.g. for a workload-identity system that maps it to a cloud identity. Its token reaches only the backup sidecar (see k8sBackupCredentials).",
    schema: z.array(annotationTerm),
    default: [],
    fix: "write each annotation as key=value",
  }),
  k8sBackupCredentials: key({
    type: "string",
    description:
      "Kubernetes only: how the backup sidecar gets S3 credentials. eks-pod-identity (recommended on EKS): an EKS Pod Identity association of the masters' ServiceAccount; web-identity: a projected ServiceAccount token exchanged for k8sBackupRoleArn (IRSA or any OIDC federation AWS trusts); secret: static keys from k8sBackupCredentialsSecret (the fallback, e.g. for S3-compatible stores). Only the sidecar gets a token.",
    schema: z.enum(BACKUP_CREDENTIALS, { message: `must be one of ${BACKUP_CREDENTIALS.join(", ")}` }),
    default: "secret",
    fix: `use one of ${BACKUP_CREDENTIALS.join(", ")}`,
  }),
  k8sBackupRoleArn: key({
    type: "string",
    description: "Kubernetes only: with k8sBackupCredentials web-identity, the IAM role the sidecar assumes with its ServiceAccount token (trusting the cluster's OIDC issuer for system:serviceaccount:<k8sNamespace>:<cluster>-master).",
    schema: z.string().regex(/^(arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+)?$/, "not an IAM role ARN such as arn:aws:iam::<12-digit account>:role/seaweedfs-master-backup"),
    default: "",
    fix: "paste the role's ARN (arn:aws:iam::<account>:role/<name>), or leave it empty",
  }),
};

/**
 * Registries reserved for documentation and tests (RFC 2606, RFC 6761): an image there can never be pulled, so a
 * stack naming one would leave its pods in ErrImagePull and `pulumi up` waiting until it times out.
 */
export function placeholderRegistry(image: string): string | undefined {
  // Docker's rule: the first path component is a registry host when it has a dot or a port (else it is Docker Hub).
  const [first] = image.split("/");
  if (!image.includes("/") || !/[.:]/.test(first)) return undefined;
  const host = first.replace(/:\d+$/, "");
  return /(^|\.)(example\.(com|net|org)|example|invalid|test)$/.test(host) ? host : undefined;
}

/** Cross-checks of these keys with the rest of the Kubernetes config. */
export function operationsChecks(
  v: { k8sImage: string; k8sBackupImage: string; k8sBackupBucket: string; k8sBackupCredentials: BackupCredentials; k8sBackupRoleArn: string; k8sBackupCredentialsSecret: string; k8sExtraArgs: string[]; k8sTolerations: string[] },
  issues: ConfigIssue[],
): void {
  for (const k of ["k8sImage", "k8sBackupImage"] as const) {
    const registry = placeholderRegistry(v[k]);
    if (registry) {
      issues.push({
        key: k,
        value: v[k],
        message: `names the registry ${registry}, which is reserved for examples and can never be pulled from: the pods would stay in ErrImagePull`,
        fix: k === "k8sImage" ? "use chrislusf/seaweedfs or your mirror of it" : "build images/backup/Dockerfile, push it to a registry your nodes pull from and name it here",
      });
    }
  }
  v.k8sExtraArgs.forEach((arg, i) => {
    const flag = arg.slice(1).split("=")[0];
    if ((RENDERED_MASTER_FLAGS as readonly string[]).includes(flag)) {
      issues.push({ key: `k8sExtraArgs[${i}]`, value: arg, message: `sets -${flag}, which the tier renders itself`, fix: `remove it; set the config key that controls -${flag} instead (see docs/kubernetes.md)` });
    }
  });
  const roleUsed = v.k8sBackupCredentials === "web-identity";
  if (v.k8sBackupBucket && roleUsed && !v.k8sBackupRoleArn) {
    issues.push({ key: "k8sBackupRoleArn", value: "", message: "is empty while k8sBackupCredentials is web-identity: the sidecar has no role to assume", fix: "set the IAM role ARN the sidecar assumes, or choose another k8sBackupCredentials" });
  }
  if (v.k8sBackupRoleArn && !(v.k8sBackupBucket && roleUsed)) {
    issues.push({ key: "k8sBackupRoleArn", value: v.k8sBackupRoleArn, message: "has no effect: only the backup sidecar with k8sBackupCredentials web-identity assumes it", fix: "set k8sBackupCredentials: web-identity (and k8sBackupBucket), or remove this key" });
  }
  if (v.k8sBackupBucket && v.k8sBackupCredentials !== "secret" && v.k8sBackupCredentialsSecret) {
    issues.push({
      key: "k8sBackupCredentialsSecret",
      value: v.k8sBackupCredentialsSecret,
      message: `has no effect: k8sBackupCredentials is ${v.k8sBackupCredentials}, so the sidecar uses no static keys`,
      fix: "remove this key, or set k8sBackupCredentials: secret",
    });
  }
}
