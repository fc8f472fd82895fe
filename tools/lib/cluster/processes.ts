/**
 * Child processes that can never outlive the drill: each runs in its own process group (spawned detached) so a
 * signal reaches it and anything it forks, and every wait is bounded. When the Node process ends (exit, a crash,
 * SIGINT, SIGTERM or SIGHUP, or the death of its parent), its handlers SIGKILL every group still alive and stop
 * every other child too, with what that child started: a test that runs `npm run drill` as a plain child process
 * would otherwise leave the drill and its `weed` groups running. `node --test` sends its test files SIGTERM when it
 * gets SIGTERM or SIGINT, and nothing when it gets SIGHUP: its test files then notice they lost their parent.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { descendantsOf, processRef, ProcessRef, sleepSync, stillRunning } from "./descendants";

/** How a process ended: its exit code, or the signal that killed it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Process groups of this Node process that are still alive (pgid = the leader's pid, since spawned detached). */
const liveGroups = new Set<number>();
let handlersInstalled = false;
/** Set once this process has begun to end: a second signal must not cut the clean-up short. */
let ending = false;

/**
 * How long the other children of an ending process get to act on its signal (a drill stops its own cluster and
 * removes its run directory in well under a second) before they and everything they started are SIGKILLed.
 */
const CHILD_GRACE_MS = 5000;

/** How often a process checks that the processes it ends with still run. */
const STARTER_CHECK_MS = 1000;

/**
 * Passed to every child: the pid of the nearest harness process above it. A harness process started through a
 * wrapper that is not one (tsx, npx, a shell) ends with it too, since a killed test leaves such a wrapper running.
 */
const STARTER_ENV = "SEAWEED_HARNESS_STARTER";

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Synchronous clean-ups (e.g. removing a run directory) to run after the groups are killed at exit. */
const exitCleanups = new Set<() => void>();

/** Runs `cleanup` when the Node process ends without having called the returned `cancel`. */
export function onExitCleanup(cleanup: () => void): () => void {
  installExitHandlers();
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

/** SIGKILLs every group still alive, then runs the exit clean-ups; synchronous, so safe inside an `exit` handler. */
export function killAllGroups(): void {
  for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
  liveGroups.clear();
  for (const cleanup of exitCleanups) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is ending anyway.
    }
  }
  exitCleanups.clear();
}

/**
 * Stops the rest of this process's descendants once its own groups are SIGKILLed: the direct children get `signal`
 * so they can clean up after themselves (a drill stops its cluster), and whatever of `tree` (taken before anyone was
 * signalled, since an orphan leaves it) still runs after {@link CHILD_GRACE_MS} is SIGKILLed. Synchronous, for exit
 * handlers.
 */
function stopOtherChildren(signal: NodeJS.Signals, tree: ProcessRef[]): void {
  const signalled = (ref: ProcessRef, sig: NodeJS.Signals) => {
    try {
      process.kill(ref.pid, sig);
    } catch {
      // ESRCH: already gone.
    }
  };
  for (const child of tree.filter((p) => p.ppid === process.pid)) signalled(child, signal);
  const deadline = Date.now() + CHILD_GRACE_MS;
  while (tree.some(stillRunning) && Date.now() < deadline) sleepSync(50);
  for (const ref of tree.filter(stillRunning)) signalled(ref, "SIGKILL");
}

/** Ends this process the way `signal` asks, leaving nothing it started running. */
function endBy(signal: NodeJS.Signals): void {
  if (ending) return;
  ending = true;
  const tree = descendantsOf(process.pid);
  killAllGroups();
  stopOtherChildren(signal, tree);
  process.exit(128 + (os.constants.signals[signal] ?? 0));
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", () => {
    const tree = descendantsOf(process.pid);
    killAllGroups();
    if (!ending) stopOtherChildren("SIGTERM", tree);
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => endBy(signal));
  endWithStarters();
}

/**
 * Ends this process, as on a hang-up, once its parent or the harness process that started it (through a wrapper)
 * is gone: killed outright, or `node --test` given SIGHUP, which leaves its test files running.
 */
function endWithStarters(): void {
  const starterPid = Number(process.env[STARTER_ENV]);
  const pids = [process.ppid, ...(Number.isInteger(starterPid) && starterPid > 0 ? [starterPid] : [])];
  const watched = pids.map((pid) => processRef(pid));
  process.env[STARTER_ENV] = String(process.pid);
  const check = () => {
    if (watched.some((ref) => ref === undefined || !stillRunning(ref))) endBy("SIGHUP");
  };
  check();
  setInterval(check, STARTER_CHECK_MS).unref();
}

/**
 * Makes everything this process starts end with it, also what it starts as plain child processes (a tool run with
 * execFile, such as `npm run drill`): call it in a test that runs tools. Starting a {@link ManagedProcess} does it too.
 */
export function stopChildrenAtExit(): void {
  installExitHandlers();
}

/** Whether the process `pid` still exists (a zombie not yet reaped counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group still exists (zombies excluded once Node has reaped the leader). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ManagedProcessOptions {
  /** Label in progress lines and errors. */
  name: string;
  binary: string;
  args: readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here, across restarts. */
  logFile: string;
  /**
   * Restart the process this long after it exits on its own or by another's signal (as systemd's `Restart=always`
   * with `RestartSec=` does on a host). Exits asked for through `stop()` or `kill()` are never restarted.
   * @default no restart
   */
  restartAfterMs?: number;
  /** Called after each such restart. */
  onRestart?: (exit: ProcessExit) => void;
  /** Run as this user and group id (the harness runs as root in a private network namespace). @default the caller's */
  uid?: number;
}

