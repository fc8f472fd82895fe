/**
 * A kubelet stand-in for drills of Kubernetes stacks: it probes each running master with the StatefulSet's own
 * startup and liveness probes (path, port, timeout, period, failure threshold, as rendered) and, like the kubelet,
 * kills and restarts a master that misses `failureThreshold` liveness probes in a row. Liveness is armed only after
 * the startup probe first succeeds. A master the scenario stopped (not running) is left alone: restarting exited
 * containers is the kubelet's other job, and scenarios that take masters down model lost nodes and zones.
 */
import { request } from "./http";

/** The fields of a rendered Kubernetes HTTP probe the prober uses. */
export interface HttpProbeSpec {
  httpGet: { path: string; port: number };
  timeoutSeconds: number;
  periodSeconds: number;
  failureThreshold: number;
}

/** What the prober needs of a local cluster. */
export interface ProbedCluster {
  masters: readonly { slot: number; ip: string; process: { running: boolean; pgid: number | undefined } }[];
  kill(slot: number, signal?: NodeJS.Signals): Promise<void>;
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

export class KubeletProber {
  readonly restarts: ProbeRestart[] = [];
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly cluster: ProbedCluster,
    private readonly probes: { startup: HttpProbeSpec; liveness: HttpProbeSpec },
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

  private async tick(slot: number, state: { pgid: number | undefined; armed: boolean; misses: number }): Promise<void> {
    const master = this.cluster.masters.find((m) => m.slot === slot)!;
    if (!master.process.running) {
      // Stopped by the scenario: a new process starts unarmed, as a new container does.
      Object.assign(state, { pgid: undefined, armed: false, misses: 0 });
      return this.schedule(slot, state, this.probes.startup.periodSeconds * 1000);
    }
    if (master.process.pgid !== state.pgid) Object.assign(state, { pgid: master.process.pgid, armed: false, misses: 0 });
    const probe = state.armed ? this.probes.liveness : this.probes.startup;
    const answer = await request(`http://${master.ip}:${probe.httpGet.port}${probe.httpGet.path}`, { timeoutMs: probe.timeoutSeconds * 1000 });
    if (this.stopped) return;
    if (answer.status >= 200 && answer.status < 400) {
      Object.assign(state, { armed: true, misses: 0 });
    } else if (++state.misses >= probe.failureThreshold) {
      this.restarts.push({ slot, at: Date.now(), misses: state.misses });
      this.cluster.log(`kubelet: master-${slot} failed ${state.misses} ${state.armed ? "liveness" : "startup"} probes of ${probe.httpGet.path}; killing and restarting it`);
      await this.cluster.kill(slot, "SIGKILL");
      await this.cluster.start(slot);
      Object.assign(state, { pgid: undefined, armed: false, misses: 0 });
    }
    this.schedule(slot, state, (state.armed ? this.probes.liveness : this.probes.startup).periodSeconds * 1000);
  }
}
