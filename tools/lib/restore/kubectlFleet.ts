/**
 * The masters of a Kubernetes stack as a fleet the restore acts on from an operator's machine, through `kubectl`
 * and the operator's kubeconfig:
 *
 * - stop: the StatefulSet scaled to 0 (once, for every slot), then each pod waited for until it is gone;
 * - install: a short-lived pod per slot mounts that slot's `-mdir` claim (ReadWriteOnce: possible only while the
 *   master is down), moves the old raft directory aside (never deleted) and unpacks the verified backup streamed
 *   through `kubectl exec -i ... tar -x`; then it is deleted;
 * - start: the StatefulSet scaled back to masterCount (Parallel: every master starts at once);
 * - url: each master through the API server's pod proxy, reached via a local `kubectl proxy` (a master listens on
 *   its pod IP only, which `kubectl port-forward` cannot reach). The NetworkPolicy must let the API server reach
 *   the masters' HTTP port for this (many CNIs let node addresses through; if yours does not, verify from a pod).
 */
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import type { KubernetesConfig } from "../../../infra/config";
import { imageOf } from "../../../infra/kubernetes/manifests";
import { masterNames, MDIR, podName } from "../../../infra/kubernetes/names";
import { raftDirectory } from "../../../infra/seaweed/backup";
import type { MasterFleet } from "./restoreCluster";

/** The PVC of a slot: `<claim template>-<statefulset>-<ordinal>`, as the StatefulSet controller names it. */
export function claimOf(config: KubernetesConfig, slot: number): string {
  return `data-${podName(config, slot)}`;
}

/** The helper pod that holds a slot's claim during the install. */
export function installPodName(config: KubernetesConfig, slot: number): string {
  return `${podName(config, slot)}-restore`;
}

/**
 * The helper pod: the master's own image (it has a shell and tar), the master's UID, the slot's claim at the
 * master's `-mdir` path, locked down like the master; it only sleeps until the restore execs into it.
 */
export function installPod(config: KubernetesConfig, slot: number): Record<string, unknown> {
  const names = masterNames(config);
  const uid = config.k8sRunAsUser;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: installPodName(config, slot), namespace: names.namespace, labels: { "app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/component": "master-restore" } },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "restore",
          image: imageOf(config),
          command: ["/bin/sh", "-c", "sleep 3600"],
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
          volumeMounts: [{ name: "data", mountPath: MDIR }],
        },
      ],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: claimOf(config, slot) } }],
    },
  };
}

/** Runs a command; `input` is piped to its stdin. Rejects with its stderr when it exits non-zero. */
export type Runner = (command: string, args: string[], input?: NodeJS.ReadableStream) => Promise<string>;

export const runCommand: Runner = (command, args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    if (input && child.stdin) input.pipe(child.stdin);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.trim()}`))));
  });

export interface KubectlFleetOptions {
  config: KubernetesConfig;
  /** Base URL of a running `kubectl proxy` (e.g. http://127.0.0.1:8001). */
  proxyUrl: string;
  /** @default "kubectl" */
  kubectl?: string;
  run?: Runner;
  /** How long to wait for a pod to go or come. @default "300s" */
  timeout?: string;
}

export function kubectlFleet(options: KubectlFleetOptions): MasterFleet {
  const { config } = options;
  const names = masterNames(config);
  const run = options.run ?? runCommand;
  const timeout = options.timeout ?? "300s";
  const kubectl = (args: string[], input?: NodeJS.ReadableStream) => run(options.kubectl ?? "kubectl", ["--namespace", names.namespace, ...args], input);
  const scale = (replicas: number) => kubectl(["scale", `statefulset/${names.statefulSet}`, `--replicas=${replicas}`]);
  let scaledDown: Promise<string> | undefined;
  let scaledUp: Promise<string> | undefined;
  const raftDir = raftDirectory(MDIR, config.httpPort);
  return {
    slots: config.topology.slots.map((s) => s.slot),
    url: (slot) => `${options.proxyUrl.replace(/\/+$/, "")}/api/v1/namespaces/${names.namespace}/pods/${podName(config, slot)}:${config.httpPort}/proxy`,
    stop: async (slot) => {
      scaledDown ??= scale(0);
      await scaledDown;
      await kubectl(["wait", "--for=delete", `pod/${podName(config, slot)}`, `--timeout=${timeout}`]);
    },
    install: async (slot, localRaftDir) => {
      const pod = installPodName(config, slot);
      await kubectl(["apply", "-f", "-"], Readable.from([JSON.stringify(installPod(config, slot))]));
      try {
        await kubectl(["wait", "--for=condition=Ready", `pod/${pod}`, `--timeout=${timeout}`]);
        const tar = spawn("tar", ["-C", localRaftDir, "-cf", "-", "."], { stdio: ["ignore", "pipe", "inherit"] });
        // The old raft directory is kept beside the new one, as on AWS; an empty claim simply gets the copy.
        const script = `set -e; d=${raftDir}; if [ -e "$d" ]; then mv "$d" "$d.before-restore-$(date +%s)"; fi; mkdir -p "$d"; tar -x -C "$d"`;
        await kubectl(["exec", "-i", pod, "--", "/bin/sh", "-c", script], tar.stdout);
      } finally {
        await kubectl(["delete", "pod", pod, "--wait=true", "--ignore-not-found"]);
      }
    },
    start: async () => {
      scaledUp ??= scale(config.masterCount);
      await scaledUp;
    },
  };
}

/**
 * Starts `kubectl proxy` on a free loopback port; returns its base URL and a stop function. The proxy carries the
 * operator's kubeconfig credentials to the API server, so it listens on 127.0.0.1 only and lives as long as the run.
 */
export function startKubectlProxy(kubectl = "kubectl"): Promise<{ url: string; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectl, ["proxy", "--address=127.0.0.1", "--port=0"], { stdio: ["ignore", "pipe", "pipe"] });
    let seen = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`kubectl proxy did not start within 30 s: ${seen}`));
    }, 30_000);
    const onData = (d: Buffer) => {
      seen += d.toString();
      const match = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${match[1]}`, stop: () => child.kill() });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl proxy exited (${code}): ${seen}`));
    });
  });
}
