/**
 * Config keys of the Kubernetes platform (`platform: kubernetes`): namespace and DNS of the pods, the image, storage,
 * pod resources and who may reach the masters. Same rules as config/keys.ts: every key declared once with type,
 * default, documentation and fix. They are refused on an AWS stack (see config/platforms.ts).
 */
import { z } from "zod";
import type { ConfigIssue } from "./spec";
import { key } from "./spec";
import { BackupCredentials, KUBERNETES_OPERATIONS_KEYS, operationsChecks } from "./keys-kubernetes-operations";

/** An RFC 1123 label: what Kubernetes allows for namespace and Service names. */
const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a DNS label: lower-case letters, digits and dashes, at most 63");
/** A label selector term written `key=value`. */
const labelTerm = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?=([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/, "must be a label written key=value, e.g. seaweedfs.io/master-client=true");
const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, "not a Kubernetes quantity such as 100m, 256Mi or 10Gi");

export const KUBERNETES_KEYS = {
  k8sNamespace: key({
    type: "string",
    description: "Kubernetes only: the namespace of the masters (created by the stack). Part of every master's raft identity <pod>.<service>.<namespace>.svc.<domain>, so changing it replaces the cluster.",
    schema: dnsLabel,
    default: "seaweedfs",
    fix: "use a DNS label such as seaweedfs",
  }),
  k8sClusterDomain: key({
    type: "string",
    description: "Kubernetes only: the cluster's DNS domain (kubelet --cluster-domain), the last part of every master's raft identity.",
    schema: z.string().regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "not a DNS domain such as cluster.local"),
    default: "cluster.local",
    fix: "use the cluster's domain, usually cluster.local",
  }),
  k8sImage: key({
    type: "string",
    description: "Kubernetes only: the container image repository; the tag is seaweedVersion. The official image is chrislusf/seaweedfs.",
    schema: z.string().regex(/^[a-z0-9]+([._/-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, "not an image repository such as chrislusf/seaweedfs (no tag: the tag is seaweedVersion)"),
    default: "chrislusf/seaweedfs",
    fix: "use a repository without a tag, e.g. chrislusf/seaweedfs or <your registry>/mirror/seaweedfs",
  }),
  k8sImageDigest: key({
    type: "string",
    description: "Kubernetes only: pins the image to a digest (sha256:...), so a re-pushed tag cannot change what runs. Empty: the tag alone.",
    schema: z.string().regex(/^(sha256:[0-9a-f]{64})?$/, "not an image digest such as sha256:<64 hex digits>"),
    default: "",
    fix: "paste the digest from `docker buildx imagetools inspect chrislusf/seaweedfs:<version>`, or leave it empty",
  }),
  k8sStorageClassName: key({
    type: "string",
    description: "Kubernetes only: storage class of each master's -mdir volume claim. Use a WaitForFirstConsumer class (zonal volumes are then created in the zone the pod was scheduled to). Empty: the cluster's default class.",
    schema: z.string().regex(/^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)?$/, "not a storage class name"),
    default: "",
    fix: "name a WaitForFirstConsumer storage class, e.g. gp3 on EKS, or leave it empty",
  }),
  k8sStorageSize: key({
    type: "string",
    description: "Kubernetes only: size of each master's -mdir volume claim (raft state is small).",
    schema: quantity,
    default: "10Gi",
    fix: "use a quantity such as 10Gi",
  }),
  k8sCpuRequest: key({
    type: "string",
    description: "Kubernetes only: CPU request of each master.",
    schema: quantity,
    default: "100m",
    fix: "use a quantity such as 100m or 1",
  }),
  k8sMemoryRequest: key({
    type: "string",
    description: "Kubernetes only: memory request and limit of each master (equal, so the kubelet never evicts a master for memory first).",
    schema: quantity,
    default: "512Mi",
    fix: "use a quantity such as 512Mi",
  }),
  k8sRunAsUser: key({
    type: "integer",
    description: "Kubernetes only: the fixed non-root UID and GID the master runs as; it owns the -mdir volume (fsGroup).",
    schema: z.number().int("must be a whole number").min(1000, "must be a non-root, non-system id (1000 or more)").max(2147483647, "must fit in 31 bits"),
    default: 10001,
    fix: "use an id of 1000 or more, e.g. 10001",
  }),
  k8sClientNamespaceLabels: key({
    type: "array",
    description: "Kubernetes only: namespaces carrying all of these labels may reach the masters on the HTTP and gRPC ports (volume servers, filers, shells). Empty: only pods selected by k8sClientPodLabels in the masters' namespace.",
    schema: z.array(labelTerm),
    default: ["seaweedfs.io/master-client=true"],
    fix: "write each label as key=value, e.g. seaweedfs.io/master-client=true",
  }),
  k8sClientPodLabels: key({
    type: "array",
    description: "Kubernetes only: pods carrying all of these labels (in the masters' namespace, or in a namespace matching k8sClientNamespaceLabels) may reach the masters.",
    schema: z.array(labelTerm),
    default: ["seaweedfs.io/master-client=true"],
    fix: "write each label as key=value, e.g. seaweedfs.io/master-client=true",
  }),
  k8sPrometheusOperator: key({
    type: "boolean",
    description: "Kubernetes only: also deploy a PodMonitor and a PrometheusRule (alarm kinds of infra/seaweed/alarms.ts, thresholds from the alarm* keys). Needs the Prometheus Operator's CRDs in the cluster.",
    schema: z.boolean(),
    default: false,
    fix: "set true when the cluster runs the Prometheus Operator, else false",
  }),
  k8sMonitoringNamespace: key({
    type: "string",
    description: "Kubernetes only: the namespace of Prometheus; only it may reach the masters' metrics port.",
    schema: dnsLabel,
    default: "monitoring",
    fix: "name the namespace your Prometheus runs in",
  }),
  k8sBackupBucket: key({
    type: "string",
    description: "Kubernetes only: the S3 (or S3-compatible) bucket a backup sidecar next to each master uploads to, every backupIntervalMinutes and only while its master leads, in the AWS tier's backup format. Empty: no backups (the policy pack requires them on prod).",
    schema: z.string().regex(/^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?$/, "not an S3 bucket name (3-63 lower-case letters, digits, dots, dashes)"),
    default: "",
    fix: "name an existing bucket such as seaweedfs-master-backups, or leave it empty to run without backups",
  }),
  k8sBackupEndpoint: key({
    type: "string",
    description: "Kubernetes only: the S3 endpoint URL of an S3-compatible store (MinIO, Ceph, a SeaweedFS S3 gateway); empty: AWS S3 of k8sBackupRegion.",
    schema: z.string().regex(/^(https?:\/\/[^\s/]+(\/\S*)?)?$/, "not an http(s) URL such as https://minio.storage.svc:9000"),
    default: "",
    fix: "use the store's URL, e.g. https://minio.storage.svc:9000, or leave it empty for AWS S3",
  }),
  k8sBackupRegion: key({
    type: "string",
    description: "Kubernetes only: the region the backup bucket is signed for (S3-compatible stores usually accept us-east-1).",
    schema: z.string().regex(/^[a-z0-9-]+$/, "not a region name such as us-east-1"),
    default: "us-east-1",
    fix: "use the bucket's region, e.g. eu-west-1",
  }),
  k8sBackupCredentialsSecret: key({
    type: "string",
    description:
      "Kubernetes only: with k8sBackupCredentials secret, a Secret in k8sNamespace (made by you, not the stack) with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY allowed to put objects into k8sBackupBucket. The pods start without it (the namespace is the stack's, so it can only be made after the first update); until it exists every backup fails and the backup-age alert fires.",
    schema: dnsLabel.or(z.literal("")),
    default: "",
    fix: "create the Secret (kubectl create secret generic seaweedfs-backup-credentials --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=...) and name it here",
  }),
  k8sBackupImage: key({
    type: "string",
    description: "Kubernetes only: the backup sidecar's image (with tag or digest). It must provide bash, curl, python3, GNU find and the AWS CLI v2; images/backup/Dockerfile builds one. Needed with k8sBackupBucket.",
    schema: z.string().regex(/^([a-z0-9]+([._/:-][a-z0-9]+)*(@sha256:[0-9a-f]{64})?)?$/, "not an image reference such as <your registry>/seaweedfs-master-backup:1.0.0"),
    default: "",
    fix: "build images/backup/Dockerfile, push it and name it here with its tag or digest",
  }),
  ...KUBERNETES_OPERATIONS_KEYS,
};

