/**
 * The masters' ServiceAccount and how the backup sidecar (only it) gets S3 credentials (k8sBackupCredentials):
 *
 * - eks-pod-identity (recommended on EKS): an EKS Pod Identity association of this ServiceAccount (namespace and
 *   name, made by the operator before or after the first update) to an IAM role; the sidecar presents a projected
 *   token for `pods.eks.amazonaws.com` to the node's Pod Identity Agent (169.254.170.23), as the AWS SDKs and CLI do
 *   from the two variables below. No Secret, no key in the cluster.
 * - web-identity: a projected token for `sts.amazonaws.com` that the AWS CLI exchanges for k8sBackupRoleArn
 *   (AssumeRoleWithWebIdentity), as IRSA does, without depending on EKS's mutating webhook.
 * - secret: static keys from the operator's Secret, optional, so the pods start before it exists (the namespace is
 *   the stack's); until it does, uploads fail and the backup-age alert fires.
 *
 * The pod keeps `automountServiceAccountToken: false`: the master container never gets a token (it needs none, and
 * a token beside the JWT signing key would widen what a compromised master can do). The annotation
 * `eks.amazonaws.com/skip-containers` keeps EKS's webhook from injecting credentials into the master container.
 */
import type { KubernetesConfig } from "../config";
import type { BackupCredentials } from "../config/keys-kubernetes-operations";
import { labelMap } from "./labels";
import type { Manifest } from "./manifests";
import { masterNames } from "./names";

/** The ServiceAccount the master pods run as (named after the StatefulSet). */
export function serviceAccountName(config: Pick<KubernetesConfig, "clusterName" | "k8sNamespace">): string {
  return masterNames(config).statefulSet;
}

export function serviceAccount(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      name: serviceAccountName(config),
      namespace: names.namespace,
      labels: names.labels,
      ...(config.k8sServiceAccountAnnotations.length > 0 ? { annotations: labelMap(config.k8sServiceAccountAnnotations) } : {}),
    },
    automountServiceAccountToken: false,
  };
}

/** The EKS Pod Identity Agent's credential endpoint on every node (link-local). */
export const EKS_POD_IDENTITY_ENDPOINT = { ip: "169.254.170.23", port: 80, url: "http://169.254.170.23/v1/credentials" } as const;

/** Per token-based mode: the token's audience and where the sidecar reads it. */
const TOKEN_MODES = {
  "eks-pod-identity": { audience: "pods.eks.amazonaws.com", dir: "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount", file: "eks-pod-identity-token" },
  "web-identity": { audience: "sts.amazonaws.com", dir: "/var/run/secrets/eks.amazonaws.com/serviceaccount", file: "token" },
} as const;

/** The projected token volume's name in the pod. */
export const BACKUP_TOKEN_VOLUME = "backup-identity-token";
/** How long a projected token lives; the kubelet renews it at 80 %. */
const TOKEN_SECONDS = 86_400;

function tokenMode(credentials: BackupCredentials) {
  return credentials === "secret" ? undefined : TOKEN_MODES[credentials];
}

/** The sidecar's credential environment for the stack's k8sBackupCredentials. */
export function backupCredentialEnv(config: KubernetesConfig): Manifest[] {
  const mode = tokenMode(config.k8sBackupCredentials);
  switch (config.k8sBackupCredentials) {
    case "secret": {
      const secretKey = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: config.k8sBackupCredentialsSecret, key, optional: true } } });
      return [secretKey("AWS_ACCESS_KEY_ID"), secretKey("AWS_SECRET_ACCESS_KEY")];
    }
    case "eks-pod-identity":
      return [
        { name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", value: EKS_POD_IDENTITY_ENDPOINT.url },
        { name: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", value: `${mode!.dir}/${mode!.file}` },
      ];
    case "web-identity":
      return [
        { name: "AWS_ROLE_ARN", value: config.k8sBackupRoleArn },
        { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: `${mode!.dir}/${mode!.file}` },
        { name: "AWS_ROLE_SESSION_NAME", value: serviceAccountName(config) },
      ];
  }
}

/** The sidecar's mount of its token (none with static keys). */
export function backupTokenMounts(config: KubernetesConfig): Manifest[] {
  const mode = tokenMode(config.k8sBackupCredentials);
  return mode ? [{ name: BACKUP_TOKEN_VOLUME, mountPath: mode.dir, readOnly: true }] : [];
}

/** The pod's projected token volume for the sidecar (none with static keys). */
export function backupTokenVolumes(config: KubernetesConfig): Manifest[] {
  const mode = tokenMode(config.k8sBackupCredentials);
  if (!mode) return [];
  return [{ name: BACKUP_TOKEN_VOLUME, projected: { defaultMode: 0o440, sources: [{ serviceAccountToken: { audience: mode.audience, expirationSeconds: TOKEN_SECONDS, path: mode.file } }] } }];
}

/** The pod template's annotation that keeps EKS's credential webhook out of the master container. */
export const SKIP_CONTAINERS_ANNOTATION = "eks.amazonaws.com/skip-containers";
