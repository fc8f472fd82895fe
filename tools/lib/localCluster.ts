/**
 * A stack's master tier as a real local SeaweedFS cluster: every slot's rendered `weed master` on its own
 * loopback address and `-mdir`, two volume servers, the JWT signing key in the environment and the rendered
 * security.toml in each working directory (as systemd runs it on EC2; with the stack's mutual TLS, each process's
 * certificate and key beside it, minted by the program's own issuance code), the rendered watchdog beside each master,
 * and a supervisor that restarts a master which dies by anyone else's hand after the unit's RestartSec. Used by the
 * drills, their tests and the monitoring and backup checks. Every process is stopped by `stop()`, and by an exit
 * handler if that never runs.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { StackSettings } from "../../infra/platforms";
import type { KubernetesConfig } from "../../infra/config";
import { ENDPOINTS, HEALTH_CHECK, JWT_SIGNING_KEY_ENV } from "../../infra/seaweed/constants";
import { MASTER_RESTART_SECONDS, renderHostSecurityToml } from "../../infra/aws/host/systemd";
import { renderWatchdogScript, WATCHDOG_KILLS_FILE, watchdogSettingsOf } from "../../infra/seaweed/watchdog";
import { uploadAndReadBack } from "./cluster/blob";
import { jsonOf, poll, request, sleep } from "./cluster/http";
import { FileIdLedger, MaxVolumeIdWatch } from "./cluster/invariants";
import { bearerToken } from "./cluster/jwt";
import { pickLoopbackNetwork } from "./cluster/loopback";
import { ManagedProcess, ManagedProcessOptions, onExitCleanup } from "./cluster/processes";
import { clusterAddresses, ClusterPlan, PlannedMaster, planCluster, RaftOverride, stackConfig } from "./cluster/plan";
import { MasterStatus, parseClusterStatus, parseDataNodes } from "./cluster/status";
import { weedBinary, weedEnv } from "./cluster/weed";
import { stageBinaryForUid } from "./cluster/uids";
import type { Timeline } from "./drill/timeline";
import { insidePrivateNamespace, loopbackUp, privateHosts } from "./cluster/namespace";
import { HttpProbeSpec, KubeletProber, ProbeSpec } from "./cluster/prober";
import { expandPodArgs, masterPodSpec, masterSecurityToml } from "../../infra/kubernetes/manifests";
import { podName } from "../../infra/kubernetes/names";
import { tlsPodParts, TLS_MOUNT, TLS_SECRET_KEYS } from "../../infra/kubernetes/tls";
import { renderClientSecurityToml } from "../../infra/seaweed/security";
import { TlsRole, tlsReloadEnvironment } from "../../infra/seaweed/tls";
import type { PemPair } from "../../infra/tls/x509";
import { issueFor, issueLocalTls, LocalTls, writeTlsDir } from "./cluster/tls";
import { VOLUME_SERVER_PORT } from "../../infra/seaweed/volumeServer";

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
  /** Run the rendered watchdog beside each master. @default the stack's `watchdogEnabled` */
  watchdog?: boolean;
  /**
   * Mutual TLS on the gRPC channels: the stack's rendered TLS sections with certificates of a drill CA.
   * @default the stack's `tlsEnabled`
   */
  tls?: boolean;
  /**
   * Run each master and volume server under its own uid (see {@link processUid}), so nftables can tell their
   * traffic apart on loopback (network partitions). Needs root; used inside the drill's private network namespace.
   * They run a link or copy of `weed` in the run directory, so the checkout may sit where they cannot enter; a run
   * directory they cannot reach (TMPDIR in such a place) is refused up front (see ./cluster/uids.ts).
   * @default false
   */
  separateUids?: boolean;
}

/** Base of the uids of {@link LocalClusterOptions.separateUids}: master slot s runs as base + s, volume server n as base + 100 + n. */
export const PROCESS_UID_BASE = 61_000;