/** Why `binary` could not be spawned, as far as the file system tells (spawn reports its errno only later). */
function whyNotExecutable(binary: string): string {
  try {
    fs.accessSync(binary, fs.constants.X_OK);
    return "it exists and is executable here (the working directory or the user id may be the cause)";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `not executable (${(error as Error).message})`;
  }
}

/** One external process in its own process group. `start()` may be called again after it has exited. */
export class ManagedProcess {
  private child?: ChildProcess;
  private exitPromise?: Promise<ProcessExit>;
  private exitInfo?: ProcessExit;
  /** Set while the harness itself ends the process: such an exit is not restarted. */
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  /** Every exit seen, in order (for diagnostics). */
  readonly exits: ProcessExit[] = [];

  constructor(readonly options: ManagedProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** The process group id while running, else undefined. */
  get pgid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.child!.pid})`);
    installExitHandlers();
    this.cancelRestart();
    this.stopping = false;
    const log = fs.openSync(this.options.logFile, "a");
    fs.writeSync(log, `\n=== ${new Date().toISOString()} start: ${this.options.binary} ${this.options.args.join(" ")}\n`);
    const child = spawn(this.options.binary, [...this.options.args], {
      cwd: this.options.cwd,
      env: this.options.env ?? process.env,
      detached: true,
      stdio: ["ignore", log, log],
      ...(this.options.uid !== undefined ? { uid: this.options.uid, gid: this.options.uid } : {}),
    });
    fs.closeSync(log);
    if (child.pid === undefined) {
      // Node reports why on the next tick as an 'error' event, which would end the whole process unhandled.
      child.once("error", () => undefined);
      throw new Error(`${this.name}: could not start ${this.options.binary}: ${whyNotExecutable(this.options.binary)}`);
    }
    // A later error (a signal that cannot be sent) must not end the harness either; the exit event follows or not.
    child.on("error", (error) => fs.appendFileSync(this.options.logFile, `\n=== ${new Date().toISOString()} error: ${error.message}\n`));
    this.child = child;
    this.exitInfo = undefined;
    const pgid = child.pid;
    liveGroups.add(pgid);
    this.exitPromise = new Promise<ProcessExit>((resolve) => {
      child.once("exit", (code, signal) => {
        const exit = { code, signal };
        if (this.child === child) this.exitInfo = exit;
        this.exits.push(exit);
        // The leader is gone; make sure nothing it forked lingers in its group.
        killGroup(pgid, "SIGKILL");
        liveGroups.delete(pgid);
        resolve(exit);
        if (this.child === child && !this.stopping && this.options.restartAfterMs !== undefined) this.scheduleRestart(exit);
      });
    });
  }

  private scheduleRestart(exit: ProcessExit): void {
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.running || this.stopping) return;
      this.start();
      this.options.onRestart?.(exit);
    }, this.options.restartAfterMs);
  }

  private cancelRestart(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  /** Runs a different binary or argv from the next `start()` on (a rollout's new version or flags); refused while running. */
  reconfigure(change: { binary?: string; args?: readonly string[] }): void {
    if (this.running) throw new Error(`${this.name}: stop it before changing its binary or arguments`);
    if (change.binary !== undefined) this.options.binary = change.binary;
    if (change.args !== undefined) this.options.args = change.args;
  }

  /** Sends a signal to the whole group (SIGSTOP and SIGCONT included). */
  signal(signal: NodeJS.Signals): void {
    const pgid = this.pgid;
    if (pgid === undefined) throw new Error(`${this.name} is not running`);
    killGroup(pgid, signal);
  }

  /** Waits for the current run to end; undefined if it is still running after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<ProcessExit | undefined> {
    if (!this.exitPromise) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops the group: SIGTERM (plus SIGCONT, so a frozen process can act on it), then SIGKILL after `graceMs`.
   * @throws if the process survives SIGKILL for 10 s.
   */
  async stop(graceMs = 3000): Promise<ProcessExit | undefined> {
    this.stopping = true;
    this.cancelRestart();
    if (!this.running) return this.exitInfo;
    this.signal("SIGTERM");
    this.signal("SIGCONT");
    const graceful = await this.waitExit(graceMs);
    if (graceful) return graceful;
    return this.kill();
  }

  /**
   * What the kubelet does to a container it restarts: SIGTERM, `graceMs` for the process to exit, then SIGKILL. Unlike
   * {@link stop} it never sends SIGCONT: a frozen process stays frozen until the SIGKILL, as in a container.
   */
  async terminate(graceMs: number): Promise<ProcessExit | undefined> {
    this.stopping = true;
    this.cancelRestart();
    if (!this.running) return this.exitInfo;
    this.signal("SIGTERM");
    return (await this.waitExit(graceMs)) ?? this.kill();
  }

  /** SIGKILL and wait (bounded) for the exit. */
  async kill(): Promise<ProcessExit> {
    this.stopping = true;
    this.cancelRestart();
    if (this.running) this.signal("SIGKILL");
    const exit = (await this.waitExit(10_000)) ?? this.exitInfo;
    if (!exit) throw new Error(`${this.name} (pid ${this.child?.pid}) survived SIGKILL for 10 s`);
    return exit;
  }
}
