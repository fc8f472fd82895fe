/**
 * The Kubernetes master tier's invariants, read from the StatefulSet that runs `weed master` and the objects around
 * it: pods created in parallel (OrderedReady deadlocks), a hard zone spread that keeps quorum on a zone loss, the
 * probe paths and their bounds, a PodDisruptionBudget that agrees with quorum, a headless peer Service publishing
 * unready pods, one identical `-peers` naming every pod, no `-raftBootstrap`, and a locked-down security context.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { HEALTH_CHECK, LIVENESS_PATH, READINESS_PATH, SEAWEEDFS_TIMINGS } from "../../infra/seaweed/constants";
import { flagMap, MASTER_FLAG_NAMES, UNSAFE_MASTER_FLAGS } from "../../infra/seaweed/flags";
import { DEFAULT_KILL_BOUND_SECONDS, killBoundSeconds } from "../../infra/seaweed/livenessProbe";
import { evenCountProblem, isValidMasterCount, maxPerFailureDomain, quorumOf } from "../../infra/seaweed/quorum";
import { asArray, asRecord, ofType, Props } from "./graph";

export const K8S_TYPES = {
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  service: "kubernetes:core/v1:Service",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
} as const;

const ZONE_LABEL = "topology.kubernetes.io/zone";
const HOSTNAME_LABEL = "kubernetes.io/hostname";

/** A StatefulSet whose first container runs `weed master`, with what the rules read. */
export interface MasterSet {
  resource: PolicyResource;
  name: string;
  namespace: string;
  replicas: number;
  spec: Props;
  pod: Props;
  container: Props;
  flags: Map<string, string | true>;
  selector: Record<string, string>;
}

/** Every StatefulSet running SeaweedFS masters. */
export function masterSets(resources: readonly PolicyResource[]): MasterSet[] {
  return ofType(resources, K8S_TYPES.statefulSet).flatMap((resource) => {
    const metadata = asRecord(resource.props.metadata);
    const spec = asRecord(resource.props.spec);
    const pod = asRecord(asRecord(spec.template).spec);
    const container = asRecord(asArray(pod.containers)[0]);
    const args = asArray(container.args).map(String);
    if (args[0] !== "master") return [];
    return [
      {
        resource,
        name: String(metadata.name ?? resource.name),
        namespace: String(metadata.namespace ?? "default"),
        replicas: Number(spec.replicas ?? 1),
        spec,
        pod,
        container,
        flags: flagMap(args.slice(1)),
        selector: asRecord(asRecord(spec.selector).matchLabels) as Record<string, string>,
      },
    ];
  });
}

function forEachSet(args: { resources: PolicyResource[]; notApplicable: (reason?: string) => never }, check: (set: MasterSet) => void): void {
  const sets = masterSets(args.resources);
  if (sets.length === 0) args.notApplicable("no StatefulSet runs a SeaweedFS master");
  sets.forEach(check);
}

export const k8sParallelPods: StackValidationPolicy = {
  name: "seaweedfs-k8s-parallel-pods",
  description: "The master StatefulSet starts its pods in parallel: with OrderedReady pod 0 waits for a quorum that pods 1.. are never created to give.",
  severity: "critical",
  validateStack: (args, report) =>
    forEachSet(args, (set) => {
      const policy = set.spec.podManagementPolicy ?? "OrderedReady";
      if (policy !== "Parallel") {
        report(
          `StatefulSet ${set.name} uses podManagementPolicy ${String(policy)}: pod 0 only becomes ready once a leader is elected, which needs ${quorumOf(set.replicas)} masters, but pod 1 is only created after pod 0 is ready — a deadlock; use Parallel`,
          set.resource.urn,
        );
      }
    }),
};