export interface LocalMaster extends PlannedMaster {
  process: ManagedProcess;
  /** The rendered watchdog beside it (absent when the watchdog is off). */
  watchdog?: ManagedProcess;
  /** The watchdog's STATE_DIRECTORY. */
  watchdogState: string;
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
  /** A unique blob was uploaded to the assigned fid and read back byte-identical (when requested). */
  written?: boolean;
  /** Why the upload or the read-back failed. */
  writeError?: string;
  /** The whole write path worked: assigned, uploaded, read back byte-identical. */
  stored: boolean;
  /** A refused assignment's `Retry-After` (a new leader's warm-up), in ms. */
  retryAfterMs?: number;
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
  private readonly partitioned = new Set<number>();
  /** Set by the drill runner while a scenario runs: faults and write attempts are recorded there. */
  timeline?: Timeline;
  private readonly extras: ManagedProcess[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private readonly cancelExitCleanup: () => void;
  /** A supervised `weed master` process for a slot with the given argv (membership changes re-render it). */
  private readonly masterProcess: (m: PlannedMaster, args: readonly string[]) => ManagedProcess;

  private constructor(
    readonly plan: ClusterPlan,
    readonly runDir: string,
    readonly network: number,
    readonly jwtSigningKey: string,
    private readonly options: LocalClusterOptions,
    /** Undoes the private /etc/hosts of a DNS-identity cluster (see privateHosts); must run before runDir goes. */
    private readonly releaseHosts: () => void = () => {},
    /** The cluster's CA and certificates; absent when TLS is off. */
    readonly tls?: LocalTls,
  ) {
    if (options.separateUids) fs.chmodSync(runDir, 0o755);
    // Processes under uids of their own run a link or copy they can reach, whatever directory the checkout is in.
    const binary = options.separateUids ? stageBinaryForUid(weedBinary(), runDir, PROCESS_UID_BASE) : weedBinary();
    // With TLS, masters and volume servers re-read their files as the stack renders it (tlsReloadSeconds).
    this.env = { ...process.env, [JWT_SIGNING_KEY_ENV]: jwtSigningKey, ...(tls ? tlsReloadEnvironment(plan.config.tlsReloadSeconds) : {}) };
    fs.mkdirSync(path.join(runDir, "logs"), { recursive: true });
    this.cancelExitCleanup = onExitCleanup(() => {
      releaseHosts();
      if (!options.keep) fs.rmSync(runDir, { recursive: true, force: true });
    });
    const uidOf = (offset: number) => (options.separateUids ? PROCESS_UID_BASE + offset : undefined);
    const managed = (name: string, dir: string, args: string[], extra: Partial<ManagedProcessOptions> = {}) => {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "security.toml"), this.securityTomlOf(name, dir));
      if (extra.uid !== undefined) chownTree(dir, extra.uid);
      return new ManagedProcess({ name, binary, args, cwd: dir, env: weedEnv(dir, this.env), logFile: path.join(runDir, "logs", `${name}.log`), ...extra });
    };
    // The watchdog is the AWS unit; on Kubernetes the kubelet stand-in (the prober below) plays its part.
    const awsConfig = plan.config.platform === "aws" ? plan.config : undefined;
    const watchdogSettings = awsConfig && (options.watchdog ?? awsConfig.watchdogEnabled) ? watchdogSettingsOf(awsConfig) : undefined;
    // Like systemd's Restart=always: a master that dies by anyone else's hand (the watchdog) comes back on its mdir.
    const supervised = (slot: number): Partial<ManagedProcessOptions> => ({
      uid: uidOf(slot),
      restartAfterMs: MASTER_RESTART_SECONDS * 1000,
      onRestart: (exit) => {
        this.frozen.delete(slot);
        this.timeline?.event("heal", `master-${slot} restarted by its supervisor`);
        this.log(`master-${slot} exited (${exit.signal ?? `code ${exit.code}`}) and was restarted after ${MASTER_RESTART_SECONDS} s, as systemd would`);
      },
    });
    this.masterProcess = (m, args) => managed(`master-${m.slot}`, m.dir, [...args], { ...supervised(m.slot), env: weedEnv(m.dir, { ...this.env, ...this.podTlsEnvironment(m.slot, m.dir) }) });
    this.masters = plan.masters.map((m) => {
      fs.mkdirSync(m.mdir, { recursive: true });
      const watchdogState = path.join(m.dir, "watchdog");
      const master: LocalMaster = {
        ...m,
        process: this.masterProcess(m, m.args),
        watchdogState,
        httpUrl: `http://${m.address}`,
        metricsUrl: `http://${m.ip}:${plan.settings.metricsPort}${ENDPOINTS.metrics}`,
      };
      if (watchdogSettings) {
        // The very script the user data installs, with the slot's address mapped to loopback.
        const script = path.join(m.dir, "watchdog.sh");
        fs.writeFileSync(script, renderWatchdogScript({ host: m.ip, port: plan.settings.port }, watchdogSettings), { mode: 0o755 });
        master.watchdog = new ManagedProcess({
          name: `watchdog-${m.slot}`,
          binary: "bash",
          args: [script],
          cwd: m.dir,
          env: { ...process.env, STATE_DIRECTORY: watchdogState },
          logFile: path.join(runDir, "logs", `watchdog-${m.slot}.log`),
          restartAfterMs: MASTER_RESTART_SECONDS * 1000,
        });
      }
      return master;
    });
    if (plan.config.platform === "kubernetes") {
      const pod = masterPodSpec(plan.config) as { terminationGracePeriodSeconds: number; containers: { startupProbe: HttpProbeSpec; livenessProbe: ProbeSpec }[] };
      const [container] = pod.containers;
      this.prober = new KubeletProber(this, { startup: container.startupProbe, liveness: container.livenessProbe, podGraceSeconds: pod.terminationGracePeriodSeconds });
    }
    this.volumeServers = plan.volumeServers.map((v, i) => {
      fs.mkdirSync(path.join(v.dir, "data"), { recursive: true });
      return managed(v.name, v.dir, v.args, { uid: uidOf(100 + i + 1) });
    });
  }

  /**
   * The security.toml of a process of this cluster, its TLS files written beside it: a master's is the rendered host
   * file (its TLS directory mapped into its own), a volume server's the rendered client file of its role.
   */
  private securityTomlOf(name: string, dir: string): string {
    const slot = /^master-(\d+)$/.exec(name)?.[1];
    const config = this.plan.config;
    if (slot !== undefined && config.platform === "kubernetes") return this.podSecurityToml(config, dir);
    if (!this.tls) return renderHostSecurityToml();
    const tlsDir = path.join(dir, "tls");
    if (slot !== undefined) {
      writeTlsDir(tlsDir, "master", this.tls.bundle, this.tls.masters.get(Number(slot)));
      return renderHostSecurityToml({ tls: { clusterName: this.tls.clusterName, dir: tlsDir } });
    }
    writeTlsDir(tlsDir, "volume", this.tls.bundle, this.tls.clients.volume);
    return renderClientSecurityToml({ role: "volume", clusterName: this.tls.clusterName, dir: tlsDir });
  }

  /**
   * A Kubernetes master's security.toml as its pod has it: the ConfigMap's file, shared by every pod, and with TLS
   * the projected volume of every master's Secret (`<pod>/tls.crt`, `<pod>/tls.key`, `ca.crt`) in `<dir>/tls`.
   */
  private podSecurityToml(config: KubernetesConfig, dir: string): string {
    if (!this.tls) return masterSecurityToml(config);
    const mount = path.join(dir, "tls");
    fs.mkdirSync(mount, { recursive: true });
    fs.writeFileSync(path.join(mount, TLS_SECRET_KEYS.ca), this.tls.bundle);
    for (const [slot, pem] of this.tls.masters) {
      const own = path.join(mount, podName(config, slot));
      fs.mkdirSync(own, { recursive: true });
      fs.writeFileSync(path.join(own, TLS_SECRET_KEYS.cert), pem.certPem);
      fs.writeFileSync(path.join(own, TLS_SECRET_KEYS.key), pem.keyPem, { mode: 0o600 });
    }
    return masterSecurityToml(config, mount);
  }

  /** A Kubernetes master's TLS variables as the kubelet sets them from the pod template, the mount at `<dir>/tls`. */
  private podTlsEnvironment(slot: number, dir: string): Record<string, string> {
    if (!this.tls || this.plan.config.platform !== "kubernetes") return {};
    const { env } = tlsPodParts(this.plan.config);
    const pod = { name: podName(this.plan.config, slot), ip: this.plan.masters.find((m) => m.slot === slot)?.ip ?? "" };
    const values = expandPodArgs(env.map((e) => String(e.value).replace(TLS_MOUNT, path.join(dir, "tls"))), pod);
    return Object.fromEntries(env.map((e, i) => [String(e.name), values[i]]));
  }

  /**
   * A directory holding a security.toml and TLS files of `role`, for `weed` runs from there (an operator's
   * `weed shell`, an extra volume server or master): by default the cluster's own certificate of a client role;
   * `identity` gives another one (e.g. from a foreign CA; required for a master) and `bundle` another trust bundle.
   * `identity: null` is a party holding no certificate: its file has no TLS section, and weed then dials in plain
   * text (LoadClientTLS falls back to insecure credentials without a cert and key). Without TLS on the cluster every
   * directory holds the plain host file.
   */
  securityDir(name: string, role: TlsRole, options: { identity?: PemPair | null; bundle?: string } = {}): string {
    const dir = path.join(this.runDir, name);
    fs.mkdirSync(dir, { recursive: true });
    if (!this.tls || options.identity === null) {
      fs.writeFileSync(path.join(dir, "security.toml"), renderHostSecurityToml());
      return dir;
    }
    const tlsDir = path.join(dir, "tls");
    const identity = options.identity ?? (role === "master" ? undefined : this.tls.clients[role]);
    if (!identity) throw new Error(`securityDir ${name}: a ${role} needs an identity`);
    writeTlsDir(tlsDir, role, options.bundle ?? this.tls.bundle, identity);
    const toml = role === "master" ? renderHostSecurityToml({ tls: { clusterName: this.tls.clusterName, dir: tlsDir } }) : renderClientSecurityToml({ role, clusterName: this.tls.clusterName, dir: tlsDir });
    fs.writeFileSync(path.join(dir, "security.toml"), toml);
    return dir;
  }

  /** Whether the rendered watchdog runs beside the masters. */
  get watchdogOn(): boolean {
    return this.masters.some((m) => m.watchdog);
  }

  /** How many times a master's watchdog acted (killed or terminated it), from its state file. */
  watchdogKills(slot: number): number {
    const file = path.join(this.master(slot).watchdogState, WATCHDOG_KILLS_FILE);
    return fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8").trim()) : 0;
  }

  /** The uid a master slot runs as with `separateUids` (undefined otherwise). */
  uidOfSlot(slot: number): number | undefined {
    return this.options.separateUids ? PROCESS_UID_BASE + slot : undefined;
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
    const tls = (options.tls ?? config.tlsEnabled) ? await issueLocalTls(config, plan.masters) : undefined;
    let releaseHosts = () => {};
    try {
      if (dnsIdentities) releaseHosts = privateHosts(plan.masters.map((m) => ({ name: m.deployedHost, ip: m.ip })), runDir);
      return new LocalCluster(plan, runDir, network, options.jwtSigningKey ?? randomBytes(24).toString("hex"), options, releaseHosts, tls);
    } catch (error) {
      releaseHosts();
      fs.rmSync(runDir, { recursive: true, force: true });
      throw error;
    }
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

  isFrozen(slot: number): boolean {
    return this.frozen.has(slot);
  }

  /** Slots a network partition currently cuts off (set by the partition helpers). */
  partitionedSlots(): number[] {
    return [...this.partitioned].sort((a, b) => a - b);
  }

  markPartitioned(slots: readonly number[]): void {
    this.partitioned.clear();
    for (const slot of slots) this.partitioned.add(slot);
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
    for (const m of this.masters) if (m.watchdog && !m.watchdog.running) m.watchdog.start();
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
    this.timeline?.event(signal === "SIGCONT" ? "heal" : "fault", `${signal} master-${slot}`);
    if (signal === "SIGKILL") await proc.kill();
    else if (signal === "SIGTERM") await proc.stop();
    else if (signal === "SIGCONT" && !proc.running) {
      // The frozen process is gone already (the watchdog killed it); nothing to resume.
      this.frozen.delete(slot);
    } else {
      proc.signal(signal);
      if (signal === "SIGSTOP") this.frozen.add(slot);
      if (signal === "SIGCONT") this.frozen.delete(slot);
    }
  }

  /** Restarts a master's "container" as the kubelet does: SIGTERM, `graceMs`, SIGKILL (no SIGCONT); see ManagedProcess.terminate. */
  async terminate(slot: number, graceMs: number): Promise<void> {
    this.timeline?.event("fault", `kubelet SIGTERM master-${slot} (grace ${graceMs} ms)`);
    await this.master(slot).process.terminate(graceMs);
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

  /**
   * Asks a master (default: any live one) for a file id and records it; by default then uploads a unique blob to
   * the assigned volume server and reads it back (`stored` is true only when all three worked).
   */
  async assign(via?: number, options: { write?: boolean; timeoutMs?: number } = {}): Promise<AssignAnswer> {
    const slot = via ?? this.liveSlots()[0];
    const started = Date.now();
    const write = options.write ?? true;
    const answer = await request(`${this.master(slot).httpUrl}${ENDPOINTS.dirAssign}`, { timeoutMs: options.timeoutMs ?? 3000 });
    const body = jsonOf<{ fid?: string; url?: string }>(answer);
    if (answer.status !== 200 || !body?.fid || !body.url) {
      if (write) this.timeline?.write(false, slot, started);
      const retryAfter = Number(answer.headers.get("retry-after") ?? Number.NaN);
      return { ok: false, status: answer.status, via: slot, stored: false, body: answer.body || (answer.error ?? ""), ...(retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}) };
    }
    this.fileIds.record(body.fid);
    const auth = bearerToken(answer.headers.get("authorization"));
    const result: AssignAnswer = { ok: true, status: 200, via: slot, fid: body.fid, url: body.url, auth, stored: false, body: answer.body };
    if (write) {
      const problem = await this.write(body.url, body.fid, auth);
      result.written = problem === undefined;
      result.stored = result.written;
      if (problem) result.writeError = problem;
      this.timeline?.write(result.stored, slot, started);
    }
    return result;
  }

  /**
   * Uploads a unique blob to an assigned file id on its volume server (with the JWT, when given) and reads it back.
   * @returns undefined when the blob came back byte-identical, else what went wrong
   */
  async write(url: string, fid: string, auth?: string): Promise<string | undefined> {
    return uploadAndReadBack(url, fid, auth);
  }

  /** Polls a write (assign, upload, read back) through `via` (default: any live master) until it works; returns the elapsed ms. */
  async waitWritable(timeoutMs = 60_000, via?: () => number | undefined): Promise<number> {
    const started = Date.now();
    let last = "";
    const ok = await poll(async () => {
      const slot = via?.() ?? this.liveSlots()[0];
      if (slot === undefined) return undefined;
      const answer = await this.assign(slot);
      last = answer.writeError ?? `HTTP ${answer.status} ${answer.body}`;
      return answer.stored ? true : undefined;
    }, timeoutMs, 100);
    if (!ok) throw new Error(`no write (assign, upload, read back) worked within ${timeoutMs} ms; last: ${last} (logs: ${this.runDir}/logs)`);
    return Date.now() - started;
  }

  /** The Prometheus text a master serves on its metrics port. */
  async metrics(slot: number): Promise<string> {
    const answer = await request(this.master(slot).metricsUrl, { timeoutMs: 3000 });
    if (answer.status !== 200) throw new Error(`metrics of master-${slot}: HTTP ${answer.status} ${answer.error ?? ""}`);
    return answer.body;
  }

  /** Every volume server's `ip:port`, as masters list them in their topology. */
  get volumeServerAddresses(): string[] {
    return this.plan.volumeServers.map((v) => `${v.ip}:${VOLUME_SERVER_PORT}`);
  }

  /** The volume servers a master's topology lists (on the leader: those whose heartbeat stream it holds). */
  async volumeServersKnownTo(slot: number): Promise<string[]> {
    return parseDataNodes(await request(`${this.master(slot).httpUrl}${ENDPOINTS.dirStatus}`, { timeoutMs: 3000 }));
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

  /**
   * Membership changes: a master slot this cluster did not start with (planned by the caller on this cluster's
   * network and run directory, e.g. a 5-master plan of the same stack). Not started; no watchdog beside it.
   */
  async addMaster(planned: PlannedMaster): Promise<LocalMaster> {
    if (this.masters.some((m) => m.slot === planned.slot)) throw new Error(`master slot ${planned.slot} exists already`);
    if (this.tls && !this.tls.masters.has(planned.slot)) {
      this.tls.masters.set(planned.slot, await issueFor(this.tls.ca, this.tls.clusterName, "master", [...new Set([planned.ip, planned.deployedHost])]));
    }
    fs.mkdirSync(planned.mdir, { recursive: true });
    const master: LocalMaster = {
      ...planned,
      process: this.masterProcess(planned, planned.args),
      watchdogState: path.join(planned.dir, "watchdog"),
      httpUrl: `http://${planned.address}`,
      metricsUrl: `http://${planned.ip}:${this.plan.settings.metricsPort}${ENDPOINTS.metrics}`,
    };
    this.masters.push(master);
    return master;
  }

  /** Stops a master slot for good and forgets it (a scale-in); its run directory stays until `stop()`. */
  async removeMaster(slot: number): Promise<void> {
    const master = this.master(slot);
    await master.watchdog?.stop(1000);
    await master.process.stop(3000);
    this.masters.splice(this.masters.indexOf(master), 1);
  }

  /** Starts a one-off `weed` process that `stop()` also cleans up (e.g. a deliberately misconfigured master). */
  spawnWeed(name: string, args: string[]): ManagedProcess {
    const dir = path.join(this.runDir, name);
    fs.mkdirSync(dir, { recursive: true });
    const proc = new ManagedProcess({ name, binary: weedBinary(), args, cwd: dir, env: weedEnv(dir, this.env), logFile: path.join(this.runDir, "logs", `${name}.log`) });
    this.extras.push(proc);
    proc.start();
    return proc;
  }

  /** Stops every process (bounded) and removes the run directory unless `keep`. */
  async stop(): Promise<void> {
    this.prober?.stop();
    this.frozen.clear();
    await Promise.all([
      ...this.masters.flatMap((m) => (m.watchdog ? [m.watchdog.stop(1000)] : [])),
    ]);
    await Promise.all([
      ...this.masters.map((m) => m.process.stop(3000)),
      ...this.volumeServers.map((v) => v.stop(1000)),
      ...this.extras.map((p) => p.stop(1000)),
    ]);
    await sleep(50);
    this.cancelExitCleanup();
    this.releaseHosts();
    if (this.options.keep) this.log(`run directory kept: ${this.runDir}`);
    else fs.rmSync(this.runDir, { recursive: true, force: true });
  }
}

/** Hands a directory tree to a uid (processes of {@link LocalClusterOptions.separateUids} write their own dirs). */
function chownTree(dir: string, uid: number): void {
  fs.chownSync(dir, uid, uid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, uid);
    else fs.chownSync(full, uid, uid);
  }
}
