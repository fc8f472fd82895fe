/**
 * The master tier as plain Kubernetes objects, rendered from the validated config and infra/seaweed alone (no
 * Pulumi): the StatefulSet, both Services, the PodDisruptionBudget and the NetworkPolicy. The components in this
 * folder register exactly these; the tests, the drill and the policy fixtures read them too.
 */
import type { KubernetesConfig } from "../config";
import { ClusterSettings, clusterSettingsOf, renderClusterMasters } from "../seaweed/cluster";
import { JWT_SIGNING_KEY_ENV } from "../seaweed/constants";
import { masterLivenessProbe } from "../seaweed/livenessProbe";
import { MasterProbe, MASTER_READINESS } from "../seaweed/probes";
import { watchdogProbeSettingsOf, watchdogProbes, watchdogSettingsOf } from "../seaweed/watchdog";
import { maxPerFailureDomain } from "../seaweed/quorum";
import { BACKUP_METRICS, backupConfigMapName, backupsEnabled, backupSidecar } from "./backup";
import { labelMap } from "./labels";
import { masterScheduling } from "./scheduling";
import { backupTokenVolumes, serviceAccountName, SKIP_CONTAINERS_ANNOTATION } from "./serviceAccount";
import { CONFIG_DIR, masterNames, MDIR, podHost, POD_IP_ENV, POD_NAME_ENV, slotHosts } from "./names";
import { tlsPodParts, TLS_MOUNT } from "./tls";
import { renderSecurityToml } from "../seaweed/security";

/** A manifest as the API server takes it (JSON). */
export type Manifest = Record<string, unknown>;

/** The container's binary; the image's entrypoint script would add flags of its own, so it is bypassed. */
export const WEED_BINARY = "/usr/bin/weed";
/** `weed` global flags before the `master` subcommand: logs go to the container's stderr, not to files in /tmp. */
export const WEED_GLOBAL_FLAGS = ["-logtostderr=true"];
const DATA_VOLUME = "data";
/** The backup sidecar's scratch space: a copy of the raft directory is taken there before the upload. */
const BACKUP_VOLUMES = { tmp: "backup-tmp", scripts: "backup-scripts" } as const;

/**
 * The security.toml of the ConfigMap every master pod mounts: one file for all pods, so with TLS each pod's own
 * certificate comes from its environment ({@link tlsPodParts}).
 * @param tlsDir where the TLS volume is mounted; default the pod's path (the drills mount it elsewhere)
 */
export function masterSecurityToml(config: KubernetesConfig, tlsDir: string = TLS_MOUNT): string {
  return renderSecurityToml({
    keySource: `set by the kubelet from Secret ${masterNames(config).secret}`,
    ...(config.tlsEnabled ? { tls: { clusterName: config.clusterName, dir: tlsDir, identityFromEnvironment: true } } : {}),
  });
}

export function imageOf(config: KubernetesConfig): string {
  return `${config.k8sImage}:${config.seaweedVersion}${config.k8sImageDigest ? `@${config.k8sImageDigest}` : ""}`;
}

/**
 * The master argv of the pod template: slot 0's rendered argv (validated by infra/seaweed, including that `-ip` is
 * one of `-peers`) with its own name replaced by `$(POD_NAME)` and `-ip.bind=$(POD_IP)`, which the kubelet expands
 * per pod. {@link expandPodArgs} turns it back into each slot's argv.
 *
 * @param settings the cluster settings; default those of the config (the drills' baseline overrides raft timing).
 */
export function masterContainerArgs(config: KubernetesConfig, settings: ClusterSettings = clusterSettingsOf(config)): string[] {
  const [first] = renderClusterMasters(slotHosts(config), { ...settings, bind: `$(${POD_IP_ENV})` }, () => MDIR);
  const selfHost = podHost(config, `$(${POD_NAME_ENV})`);
  // The operator's extra flags last (k8sExtraArgs; config validation refuses the ones rendered above).
  return [...first.args.map((arg) => (arg.startsWith("-ip=") ? `-ip=${selfHost}` : arg)), ...config.k8sExtraArgs];
}

/** `weed`'s global flags (before `master`): the logs' destination and, when set, their verbosity (k8sLogLevel). */
export function weedGlobalFlags(config: Pick<KubernetesConfig, "k8sLogLevel">): string[] {
  return [...WEED_GLOBAL_FLAGS, ...(config.k8sLogLevel > 0 ? [`-v=${config.k8sLogLevel}`] : [])];
}