/**
 * The port of the backup sidecar's Prometheus endpoint (infra/kubernetes/backup.ts). The sidecar shares the pod's
 * network with the master, so no master port may take it.
 */
export const BACKUP_METRICS_PORT = 9328;

/** Checks that span several keys of this area. */
export function kubernetesCrossChecks(
  v: {
    k8sClientPodLabels: string[];
    k8sBackupBucket: string;
    k8sBackupEndpoint: string;
    k8sBackupCredentialsSecret: string;
    k8sBackupImage: string;
    k8sBackupCredentials: BackupCredentials;
    k8sBackupRoleArn: string;
    k8sImage: string;
    k8sExtraArgs: string[];
    k8sTolerations: string[];
    httpPort: number;
    grpcPort: number;
    metricsPort: number;
  },
  issues: ConfigIssue[],
): void {
  backupChecks(v, issues);
  operationsChecks(v, issues);
  if (v.k8sBackupBucket) {
    for (const port of ["httpPort", "grpcPort", "metricsPort"] as const) {
      if (v[port] === BACKUP_METRICS_PORT) {
        issues.push({ key: port, value: v[port], message: `is the backup sidecar's metrics port (${BACKUP_METRICS_PORT}), in the same pod`, fix: `use another port for ${port}` });
      }
    }
  }
  if (v.k8sClientPodLabels.length === 0) {
    issues.push({
      key: "k8sClientPodLabels",
      value: v.k8sClientPodLabels,
      message: "is empty, which would let every pod of the allowed namespaces reach the masters",
      fix: "list at least one label your volume servers and filers carry, e.g. seaweedfs.io/master-client=true",
    });
  }
}

