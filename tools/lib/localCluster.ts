/**
 * A stack's master tier as a real local SeaweedFS cluster: every slot's rendered `weed master` on its own
 * loopback address and `-mdir`, two volume servers, the JWT signing key in the environment and the rendered
 * security.toml in each working directory (as systemd runs it on EC2). Used by the drills, their tests and the
 * monitoring and backup checks. Every process is stopped by `stop()`, and by an exit handler if that never runs.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { StackSettings } from "../../infra/config";
import { ENDPOINTS, HEALTH_CHECK, JWT_SIGNING_KEY_ENV } from "../../infra/seaweed/constants";
import { renderHostSecurityToml } from "../../infra/aws/host/systemd";
import { jsonOf, poll, request, sleep } from "./cluster/http";
import { FileIdLedger, MaxVolumeIdWatch } from "./cluster/invariants";
import { bearerToken } from "./cluster/jwt";
import { pickLoopbackNetwork } from "./cluster/loopback";
import { ManagedProcess, onExitCleanup } from "./cluster/processes";
import { clusterAddresses, ClusterPlan, PlannedMaster, planCluster, RaftOverride, stackConfig } from "./cluster/plan";
import { MasterStatus, parseClusterStatus } from "./cluster/status";
import { weedBinary } from "./cluster/weed";
import { insidePrivateNamespace, loopbackUp, privateHosts } from "./cluster/namespace";
import { HttpProbeSpec, KubeletProber } from "./cluster/prober";
import { masterPodSpec } from "../../infra/kubernetes/manifests";

export type { MasterStatus, RaftOverride };

export interface LocalClusterOptions {
  /** Stack name (stacks/Pulumi.<stack>.yaml); ignored when `config` is given. */
  stack: string;
  /** An already validated config, e.g. an ad-hoc variant of a stack. */
  config?: StackSettings;
  /** Departures from the stack's raft settings (the SeaweedFS-defaults baseline). @default none */
  raft?: RaftOverride;
  /** `[jwt.signing] key` given to masters and volume servers through the environment. @default random */
  jwtSigningKey?: string;
  /** Keep the run directory (logs, mdirs) after `stop()`. @default false */
  keep?: boolean;
  /** Second octet of the loopback addresses. @default a free one, picked at random */
  network?: number;
  /** @default 2 */
  volumeServers?: number;
  /** Progress lines. @default silent */
  log?: (line: string) => void;
}

export interface LocalMaster extends PlannedMaster {
  process: ManagedProcess;
  httpUrl: string;
  metricsUrl: string;
}

export interface AssignAnswer {
  ok: boolean;
  status: number;
  via: number;
  fid?: string;
  url?: string;
  /** The bearer token of the `Authorization` header (set when a signing key is configured). */
  auth?: string;
  /** The upload of a small blob to the assigned fid succeeded (when requested). */
  written?: boolean;
  body: string;
}

