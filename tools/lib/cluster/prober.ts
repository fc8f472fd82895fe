/**
 * A kubelet stand-in for drills of Kubernetes stacks: it probes each running master with the StatefulSet's own
 * startup and liveness probes (HTTP GET or exec, with their timeout, period and failure threshold, as rendered) and,
 * like the kubelet, restarts a master that fails `failureThreshold` liveness probes in a row: SIGTERM, the probe's
 * terminationGracePeriodSeconds (else the pod's), then SIGKILL, never SIGCONT (a frozen process stays frozen until
 * the SIGKILL). Liveness is armed only after the startup probe first succeeds. An exec probe runs on the host with
 * the container's view given through its environment: POD_IP (the master's address), MASTER_PID (PID 1 in a
 * container) and TMPDIR (the container's /tmp). A master the scenario stopped (not running) is left alone:
 * restarting exited containers is the kubelet's other job (the harness's supervisor does it), and scenarios that
 * take masters down model lost nodes and zones.
 */
import { spawn } from "node:child_process";
import { request } from "./http";

interface ProbeTiming {
  timeoutSeconds: number;
  periodSeconds: number;
  failureThreshold: number;
  /** The probe's own grace when it restarts the container (Kubernetes >= 1.25); else the pod's. */
  terminationGracePeriodSeconds?: number;
}

/** The fields of a rendered Kubernetes HTTP probe the prober uses. */
export interface HttpProbeSpec extends ProbeTiming {
  httpGet: { path: string; port: number };
}

/** The fields of a rendered Kubernetes exec probe the prober uses. */
export interface ExecProbeSpec extends ProbeTiming {
  exec: { command: string[] };
}

export type ProbeSpec = HttpProbeSpec | ExecProbeSpec;

/** What the prober needs of a local cluster. */
export interface ProbedCluster {
  masters: readonly { slot: number; ip: string; dir: string; process: { running: boolean; pgid: number | undefined } }[];
  /** SIGTERM, `graceMs`, SIGKILL, as the kubelet stops a container. */
  terminate(slot: number, graceMs: number): Promise<void>;
  start(slot: number): Promise<void>;
  log(line: string): void;
}

/** One restart the prober caused. */
export interface ProbeRestart {
  slot: number;
  /** When the prober decided to kill (ms since epoch). */
  at: number;
  misses: number;
}

/** The outcome of one probe: success, and what an exec probe printed (the kubelet shows it in events). */
interface ProbeResult {
  ok: boolean;
  output: string;
}

function describe(probe: ProbeSpec): string {
  return "httpGet" in probe ? `GET ${probe.httpGet.path}` : "exec";
}

export class KubeletProber {
  readonly restarts: ProbeRestart[] = [];
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly cluster: ProbedCluster,
    private readonly probes: { startup: ProbeSpec; liveness: ProbeSpec; podGraceSeconds: number },
  ) {}

  /** Starts probing every master (each on its own schedule, like one kubelet per node). */
  start(): void {
    this.stopped = false;
    for (const m of this.cluster.masters) this.schedule(m.slot, { pgid: undefined, armed: false, misses: 0 }, 0);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(slot: number, state: { pgid: number | undefined; armed: boolean; misses: number }, delayMs: number): void {
    if (this.stopped) return;
    this.timers.set(slot, setTimeout(() => void this.tick(slot, state), delayMs));
  }

  private async run(probe: ProbeSpec, master: ProbedCluster["masters"][number], pid: number): Promise<ProbeResult> {
    if ("httpGet" in probe) {
      const answer = await request(`http://${master.ip}:${probe.httpGet.port}${probe.httpGet.path}`, { timeoutMs: probe.timeoutSeconds * 1000 });
      return { ok: answer.status >= 200 && answer.status < 400, output: `HTTP ${answer.status}` };
    }
    const [command, ...args] = probe.exec.command;
    return new Promise((resolve) => {
      const child = spawn(command, args, { env: { ...process.env, POD_IP: master.ip, MASTER_PID: String(pid), TMPDIR: master.dir }, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      // The kubelet counts an exec probe that outlives its timeout as failed.
      const timer = setTimeout(() => child.kill("SIGKILL"), probe.timeoutSeconds * 1000);
      child.on("error", (error) => resolve({ ok: false, output: error.message }));
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ ok: code === 0, output: output.trim() });
      });
    });
  }

  private async tick(slot: number, state: { pgid: number | undefined; armed: boolean; misses: number }): Promise<void> {
    const master = this.cluster.masters.find((m) => m.slot === slot)!;
    if (!master.process.running) {
      // Stopped by the scenario: a new process starts unarmed, as a new container does.
      Object.assign(state, { pgid: undefined, armed: false, misses: 0 });
      return this.schedule(slot, state, this.probes.startup.periodSeconds * 1000);
    }
    const pid = master.process.pgid!;
    if (pid !== state.pgid) Object.assign(state, { pgid: pid, armed: false, misses: 0 });
    const probe = state.armed ? this.probes.liveness : this.probes.startup;
    const result = await this.run(probe, master, pid);
    if (this.stopped) return;
    if (result.output.includes("action=")) this.cluster.log(`kubelet: master-${slot}'s ${state.armed ? "liveness" : "startup"} probe: ${result.output}`);
    if (result.ok) {
      Object.assign(state, { armed: true, misses: 0 });
    } else if (master.process.pgid === pid && ++state.misses >= probe.failureThreshold) {
      this.restarts.push({ slot, at: Date.now(), misses: state.misses });
      const graceSeconds = probe.terminationGracePeriodSeconds ?? this.probes.podGraceSeconds;
      this.cluster.log(`kubelet: master-${slot} failed ${state.misses} ${state.armed ? "liveness" : "startup"} probes (${describe(probe)}: ${result.output}); restarting it (SIGTERM, ${graceSeconds} s grace, SIGKILL)`);
      await this.cluster.terminate(slot, graceSeconds * 1000);
      await this.cluster.start(slot);
      Object.assign(state, { pgid: undefined, armed: false, misses: 0 });
    }
    this.schedule(slot, state, (state.armed ? this.probes.liveness : this.probes.startup).periodSeconds * 1000);
  }
}