/** Backups are all or nothing: a bucket needs the sidecar's image and credentials, and those mean nothing without it. */
function backupChecks(
  v: { k8sBackupBucket: string; k8sBackupEndpoint: string; k8sBackupCredentialsSecret: string; k8sBackupImage: string; k8sBackupCredentials: BackupCredentials },
  issues: ConfigIssue[],
): void {
  const needed = [
    { key: "k8sBackupCredentialsSecret", fix: "name a Secret in k8sNamespace with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use k8sBackupCredentials eks-pod-identity or web-identity" },
    { key: "k8sBackupImage", fix: "name an image with bash, curl, python3, GNU find and the AWS CLI (images/backup/Dockerfile)" },
  ] as const;
  if (v.k8sBackupBucket) {
    for (const n of needed.filter((n) => n.key !== "k8sBackupCredentialsSecret" || v.k8sBackupCredentials === "secret")) {
      if (!v[n.key]) issues.push({ key: n.key, value: "", message: `is empty while k8sBackupBucket is ${v.k8sBackupBucket}: the backup sidecar needs it`, fix: n.fix });
    }
    return;
  }
  for (const k of ["k8sBackupEndpoint", ...needed.map((n) => n.key)] as const) {
    if (v[k]) issues.push({ key: k, value: v[k], message: "has no effect: k8sBackupBucket is empty, so no backup sidecar runs", fix: "set k8sBackupBucket to enable backups, or remove this key" });
  }
}