/** The zones the pods may use: the zone node-affinity values, else the spread's minDomains. */
function allowedZones(pod: Props, spread: Props | undefined): number | undefined {
  const terms = asArray(asRecord(asRecord(asRecord(pod.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution).nodeSelectorTerms);
  for (const term of terms) {
    const expression = asArray(asRecord(term).matchExpressions).map(asRecord).find((e) => e.key === ZONE_LABEL && e.operator === "In");
    if (expression) return asArray(expression.values).length;
  }
  return spread?.minDomains === undefined ? undefined : Number(spread.minDomains);
}

export const k8sZoneSpread: StackValidationPolicy = {
  name: "seaweedfs-k8s-zone-spread",
  description:
    "Masters are spread over zones by a hard topology spread (DoNotSchedule; maxSkew 1, or up to N - quorum with minDomains = the zones and a maxSkew 1 spread beside it) and one per node, so losing any zone keeps a quorum.",
  severity: "critical",
  validateStack: (args, report) =>
    forEachSet(args, (set) => {
      const spreads = asArray(set.pod.topologySpreadConstraints).map(asRecord).filter((c) => c.topologyKey === ZONE_LABEL);
      const hard = spreads.find((c) => c.whenUnsatisfiable === "DoNotSchedule");
      if (!hard) {
        const soft = spreads.find((c) => c.whenUnsatisfiable !== "DoNotSchedule");
        report(
          soft
            ? `StatefulSet ${set.name} spreads over ${ZONE_LABEL} with whenUnsatisfiable ${String(soft.whenUnsatisfiable)}: the scheduler may crowd a zone and a zone loss may take quorum; use maxSkew 1 with DoNotSchedule`
            : `StatefulSet ${set.name} has no hard topology spread over ${ZONE_LABEL} (maxSkew 1, DoNotSchedule)`,
          set.resource.urn,
        );
      } else {
        const zones = allowedZones(set.pod, hard);
        const perZone = zones ? Math.ceil(set.replicas / zones) : set.replicas;
        const skew = Number(hard.maxSkew);
        const cap = maxPerFailureDomain(set.replicas);
        if (perZone > cap) {
          report(
            `StatefulSet ${set.name}: ${set.replicas} masters over ${zones ?? "an unknown number of"} zone(s) puts up to ${perZone} in one zone; losing it leaves fewer than the quorum of ${quorumOf(set.replicas)} (pin the zones with node affinity or minDomains, and use enough of them)`,
            set.resource.urn,
          );
        } else if (skew > 1 && (skew > cap || zones === undefined || Number(hard.minDomains) !== zones || !spreads.some((c) => Number(c.maxSkew) === 1))) {
          // maxSkew k caps a zone at k masters only while a zone is missing (minDomains); beside it a maxSkew 1 spread balances.
          report(
            `StatefulSet ${set.name} spreads over ${ZONE_LABEL} with maxSkew ${skew}: a zone may then hold ${skew} more masters than the emptiest; use maxSkew 1, or at most ${cap} (N - quorum) with minDomains equal to the number of zones and a maxSkew 1 spread beside it`,
            set.resource.urn,
          );
        }
      }
      const antiAffinity = asArray(asRecord(asRecord(set.pod.affinity).podAntiAffinity).requiredDuringSchedulingIgnoredDuringExecution).map(asRecord);
      if (!antiAffinity.some((t) => t.topologyKey === HOSTNAME_LABEL)) {
        report(`StatefulSet ${set.name} has no required pod anti-affinity on ${HOSTNAME_LABEL}: one node failure could take two masters`, set.resource.urn);
      }
    }),
};

function probePath(probe: unknown): string | undefined {
  const path = asRecord(asRecord(probe).httpGet).path;
  return typeof path === "string" ? path : undefined;
}

/** An exec probe's command as one text (the rendered liveness probe is `sh -c <script>`). */
function execText(probe: unknown): string | undefined {
  const command = asArray(asRecord(asRecord(probe).exec).command);
  return command.length > 0 ? command.map(String).join(" ") : undefined;
}

export const k8sProbes: StackValidationPolicy = {
  name: "seaweedfs-k8s-probes",
  description: `Liveness (GET ${LIVENESS_PATH}, or the watchdog's exec probe asking ${LIVENESS_PATH} first) kills a frozen master within maxKillSeconds, the kubelet's SIGTERM grace included; liveness never fails on ${HEALTH_CHECK.path}'s 503 (every election); readiness probes ${READINESS_PATH} (or ${HEALTH_CHECK.path} with a timeout above its lock-check retry).`,
  severity: "critical",
  configSchema: { properties: { maxKillSeconds: { type: "integer", minimum: 1, default: DEFAULT_KILL_BOUND_SECONDS } } },
  validateStack: (args, report) => {
    const { maxKillSeconds } = args.getConfig<{ maxKillSeconds: number }>();
    forEachSet(args, (set) => {
      const liveness = asRecord(set.container.livenessProbe);
      const livePath = probePath(liveness);
      const script = execText(liveness);
      if (livePath !== LIVENESS_PATH && !script?.includes(LIVENESS_PATH)) {
        report(
          livePath === HEALTH_CHECK.path
            ? `StatefulSet ${set.name}: liveness probes ${livePath}, which answers 503 during every election, so the kubelet would kill masters while they elect a leader; probe ${LIVENESS_PATH}`
            : `StatefulSet ${set.name}: liveness probe is ${livePath ? `GET ${livePath}` : script ? "an exec probe that never asks " + LIVENESS_PATH : "missing"}; use GET ${LIVENESS_PATH} or the watchdog's exec probe (infra/seaweed/livenessProbe.ts) so a frozen master is killed`,
          set.resource.urn,
        );
      } else {
        const podGrace = set.pod.terminationGracePeriodSeconds;
        const bound = killBoundSeconds(liveness as Parameters<typeof killBoundSeconds>[0], podGrace === undefined ? undefined : Number(podGrace));
        if (bound > maxKillSeconds) {
          report(
            `StatefulSet ${set.name}: the liveness probe kills a frozen master only after ${bound} s (period x failures + timeout + the kubelet's SIGTERM grace, which a frozen process never uses), above ${maxKillSeconds} s; volume servers stay attached to a frozen leader that long (set the probe's terminationGracePeriodSeconds)`,
            set.resource.urn,
          );
        }
      }
      const readiness = asRecord(set.container.readinessProbe);
      const readyPath = probePath(readiness);
      const slowPath = readyPath === HEALTH_CHECK.path && Number(readiness.timeoutSeconds ?? 1) <= SEAWEEDFS_TIMINGS.wedgedCheckSeconds;
      if ((readyPath !== READINESS_PATH && readyPath !== HEALTH_CHECK.path) || slowPath) {
        report(
          slowPath
            ? `StatefulSet ${set.name}: readiness probes ${HEALTH_CHECK.path} with a ${String(readiness.timeoutSeconds ?? 1)} s timeout, but a leader retries its lock check there for up to ${SEAWEEDFS_TIMINGS.wedgedCheckSeconds} s; use GET ${READINESS_PATH}, which answers at once`
            : `StatefulSet ${set.name}: readiness probe is ${readyPath ? `GET ${readyPath}` : "missing"}; use GET ${READINESS_PATH} so only masters that know a leader take traffic`,
          set.resource.urn,
        );
      }
    });
  },
};

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

export const k8sDisruptionBudget: StackValidationPolicy = {
  name: "seaweedfs-k8s-disruption-budget",
  description: "A PodDisruptionBudget covers the masters and never lets voluntary disruptions take more masters than quorum allows (maxUnavailable 1).",
  severity: "critical",
  validateStack: (args, report) =>
    forEachSet(args, (set) => {
      const podLabels = asRecord(asRecord(asRecord(set.spec.template).metadata).labels) as Record<string, string>;
      const budgets = ofType(args.resources, K8S_TYPES.pdb).filter((b) => {
        const spec = asRecord(b.props.spec);
        return asRecord(b.props.metadata).namespace === set.namespace && selects(asRecord(asRecord(spec.selector).matchLabels) as Record<string, string>, podLabels);
      });
      if (budgets.length === 0) {
        report(`StatefulSet ${set.name} has no PodDisruptionBudget: a node drain may evict several masters at once and lose quorum`, set.resource.urn);
        return;
      }
      const allowed = maxPerFailureDomain(set.replicas);
      for (const budget of budgets) {
        const spec = asRecord(budget.props.spec);
        const unavailable = spec.maxUnavailable !== undefined ? Number(spec.maxUnavailable) : spec.minAvailable !== undefined ? set.replicas - Number(spec.minAvailable) : set.replicas;
        if (!Number.isFinite(unavailable)) report(`PodDisruptionBudget ${budget.name}: use an integer maxUnavailable (percentages round unpredictably)`, budget.urn);
        else if (unavailable > Math.min(1, allowed)) {
          report(`PodDisruptionBudget ${budget.name} lets ${unavailable} of ${set.replicas} masters be evicted at once; quorum is ${quorumOf(set.replicas)}: use maxUnavailable: 1`, budget.urn);
        }
      }
    }),
};

export const k8sPeerService: StackValidationPolicy = {
  name: "seaweedfs-k8s-peer-service",
  description: "The StatefulSet's governing Service is headless and publishes not-ready addresses: peers must resolve each other before any master is ready.",
  severity: "critical",
  validateStack: (args, report) =>
    forEachSet(args, (set) => {
      const service = ofType(args.resources, K8S_TYPES.service).find((s) => {
        const metadata = asRecord(s.props.metadata);
        return metadata.name === set.spec.serviceName && (metadata.namespace ?? "default") === set.namespace;
      });
      if (!service) {
        report(`StatefulSet ${set.name}: its serviceName ${String(set.spec.serviceName)} is not a Service of this stack; pods would have no DNS identity`, set.resource.urn);
        return;
      }
      const spec = asRecord(service.props.spec);
      if (spec.clusterIP !== "None") report(`Service ${service.name} governs the master pods but is not headless (clusterIP: None)`, service.urn);
      if (spec.publishNotReadyAddresses !== true) {
        report(`Service ${service.name} does not publish not-ready addresses: no master is ready before a leader exists, and none can find its peers to elect one`, service.urn);
      }
    }),
};

/** `<pod-name>` for ordinal i: the StatefulSet's pods. */
function expectedPeers(set: MasterSet, port: string): string[] | undefined {
  const self = set.flags.get(MASTER_FLAG_NAMES.ip);
  if (typeof self !== "string" || !self.startsWith("$(POD_NAME).")) return undefined;
  const suffix = self.slice("$(POD_NAME)".length);
  return Array.from({ length: set.replicas }, (_, i) => `${set.name}-${i}${suffix}:${port}`);
}

export const k8sMasterArgs: StackValidationPolicy = {
  name: "seaweedfs-k8s-master-args",
  description: "An odd number of masters whose -ip is their pod's DNS name and whose identical -peers lists every pod exactly, and no -raftBootstrap.",
  severity: "critical",
  validateStack: (args, report) =>
    forEachSet(args, (set) => {
      if (!isValidMasterCount(set.replicas)) report(`StatefulSet ${set.name}: ${evenCountProblem(set.replicas)}`, set.resource.urn);
      for (const flag of UNSAFE_MASTER_FLAGS) {
        if (set.flags.has(flag)) report(`StatefulSet ${set.name} runs masters with ${flag}, which wipes raft state on every start in 4.44 (issue #10880)`, set.resource.urn);
      }
      const port = set.flags.get(MASTER_FLAG_NAMES.port);
      const expected = expectedPeers(set, typeof port === "string" ? port : "9333");
      if (!expected) {
        report(`StatefulSet ${set.name}: ${MASTER_FLAG_NAMES.ip} must be $(POD_NAME).<headless service>.<namespace>.svc.<domain>, the pod's stable DNS name`, set.resource.urn);
        return;
      }
      const peers = set.flags.get(MASTER_FLAG_NAMES.peers);
      if (peers !== expected.join(",")) {
        report(
          `StatefulSet ${set.name}: ${MASTER_FLAG_NAMES.peers}=${String(peers)} does not list exactly its ${set.replicas} pods in ordinal order (${expected.join(",")}); a master missing from its own list appends itself and changes the member count`,
          set.resource.urn,
        );
      }
    }),
};

export const k8sSecurityContext: StackValidationPolicy = {
  name: "seaweedfs-k8s-security-context",
  description: "Every container of a master pod (the master and any sidecar) runs as a fixed non-root UID with a read-only root filesystem, no privilege escalation, all capabilities dropped and the RuntimeDefault seccomp profile.",
  severity: "high",
  validateStack: (args, report) =>
    forEachSet(args, (set) => {
      const pod = asRecord(set.pod.securityContext);
      const problems = asArray(set.pod.containers).map(asRecord).flatMap((c) => {
        const container = asRecord(c.securityContext);
        const found: string[] = [];
        const uid = container.runAsUser ?? pod.runAsUser;
        if (uid === undefined || Number(uid) === 0) found.push("no fixed non-root runAsUser");
        if ((container.runAsNonRoot ?? pod.runAsNonRoot) !== true) found.push("runAsNonRoot is not true");
        if (container.readOnlyRootFilesystem !== true) found.push("the root filesystem is writable");
        if (container.allowPrivilegeEscalation !== false) found.push("privilege escalation is allowed");
        if (!asArray(asRecord(container.capabilities).drop).includes("ALL")) found.push("capabilities are not all dropped");
        const seccomp = asRecord(container.seccompProfile ?? pod.seccompProfile).type;
        if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") found.push("no RuntimeDefault seccomp profile");
        return found.map((f) => `container ${String(c.name)}: ${f}`);
      });
      if (problems.length > 0) report(`StatefulSet ${set.name}: ${problems.join("; ")}`, set.resource.urn);
    }),
};

/** The pod volume the master keeps `-mdir` on: the one its container mounts at the `-mdir` path. */
function mdirVolume(set: MasterSet): string | undefined {
  const mdir = set.flags.get("-mdir");
  const mount = asArray(set.container.volumeMounts).map(asRecord).find((m) => m.mountPath === mdir);
  return mount ? String(mount.name) : undefined;
}

export const k8sBackups: StackValidationPolicy = {
  name: "seaweedfs-k8s-backups",
  description: "A master pod carries a backup sidecar (a second container mounting the -mdir volume) when required, and no other container may mount the -mdir volume writable: the raft state has one writer, the master.",
  severity: "high",
  configSchema: { properties: { required: { type: "boolean", default: false } } },
  validateStack: (args, report) => {
    const { required } = args.getConfig<{ required: boolean }>();
    forEachSet(args, (set) => {
      const volume = mdirVolume(set);
      const readers = asArray(set.pod.containers).slice(1).map(asRecord).flatMap((c) =>
        asArray(c.volumeMounts).map(asRecord).filter((m) => m.name === volume).map((m) => ({ container: String(c.name), readOnly: m.readOnly === true })),
      );
      const writers = readers.filter((r) => !r.readOnly);
      if (writers.length > 0) {
        report(`StatefulSet ${set.name}: container ${writers.map((w) => w.container).join(", ")} mounts the -mdir volume ${volume} writable; only the master may write its raft state (mount it readOnly)`, set.resource.urn);
      }
      if (required && readers.length === 0) {
        report(`StatefulSet ${set.name} has no backup sidecar reading the -mdir volume ${volume ?? "(none found)"}: a lost cluster cannot be restored (set k8sBackupBucket, k8sBackupCredentialsSecret and k8sBackupImage)`, set.resource.urn);
      }
    });
  },
};

/** The masters' namespace object and every Kubernetes object registered in it. */
function tierObjects(resources: readonly PolicyResource[], namespace: string): PolicyResource[] {
  return resources.filter((r) => {
    if (!r.type.startsWith("kubernetes:")) return false;
    const metadata = asRecord(r.props.metadata);
    return r.type === "kubernetes:core/v1:Namespace" ? metadata.name === namespace : metadata.namespace === namespace;
  });
}

export const k8sProtected: StackValidationPolicy = {
  name: "seaweedfs-k8s-protected",
  description:
    "When required (prod), the masters' namespace and every object in it are protected, so `pulumi destroy` is refused before it deletes anything. Protecting only the StatefulSet is not enough: the engine still deletes what the StatefulSet does not depend on (the ConfigMap its pods mount, the PDB, the NetworkPolicy) before it stops.",
  severity: "high",
  configSchema: { properties: { required: { type: "boolean", default: false } } },
  validateStack: (args, report) => {
    const { required } = args.getConfig<{ required: boolean }>();
    if (!required) args.notApplicable("protection is not required by this config");
    forEachSet(args, (set) => {
      const open = tierObjects(args.resources, set.namespace).filter((r) => !r.opts.protect);
      if (open.length > 0) {
        const names = open.map((r) => `${r.type.split(":").pop()} ${String(asRecord(r.props.metadata).name ?? r.name)}`);
        report(`${open.length} object(s) of the master tier in namespace ${set.namespace} are not protected (${names.join(", ")}): a refused pulumi destroy would still delete them; protect every object of the tier (the program does for environment prod)`, set.resource.urn);
      }
    });
  },
};

export const kubernetesPolicies = [k8sParallelPods, k8sZoneSpread, k8sProbes, k8sDisruptionBudget, k8sPeerService, k8sMasterArgs, k8sSecurityContext, k8sBackups, k8sProtected];