/** What the kubelet does to the template's args for one pod: `$(POD_NAME)` and `$(POD_IP)` replaced. */
export function expandPodArgs(args: readonly string[], pod: { name: string; ip: string }): string[] {
  return args.map((a) => a.replaceAll(`$(${POD_NAME_ENV})`, pod.name).replaceAll(`$(${POD_IP_ENV})`, pod.ip));
}

function httpProbe(probe: MasterProbe, port: number): Manifest {
  return {
    httpGet: { path: probe.path, port },
    timeoutSeconds: probe.timeoutSeconds,
    periodSeconds: probe.periodSeconds,
    failureThreshold: probe.failureThreshold,
    successThreshold: 1,
  };
}

/** The master container's ephemeral-storage request and limit (k8sEphemeralStorageRequest), when set. */
function ephemeralStorage(config: KubernetesConfig): Record<string, string> {
  return config.k8sEphemeralStorageRequest ? { "ephemeral-storage": config.k8sEphemeralStorageRequest } : {};
}

/** The pod template's spec. */
export function masterPodSpec(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  const uid = config.k8sRunAsUser;
  const tls = config.tlsEnabled ? tlsPodParts(config) : undefined;
  return {
    // A master must leave raft cleanly; hashicorp raft shuts down in well under this.
    terminationGracePeriodSeconds: 30,
    enableServiceLinks: false,
    serviceAccountName: serviceAccountName(config),
    // No token in the master container; only the backup sidecar mounts one, when it needs it (./serviceAccount.ts).
    automountServiceAccountToken: false,
    ...(config.k8sImagePullSecrets.length > 0 ? { imagePullSecrets: config.k8sImagePullSecrets.map((name) => ({ name })) } : {}),
    securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" } },
    ...masterScheduling(config),
    containers: [
      {
        name: "master",
        image: imageOf(config),
        imagePullPolicy: "IfNotPresent",
        command: [WEED_BINARY, ...weedGlobalFlags(config)],
        args: masterContainerArgs(config),
        workingDir: CONFIG_DIR,
        env: [
          { name: POD_NAME_ENV, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: POD_IP_ENV, valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: JWT_SIGNING_KEY_ENV, valueFrom: { secretKeyRef: { name: names.secret, key: "signingKey" } } },
          // After POD_NAME: the kubelet expands $(POD_NAME) in them to the pod's own certificate.
          ...(tls?.env ?? []),
        ],
        ports: [
          { name: "http", containerPort: config.httpPort },
          { name: "grpc", containerPort: config.grpcPort },
          { name: "metrics", containerPort: config.metricsPort },
        ],
        // The watchdog's rules: liveness armed by the first answer (startup probe), then the frozen and the wedged-leader
        // rules in one exec probe (infra/seaweed/livenessProbe.ts).
        startupProbe: watchdogProbes(watchdogProbeSettingsOf(config), config.httpPort).startupProbe,
        livenessProbe: masterLivenessProbe(config.httpPort, watchdogSettingsOf(config)),
        readinessProbe: httpProbe(MASTER_READINESS, config.httpPort),
        resources: {
          requests: { cpu: config.k8sCpuRequest, memory: config.k8sMemoryRequest, ...ephemeralStorage(config) },
          limits: { memory: config.k8sMemoryRequest, ...ephemeralStorage(config) },
        },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ["ALL"] } },
        volumeMounts: [
          { name: DATA_VOLUME, mountPath: MDIR },
          { name: "config", mountPath: CONFIG_DIR, readOnly: true },
          { name: "tmp", mountPath: "/tmp" },
          ...(tls ? [tls.mount] : []),
        ],
      },
      ...(backupsEnabled(config) ? [backupSidecar(config, { data: DATA_VOLUME, ...BACKUP_VOLUMES })] : []),
    ],
    volumes: [
      { name: "config", configMap: { name: names.configMap } },
      { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
      ...(tls ? [tls.volume] : []),
      ...(backupsEnabled(config)
        ? [
            { name: BACKUP_VOLUMES.scripts, configMap: { name: backupConfigMapName(config), defaultMode: 0o555 } },
            { name: BACKUP_VOLUMES.tmp, emptyDir: { sizeLimit: config.k8sStorageSize } },
            ...backupTokenVolumes(config),
          ]
        : []),
    ],
  };
}

