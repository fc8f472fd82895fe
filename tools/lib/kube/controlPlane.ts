/**
 * A throw-away Kubernetes control plane on loopback for engine tests: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and kwok (which fakes the nodes' kubelets), plus fake nodes labelled
 * with zones so the StatefulSet's zone spread is really scheduled. Every process runs in its own process group
 * (ManagedProcess), so a failed or interrupted test leaves nothing behind. kwok gives pods fake IPs in
 * 10.0.0.0/24; nothing here ever sends traffic to them. Binaries come from tools/setup-engine.sh.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../cluster/loopback";
import { ManagedProcess, onExitCleanup } from "../cluster/processes";
import { sleep } from "../cluster/http";
import { KubeEndpoint, kubeCall, kubeRequest } from "./api";

export interface ControlPlaneOptions {
  /** Directory holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok. */
  binDir: string;
  /** Zones of the fake nodes, e.g. ["zone-a", "zone-b", "zone-c"]. */
  zones: string[];
  /** Fake nodes per zone. @default 2 */
  nodesPerZone?: number;
  /** Progress lines (one per phase). @default console.error */
  log?: (line: string) => void;
}

export interface ControlPlane {
  endpoint: KubeEndpoint;
  /** A kubeconfig file for the provider and kubectl-like tools. */
  kubeconfig: string;
  /** Node name -> zone. */
  nodes: Map<string, string>;
  stop(): Promise<void>;
}

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: local",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    "users:",
    "- name: admin",
    "  user:",
    `    token: ${token}`,
    "contexts:",
    "- name: local",
    "  context: {cluster: local, user: admin}",
    "current-context: local",
    "",
  ].join("\n");
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`local control plane: ${what} not ready after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** Starts the control plane and its fake nodes; resolves when every node is Ready and schedulable. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const log = options.log ?? ((line: string) => console.error(line));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seaweed-kube-"));
  const cancelCleanup = onExitCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = (name: string) => path.join(options.binDir, name);
  const processes: ManagedProcess[] = [];
  const start = (name: string, binary: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const proc = new ManagedProcess({ name, binary, args, cwd: dir, env, logFile: path.join(dir, `${name}.log`) });
    proc.start();
    processes.push(proc);
    return proc;
  };
  const stop = async () => {
    // Reverse order; the apiserver takes ~10 s to shut down gracefully, so it is killed after a short grace.
    for (const proc of [...processes].reverse()) await proc.stop(2000);
    cancelCleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const token = `seaweed-infra-${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
    execFileSync("openssl", ["genrsa", "-out", path.join(dir, "sa.key"), "2048"], { stdio: "ignore" });
    execFileSync("openssl", ["rsa", "-in", path.join(dir, "sa.key"), "-pubout", "-out", path.join(dir, "sa.pub")], { stdio: "ignore" });

    log("control plane: etcd");
    start("etcd", bin("etcd"), [
      `--data-dir=${path.join(dir, "etcd")}`,
      "--name=local",
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=local=http://127.0.0.1:${etcdPeer}`,
    ]);

    log("control plane: kube-apiserver");
    const certDir = path.join(dir, "certs");
    start("kube-apiserver", bin("kube-apiserver"), [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${path.join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.96.0.0/24",
      "--service-account-issuer=https://kubernetes.default.svc",
      `--service-account-key-file=${path.join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
      "--disable-admission-plugins=ServiceAccount",
      "--enable-priority-and-fairness=false",
    ]);
    const caFile = path.join(certDir, "apiserver.crt");
    await waitFor("the apiserver's certificate", 60_000, async () => fs.existsSync(caFile));
    const endpoint: KubeEndpoint = { server: `https://127.0.0.1:${apiPort}`, token, ca: fs.readFileSync(caFile, "utf8") };
    await waitFor("kube-apiserver /readyz", 120_000, async () => (await kubeRequest(endpoint, "GET", "/readyz")).status === 200);

    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfig, kubeconfigYaml(endpoint.server, caFile, token), { mode: 0o600 });

    log("control plane: kube-controller-manager, kube-scheduler, kwok");
    start("kube-controller-manager", bin("kube-controller-manager"), [
      `--kubeconfig=${kubeconfig}`,
      "--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-route,-service",
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${await freePort()}`,
      `--service-account-private-key-file=${path.join(dir, "sa.key")}`,
      `--root-ca-file=${caFile}`,
    ]);
    start("kube-scheduler", bin("kube-scheduler"), [
      `--kubeconfig=${kubeconfig}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${await freePort()}`,
    ]);
    // kwok with etcd 3.4 never falls back from watch-list, so pods would stay Pending without this.
    start(
      "kwok",
      bin("kwok"),
      [
        `--kubeconfig=${kubeconfig}`,
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        "--cidr=10.0.0.1/24",
        "--node-ip=10.0.0.1",
        `--server-address=127.0.0.1:${await freePort()}`,
      ],
      { ...process.env, KUBE_FEATURE_WatchListClient: "false" },
    );

    const nodes = new Map<string, string>();
    const perZone = options.nodesPerZone ?? 2;
    for (const zone of options.zones) {
      for (let i = 0; i < perZone; i++) {
        const name = `kwok-${zone}-${i}`;
        nodes.set(name, zone);
        await kubeCall(endpoint, "POST", "/api/v1/nodes", {
          apiVersion: "v1",
          kind: "Node",
          metadata: {
            name,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: { "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone, type: "kwok" },
          },
          spec: {},
        });
      }
    }
    log(`control plane: ${nodes.size} fake nodes over ${options.zones.length} zones`);
    await waitFor("the fake nodes", 120_000, async () => {
      const list = await kubeCall<{ items: { metadata: { name: string }; spec: { taints?: { key: string }[] }; status?: { conditions?: { type: string; status: string }[] } }[] }>(
        endpoint,
        "GET",
        "/api/v1/nodes",
      );
      let ready = 0;
      for (const node of list.items) {
        const isReady = node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
        if (!isReady) continue;
        ready++;
        // With nodelifecycle off nothing removes the not-ready taint the apiserver put on at creation.
        if ((node.spec.taints ?? []).length > 0) {
          await kubeCall(endpoint, "PATCH", `/api/v1/nodes/${node.metadata.name}`, { spec: { taints: null } }, "application/merge-patch+json");
        }
      }
      return ready === nodes.size;
    });
    log("control plane: ready");
    return { endpoint, kubeconfig, nodes, stop };
  } catch (error) {
    const logs = processes.map((p) => `--- ${p.name}.log (tail)\n${tail(path.join(dir, `${p.name}.log`))}`).join("\n");
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  }
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
