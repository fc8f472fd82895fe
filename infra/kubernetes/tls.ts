/**
 * Mutual TLS of the Kubernetes tier, as plain objects (no Pulumi): where each master's certificate lives (one
 * `kubernetes.io/tls` Secret per pod, `tls.crt`/`tls.key`/`ca.crt`: the layout cert-manager writes, so the program's
 * own certificates and cert-manager's are mounted alike), how a pod finds its own among them (one projected volume,
 * a directory per pod, the paths set through `WEED_GRPC_*` variables that the kubelet expands with the pod's name,
 * re-read by weed every `tlsReloadSeconds`),
 * and the cert-manager `Certificate`s used instead of the program's CA when `k8sCertManagerIssuer` is set.
 */
import type { KubernetesConfig } from "../config";
import { CLIENT_ROLES, ROLE_KEY_USAGES, TlsRole, tlsCommonName, tlsIdentityEnvironment, tlsReloadEnvironment } from "../seaweed/tls";
import { renderClientSecurityToml } from "../seaweed/security";
import type { Manifest } from "./manifests";
import { labelMap } from "./labels";
import { masterNames, podHost, podName, POD_NAME_ENV } from "./names";

/** Where the pods mount the TLS volume; `[grpc] ca` is `<dir>/ca.crt`, a pod's own files are in `<dir>/<pod>/`. */
export const TLS_MOUNT = "/etc/seaweedfs/tls";
const TLS_VOLUME = "tls";
/** The keys of a `kubernetes.io/tls` Secret (and of cert-manager's Certificate Secrets). */
export const TLS_SECRET_KEYS = { cert: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;

/** The Secret of a master pod's certificate. */
export function masterTlsSecretName(config: Pick<KubernetesConfig, "clusterName">, slot: number): string {
  return `${podName(config, slot)}-tls`;
}

/** The Secret of a client role's certificate (volume servers, filers, administrators copy it to their namespace). */
export function clientTlsSecretName(config: Pick<KubernetesConfig, "clusterName">, role: TlsRole): string {
  return `${config.clusterName}-tls-${role}`;
}

/** A master pod's DNS names: its raft identity first, then the shorter forms the cluster's resolver also answers. */
export function masterDnsNames(config: KubernetesConfig, slot: number): string[] {
  const pod = podName(config, slot);
  const names = masterNames(config);
  return [podHost(config, pod), `${pod}.${names.peerService}.${names.namespace}.svc`, `${pod}.${names.peerService}`];
}

/** The pod template's TLS parts: the projected volume of every master's Secret, its mount, and the variables. */
export function tlsPodParts(config: KubernetesConfig): { volume: Manifest; mount: Manifest; env: Manifest[] } {
  const sources = Array.from({ length: config.masterCount }, (_, slot) => ({
    secret: {
      name: masterTlsSecretName(config, slot),
      items: [
        { key: TLS_SECRET_KEYS.cert, path: `${podName(config, slot)}/${TLS_SECRET_KEYS.cert}` },
        { key: TLS_SECRET_KEYS.key, path: `${podName(config, slot)}/${TLS_SECRET_KEYS.key}` },
        // Every master Secret carries the same CA bundle: slot 0's is the pods' `[grpc] ca`.
        ...(slot === 0 ? [{ key: TLS_SECRET_KEYS.ca, path: TLS_SECRET_KEYS.ca }] : []),
      ],
    },
  }));
  const own = `${TLS_MOUNT}/$(${POD_NAME_ENV})`;
  // The kubelet updates a projected Secret in place; weed re-reads it every tlsReloadSeconds, so a renewed or rotated
  // certificate takes effect without restarting a pod (and without an election).
  const env = { ...tlsIdentityEnvironment("master", { cert: `${own}/${TLS_SECRET_KEYS.cert}`, key: `${own}/${TLS_SECRET_KEYS.key}` }), ...tlsReloadEnvironment(config.tlsReloadSeconds) };
  return {
    // Readable by the pod's user only (fsGroup makes the files group-owned by it; 0440 keeps others out).
    volume: { name: TLS_VOLUME, projected: { defaultMode: 0o440, sources } },
    mount: { name: TLS_VOLUME, mountPath: TLS_MOUNT, readOnly: true },
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
  };
}

/** cert-manager's name of an extended key usage. */
const CERT_MANAGER_USAGES = { serverAuth: "server auth", clientAuth: "client auth" } as const;

/** The certificates the tier needs: one per master pod, one per client role. */
export function tlsIdentitiesOf(config: KubernetesConfig): { id: string; role: TlsRole; secretName: string; dnsNames: string[] }[] {
  return [
    ...Array.from({ length: config.masterCount }, (_, slot) => ({ id: `master-${slot}`, role: "master" as const, secretName: masterTlsSecretName(config, slot), dnsNames: masterDnsNames(config, slot) })),
    ...CLIENT_ROLES.map((role) => ({ id: role, role, secretName: clientTlsSecretName(config, role), dnsNames: [] })),
  ];
}

/** A cert-manager Certificate writing `identity`'s Secret, from the stack's issuer (`Kind/name`). */
export function certManagerCertificate(config: KubernetesConfig, identity: { id: string; role: TlsRole; secretName: string; dnsNames: string[] }): Manifest {
  const [kind, name] = config.k8sCertManagerIssuer.split("/");
  const names = masterNames(config);
  const metadata = { name: identity.secretName, namespace: names.namespace, labels: names.labels };
  return { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata, spec: {
    secretName: identity.secretName,
    commonName: tlsCommonName(config.clusterName, identity.role),
    ...(identity.dnsNames.length > 0 ? { dnsNames: identity.dnsNames } : {}),
    usages: ["digital signature", ...ROLE_KEY_USAGES[identity.role].map((u) => CERT_MANAGER_USAGES[u])],
    duration: `${config.tlsCertificateValidityDays * 24}h`,
    renewBefore: `${config.tlsRenewBeforeDays * 24}h`,
    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    issuerRef: { group: "cert-manager.io", kind, name },
  } };
}

/**
 * The stack output `tls`: the Secret of each client role in the masters' namespace (`tls.crt`, `tls.key`, `ca.crt`;
 * clients elsewhere copy it, or with cert-manager request their own Certificate from the same issuer with the
 * role's common name) and the security.toml a client runs with once the Secret is mounted at {@link TLS_MOUNT}.
 */
export function kubernetesTlsOutputs(config: KubernetesConfig): Record<string, unknown> | null {
  if (!config.tlsEnabled) return null;
  const clients = Object.fromEntries(
    CLIENT_ROLES.map((role) => [
      role,
      {
        commonName: tlsCommonName(config.clusterName, role),
        secretName: clientTlsSecretName(config, role),
        // A client's mount of its Secret: the files keep the Secret's key names.
        securityToml: renderClientSecurityToml({ role, clusterName: config.clusterName, dir: TLS_MOUNT, fileNames: { cert: TLS_SECRET_KEYS.cert, key: TLS_SECRET_KEYS.key } }),
      },
    ]),
  );
  return { namespace: masterNames(config).namespace, mountPath: TLS_MOUNT, certManagerIssuer: config.k8sCertManagerIssuer || null, clients };
}

/** cert-manager's gauge of a Certificate's notAfter (unix seconds), labelled with its name and namespace. */
export const CERT_MANAGER_EXPIRY_METRIC = "certmanager_certificate_expiration_timestamp_seconds";

/**
 * The PrometheusRule of the masters' certificate expiry: fires when the earliest master certificate expires within
 * `tlsExpiryAlarmDays`. With the program's CA the earliest notAfter is known at deploy (`earliestNotAfter`, unix
 * seconds; the pods re-read every new certificate within tlsReloadSeconds); with cert-manager it is
 * cert-manager's own gauge of the masters' Certificates.
 */
export function tlsExpiryRule(config: KubernetesConfig, earliestNotAfter?: number): Manifest {
  const names = masterNames(config);
  const certificates = Array.from({ length: config.masterCount }, (_, slot) => masterTlsSecretName(config, slot));
  const notAfter = config.k8sCertManagerIssuer ? `min(${CERT_MANAGER_EXPIRY_METRIC}{namespace="${names.namespace}", name=~"${certificates.join("|")}"})` : String(earliestNotAfter);
  const runbook = "docs/security.md";
  const rule = {
    alert: "SeaweedFSMasterTlsExpiry",
    expr: `(${notAfter} - time()) / 86400 < ${config.tlsExpiryAlarmDays}`,
    for: "1h",
    labels: { severity: "warning", kind: "tls-expiry" },
    annotations: {
      summary: `${config.clusterName}: a master's TLS certificate expires within ${config.tlsExpiryAlarmDays} days: ${config.k8sCertManagerIssuer ? "check the Certificates' status in cert-manager" : "run pulumi up (it renews inside tlsRenewBeforeDays)"}. Runbook: ${runbook}`,
      runbook,
    },
  };
  // k8sMonitoringLabels, as on the tier's other PrometheusRule: the Prometheus Operator selects rules by them.
  const metadata = { name: `${names.statefulSet}-tls-expiry`, namespace: names.namespace, labels: { ...names.labels, ...labelMap(config.k8sMonitoringLabels) } };
  return { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata, spec: { groups: [{ name: `${names.statefulSet}-tls.rules`, rules: [rule] }] } };
}