export class LocalCluster {
  readonly masters: LocalMaster[];
  readonly volumeServers: ManagedProcess[];
  /** Every file id assigned through this harness. */
  readonly fileIds = new FileIdLedger();
  /** Every MaxVolumeId a leader reported. */
  readonly maxVolumeIds = new MaxVolumeIdWatch();
  /** Kubernetes stacks: the kubelet stand-in that runs the StatefulSet's startup and liveness probes. */
  readonly prober?: KubeletProber;
  private proberStarted = false;
  private readonly frozen = new Set<number>();
  private readonly extras: ManagedProcess[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private readonly cancelExitCleanup: () => void;

  private constructor(
    readonly plan: ClusterPlan,
    readonly runDir: string,
    readonly network: number,
    readonly jwtSigningKey: string,
    private readonly options: LocalClusterOptions,
  ) {
    const binary = weedBinary();
    this.env = { ...process.env, [JWT_SIGNING_KEY_ENV]: jwtSigningKey };
    fs.mkdirSync(path.join(runDir, "logs"), { recursive: true });
    this.cancelExitCleanup = onExitCleanup(() => {
      if (!options.keep) fs.rmSync(runDir, { recursive: true, force: true });
    });
    const securityToml = renderHostSecurityToml();
    const managed = (name: string, dir: string, args: string[]) => {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "security.toml"), securityToml);
      return new ManagedProcess({ name, binary, args, cwd: dir, env: this.env, logFile: path.join(runDir, "logs", `${name}.log`) });
    };
    this.masters = plan.masters.map((m) => {
      fs.mkdirSync(m.mdir, { recursive: true });
      return {
        ...m,
        process: managed(`master-${m.slot}`, m.dir, m.args),
        httpUrl: `http://${m.address}`,
        metricsUrl: `http://${m.ip}:${plan.settings.metricsPort}${ENDPOINTS.metrics}`,
      };
    });
    if (plan.config.platform === "kubernetes") {
      const container = (masterPodSpec(plan.config).containers as { startupProbe: HttpProbeSpec; livenessProbe: HttpProbeSpec }[])[0];
      this.prober = new KubeletProber(this, { startup: container.startupProbe, liveness: container.livenessProbe });
    }
    this.volumeServers = plan.volumeServers.map((v) => {
      fs.mkdirSync(path.join(v.dir, "data"), { recursive: true });
      return managed(v.name, v.dir, v.args);
    });
  }

  /** Plans the cluster of a stack (nothing is started yet). */
  static async create(options: LocalClusterOptions): Promise<LocalCluster> {
    const config = options.config ?? stackConfig(options.stack);
    const dnsIdentities = config.platform === "kubernetes";
    if (dnsIdentities && !insidePrivateNamespace()) {
      throw new Error(`${options.stack} gives masters DNS identities: its cluster runs only inside the drill's private namespace (npm run drill re-runs itself there)`);
    }
    if (dnsIdentities) loopbackUp();
    const volumeServers = options.volumeServers ?? 2;
    const ports = [config.httpPort, config.grpcPort, config.metricsPort];
    const network = options.network ?? (await pickLoopbackNetwork((n) => clusterAddresses(config, n, volumeServers), ports));
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `seaweed-drill-${options.stack}-`));
    const plan = planCluster(config, { network, runDir, raft: options.raft, volumeServers });
    if (dnsIdentities) privateHosts(plan.masters.map((m) => ({ name: m.deployedHost, ip: m.ip })), runDir);
    return new LocalCluster(plan, runDir, network, options.jwtSigningKey ?? randomBytes(24).toString("hex"), options);
  }

  /** Plans, starts and waits until the cluster has a leader everyone agrees on and takes writes. */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const cluster = await LocalCluster.create(options);
    try {
      await cluster.start();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get config(): StackSettings {
    return this.plan.config;
  }

  /** The stack this cluster was built from. */
  get stack(): string {
    return this.options.stack;
  }

  log(line: string): void {
    this.options.log?.(line);
  }

  master(slot: number): LocalMaster {
    const master = this.masters.find((m) => m.slot === slot);
    if (!master) throw new Error(`no master slot ${slot} (slots: ${this.masters.map((m) => m.slot).join(", ")})`);
    return master;
  }

  /** Slots whose process runs and is not frozen. */
  liveSlots(): number[] {
    return this.masters.filter((m) => m.process.running && !this.frozen.has(m.slot)).map((m) => m.slot);
  }

  /**
   * With a slot: starts that master (on its existing `-mdir`). Without: starts every master and volume server that
   * is not running and waits for quorum and writes.
   */
  async start(slot?: number, timeoutMs = 90_000): Promise<void> {
    if (slot !== undefined) {
      this.master(slot).process.start();
      this.frozen.delete(slot);
      return;
    }
    for (const m of this.masters) if (!m.process.running) m.process.start();
    for (const v of this.volumeServers) if (!v.running) v.start();
    if (this.prober && !this.proberStarted) {
      this.prober.start();
      this.proberStarted = true;
    }
    const started = Date.now();
    await this.waitForQuorum(timeoutMs);
    await this.waitWritable(timeoutMs - (Date.now() - started));
  }

  /**
   * Signals one master. SIGKILL/SIGTERM wait (bounded) for the exit; SIGSTOP freezes it (skipped by polling
   * until SIGCONT).
   */
  async kill(slot: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const { process: proc } = this.master(slot);
    if (signal === "SIGKILL") await proc.kill();
    else if (signal === "SIGTERM") await proc.stop();
    else {
      proc.signal(signal);
      if (signal === "SIGSTOP") this.frozen.add(slot);
      if (signal === "SIGCONT") this.frozen.delete(slot);
    }
  }

  /** A master's `/cluster/status`; leaders' MaxVolumeId feed the never-goes-back invariant. */
  async statusOf(slot: number, timeoutMs = 1000): Promise<MasterStatus> {
    const answer = await request(`${this.master(slot).httpUrl}${ENDPOINTS.clusterStatus}`, { timeoutMs });
    const status = parseClusterStatus(slot, answer, (address) => this.masters.find((m) => m.address === address)?.slot);
    if (status.isLeader && status.maxVolumeId !== undefined) this.maxVolumeIds.observe(status.maxVolumeId, `master-${slot}`);
    return status;
  }

  /** `/cluster/healthz` status code of a master (-1 when it does not answer). */
  async healthz(slot: number, timeoutMs = 1000): Promise<number> {
    return (await request(`${this.master(slot).httpUrl}${HEALTH_CHECK.path}`, { timeoutMs })).status;
  }

  /** The slots that claim leadership among `slots` (default: live masters). */
  async leaders(slots = this.liveSlots()): Promise<number[]> {
    const statuses = await Promise.all(slots.map((s) => this.statusOf(s)));
    return statuses.filter((s) => s.isLeader).map((s) => s.slot);
  }

  /** The one live master that claims leadership, or undefined when none or several do. */
  async leader(): Promise<number | undefined> {
    const leaders = await this.leaders();
    return leaders.length === 1 ? leaders[0] : undefined;
  }

  /** Waits for a leader among `among` (default: live) other than `exclude`; returns its slot. */
  async waitForLeader(options: { exclude?: number[]; among?: number[]; timeoutMs?: number } = {}): Promise<number | undefined> {
    return poll(async () => {
      const leaders = (await this.leaders(options.among ?? this.liveSlots())).filter((s) => !options.exclude?.includes(s));
      return leaders.length === 1 ? leaders[0] : undefined;
    }, options.timeoutMs ?? 60_000);
  }

  /** Waits until every live master answers, all name the same live leader, and /cluster/healthz is 200 on all. */
  async waitForQuorum(timeoutMs = 60_000): Promise<number> {
    const leader = await poll(async () => {
      const live = this.liveSlots();
      const statuses = await Promise.all(live.map((s) => this.statusOf(s)));
      const claimed = statuses.filter((s) => s.isLeader);
      if (claimed.length !== 1 || !statuses.every((s) => s.leaderSlot === claimed[0].slot)) return undefined;
      const health = await Promise.all(live.map((s) => this.healthz(s)));
      return health.every((code) => code === 200) ? claimed[0].slot : undefined;
    }, timeoutMs, 100);
    if (leader === undefined) throw new Error(`no agreed leader with healthy masters within ${timeoutMs} ms (logs: ${this.runDir}/logs)`);
    return leader;
  }

  /** Asks a master (default: any live one) for a file id, records it, and by default writes a small blob to it. */
  async assign(via?: number, options: { write?: boolean; timeoutMs?: number } = {}): Promise<AssignAnswer> {
    const slot = via ?? this.liveSlots()[0];
    const answer = await request(`${this.master(slot).httpUrl}${ENDPOINTS.dirAssign}`, { timeoutMs: options.timeoutMs ?? 3000 });
    const body = jsonOf<{ fid?: string; url?: string }>(answer);
    if (answer.status !== 200 || !body?.fid || !body.url) return { ok: false, status: answer.status, via: slot, body: answer.body || (answer.error ?? "") };
    this.fileIds.record(body.fid);
    const auth = bearerToken(answer.headers.get("authorization"));
    const result: AssignAnswer = { ok: true, status: 200, via: slot, fid: body.fid, url: body.url, auth, body: answer.body };
    if (options.write ?? true) result.written = await this.write(body.url, body.fid, auth);
    return result;
  }

  /** Uploads a small blob to an assigned file id on its volume server (with the JWT, when given). */
  async write(url: string, fid: string, auth?: string): Promise<boolean> {
    const form = new FormData();
    form.append("file", new Blob([`drill ${fid}\n`]), "drill.txt");
    const headers: Record<string, string> = auth ? { Authorization: `Bearer ${auth}` } : {};
    const answer = await request(`http://${url}/${fid}`, { method: "POST", body: form, headers, timeoutMs: 3000 });
    return answer.status === 201 || answer.status === 200;
  }

  /** Polls `/dir/assign` through `via` (default: any live master) until it succeeds; returns the elapsed ms. */
  async waitWritable(timeoutMs = 60_000, via?: () => number | undefined): Promise<number> {
    const started = Date.now();
    const ok = await poll(async () => {
      const slot = via?.() ?? this.liveSlots()[0];
      return slot !== undefined && (await this.assign(slot)).ok ? true : undefined;
    }, timeoutMs, 100);
    if (!ok) throw new Error(`no successful /dir/assign within ${timeoutMs} ms (logs: ${this.runDir}/logs)`);
    return Date.now() - started;
  }

  /** The Prometheus text a master serves on its metrics port. */
  async metrics(slot: number): Promise<string> {
    const answer = await request(this.master(slot).metricsUrl, { timeoutMs: 3000 });
    if (answer.status !== 200) throw new Error(`metrics of master-${slot}: HTTP ${answer.status} ${answer.error ?? ""}`);
    return answer.body;
  }

  /** The cluster's identity and volume-id high-water mark, as the leader reports them. */
  async dirStatus(): Promise<{ topologyId: string; maxVolumeId: number; leader: number }> {
    const leader = await this.waitForLeader({ timeoutMs: 30_000 });
    if (leader === undefined) throw new Error("dirStatus: no leader");
    const dir = jsonOf<{ TopologyId?: string }>(await request(`${this.master(leader).httpUrl}${ENDPOINTS.dirStatus}`, { timeoutMs: 3000 }));
    const status = await this.statusOf(leader);
    if (!dir?.TopologyId) throw new Error(`dirStatus: master-${leader} reported no TopologyId`);
    return { topologyId: dir.TopologyId, maxVolumeId: status.maxVolumeId ?? 0, leader };
  }

  /** Starts a one-off `weed` process that `stop()` also cleans up (e.g. a deliberately misconfigured master). */
  spawnWeed(name: string, args: string[]): ManagedProcess {
    const dir = path.join(this.runDir, name);
    fs.mkdirSync(dir, { recursive: true });
    const proc = new ManagedProcess({ name, binary: weedBinary(), args, cwd: dir, env: this.env, logFile: path.join(this.runDir, "logs", `${name}.log`) });
    this.extras.push(proc);
    proc.start();
    return proc;
  }

  /** Stops every process (bounded) and removes the run directory unless `keep`. */
  async stop(): Promise<void> {
    this.prober?.stop();
    this.frozen.clear();
    await Promise.all([
      ...this.masters.map((m) => m.process.stop(3000)),
      ...this.volumeServers.map((v) => v.stop(1000)),
      ...this.extras.map((p) => p.stop(1000)),
    ]);
    await sleep(50);
    this.cancelExitCleanup();
    if (this.options.keep) this.log(`run directory kept: ${this.runDir}`);
    else fs.rmSync(this.runDir, { recursive: true, force: true });
  }
}
