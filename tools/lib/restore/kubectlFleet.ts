/**
 * The masters of a Kubernetes stack as a fleet the restore acts on from an operator's machine, through `kubectl`
 * and the operator's kubeconfig:
 *
 * - stop: the StatefulSet scaled to 0 (once, for every slot), then each pod waited for until it is gone;
 * - install: a short-lived pod per slot mounts that slot's `-mdir` claim (ReadWriteOnce: possible only while the
 *   master is down), moves the old raft directory aside (never deleted) and unpacks the verified backup streamed
 *   through `kubectl exec -i ... tar -x`; then it is deleted;
 * - start: the StatefulSet scaled back to masterCount (Parallel: every master starts at once), then, once a slot's
 *   pod runs, a `kubectl port-forward` to its HTTP port;
 * - url: each master through its port-forward on 127.0.0.1. `weed` listens on the pod's localhost too (besides
 *   `-ip.bind`, weed/util NewIpAndLocalListeners), which is where the kubelet's port-forward connects, inside the
 *   pod: the tier's NetworkPolicy never sees it. (The API server's pod proxy, used before, connects from the control
 *   plane's addresses, which that policy drops.)
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

/** A running port-forward: the local port on 127.0.0.1 and how to end it. */
export interface Forward {
  localPort: number;
  stop(): void;
}

/** Forwards a free local port to `port` of a pod (in `namespace`); resolves once it listens. */
export type PortForwarder = (namespace: string, pod: string, port: number) => Promise<Forward>;

export interface KubectlFleetOptions {
  config: KubernetesConfig;
  /** @default "kubectl" */
  kubectl?: string;
  run?: Runner;
  /** @default `kubectl port-forward` ({@link kubectlPortForward}) */
  forward?: PortForwarder;
  /** How long to wait for a pod to go or come. @default "300s" */
  timeout?: string;
}

/** The fleet, plus ending its port-forwards (the restore CLI calls it when done). */
export type KubectlFleet = MasterFleet & { close(): void };

export function kubectlFleet(options: KubectlFleetOptions): KubectlFleet {
  const { config } = options;
  const names = masterNames(config);
  const run = options.run ?? runCommand;
  const forward = options.forward ?? kubectlPortForward(options.kubectl);
  const timeout = options.timeout ?? "300s";
  const kubectl = (args: string[], input?: NodeJS.ReadableStream) => run(options.kubectl ?? "kubectl", ["--namespace", names.namespace, ...args], input);
  const scale = (replicas: number) => kubectl(["scale", `statefulset/${names.statefulSet}`, `--replicas=${replicas}`]);
  let scaledDown: Promise<string> | undefined;
  let scaledUp: Promise<string> | undefined;
  const raftDir = raftDirectory(MDIR, config.httpPort);
  const forwards = new Map<number, Forward>();
  return {
    slots: config.topology.slots.map((s) => s.slot),
    url: (slot) => {
      const forwarded = forwards.get(slot);
      return forwarded ? `http://127.0.0.1:${forwarded.localPort}` : `kubectl port-forward pod/${podName(config, slot)} :${config.httpPort}`;
    },
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
    start: async (slot) => {
      scaledUp ??= scale(config.masterCount);
      await scaledUp;
      // A port-forward needs the pod running (not ready: no master is ready before a leader, which needs quorum).
      const pod = podName(config, slot);
      await kubectl(["wait", "--for=jsonpath={.status.phase}=Running", `pod/${pod}`, `--timeout=${timeout}`]);
      forwards.get(slot)?.stop();
      forwards.set(slot, await forward(names.namespace, pod, config.httpPort));
    },
    close: () => {
      for (const f of forwards.values()) f.stop();
      forwards.clear();
    },
  };
}

/**
 * `kubectl port-forward --address 127.0.0.1 pod/<pod> :<port>`: the operator's kubeconfig reaches the kubelet through
 * the API server; the local port is the one kubectl prints ("Forwarding from 127.0.0.1:<port> -> <port>").
 */
export function kubectlPortForward(kubectl = "kubectl"): PortForwarder {
  return (namespace, pod, port) =>
    new Promise((resolve, reject) => {
      const child = spawn(kubectl, ["--namespace", namespace, "port-forward", "--address", "127.0.0.1", `pod/${pod}`, `:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
      let seen = "";
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`kubectl port-forward to ${pod} did not start within 30 s: ${seen}`));
      }, 30_000);
      const onData = (d: Buffer) => {
        seen += d.toString();
        const match = /Forwarding from 127\.0\.0\.1:(\d+) -> /.exec(seen);
        if (match) {
          clearTimeout(timer);
          resolve({ localPort: Number(match[1]), stop: () => child.kill() });
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
        reject(new Error(`kubectl port-forward to ${pod} exited (${code}): ${seen}`));
      });
    });
}