/** The StatefulSet: one pod per slot, started in parallel, each with its own `-mdir` claim. */
export function masterStatefulSet(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  return object(config, "apps/v1", "StatefulSet", names.statefulSet, {
    serviceName: names.peerService,
    replicas: config.masterCount,
    // OrderedReady would deadlock: pod 0 is never ready (no leader without a quorum), so pod 1 is never created.
    podManagementPolicy: "Parallel",
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
    selector: { matchLabels: names.selector },
    template: { metadata: { labels: names.labels, annotations: { [SKIP_CONTAINERS_ANNOTATION]: "master" } }, spec: masterPodSpec(config) },
    volumeClaimTemplates: [
      {
        metadata: { name: DATA_VOLUME, labels: names.selector },
        spec: {
          accessModes: ["ReadWriteOnce"],
          ...(config.k8sStorageClassName ? { storageClassName: config.k8sStorageClassName } : {}),
          resources: { requests: { storage: config.k8sStorageSize } },
        },
      },
    ],
  });
}

/** A namespaced object of the master tier: its API version, kind, name, labels and spec. */
export function object(config: KubernetesConfig, apiVersion: string, kind: string, name: string, spec: Manifest): Manifest {
  const names = masterNames(config);
  return { apiVersion, kind, metadata: { name, namespace: names.namespace, labels: names.labels }, spec };
}

/** A Service of the masters; the peer Service also carries the metrics port (for Prometheus' pod discovery). */
function masterService(config: KubernetesConfig, name: string, spec: Manifest & { publishNotReadyAddresses: boolean }): Manifest {
  const ports = [
    { name: "http", port: config.httpPort, targetPort: config.httpPort },
    { name: "grpc", port: config.grpcPort, targetPort: config.grpcPort },
    ...(spec.publishNotReadyAddresses ? [{ name: "metrics", port: config.metricsPort, targetPort: config.metricsPort }] : []),
  ];
  return object(config, "v1", "Service", name, { ...spec, selector: masterNames(config).selector, ports });
}

/** Headless, and publishing unready pods: peers must resolve each other before any of them is ready. */
export function peerService(config: KubernetesConfig): Manifest {
  return masterService(config, masterNames(config).peerService, { clusterIP: "None", publishNotReadyAddresses: true });
}

/** For clients: only ready masters (those that know a leader) receive connections. */
export function clientService(config: KubernetesConfig): Manifest {
  return masterService(config, masterNames(config).clientService, { type: "ClusterIP", publishNotReadyAddresses: false });
}

/**
 * Voluntary disruptions (drains, upgrades) take at most one master at a time, never more than quorum allows. A pod
 * that is not Ready (crash-looping, or a follower without a leader) may always be evicted (AlwaysAllow): it serves
 * nothing, and with the default policy one broken master would block every node drain of the cluster.
 */
export function disruptionBudget(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  return object(config, "policy/v1", "PodDisruptionBudget", names.disruptionBudget, {
    maxUnavailable: Math.min(1, maxPerFailureDomain(config.masterCount)),
    selector: { matchLabels: names.selector },
    unhealthyPodEvictionPolicy: "AlwaysAllow",
  });
}

/**
 * Ingress to the masters: HTTP and gRPC from the other masters and from labelled clients (in this namespace, or in
 * labelled namespaces), the metrics ports (the master's, and the backup sidecar's when backups are on) from the
 * monitoring namespace only. Everything else is dropped.
 */
export function networkPolicy(config: KubernetesConfig): Manifest {
  const names = masterNames(config);
  const apiPorts = [
    { protocol: "TCP", port: config.httpPort },
    { protocol: "TCP", port: config.grpcPort },
  ];
  const clientPods = { matchLabels: labelMap(config.k8sClientPodLabels) };
  const clients = [
    { podSelector: clientPods },
    ...(config.k8sClientNamespaceLabels.length > 0 ? [{ namespaceSelector: { matchLabels: labelMap(config.k8sClientNamespaceLabels) }, podSelector: clientPods }] : []),
  ];
  return object(config, "networking.k8s.io/v1", "NetworkPolicy", names.networkPolicy, {
    podSelector: { matchLabels: names.selector },
    policyTypes: ["Ingress"],
    ingress: [
      { from: [{ podSelector: { matchLabels: names.selector } }], ports: apiPorts },
      { from: clients, ports: apiPorts },
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": config.k8sMonitoringNamespace } } }],
        ports: [{ protocol: "TCP", port: config.metricsPort }, ...(backupsEnabled(config) ? [{ protocol: "TCP", port: BACKUP_METRICS.port }] : [])],
      },
    ],
  });
}
