/**
 * This process's descendants as Linux's /proc shows them, for the exit handlers of ./processes.ts: a child that is
 * not in a process group of ours (a tool a test runs with execFile, such as `npm run drill`) and everything it
 * started (the drill's `weed` processes, in groups and under uids of their own) are found by parentage alone.
 * Synchronous on purpose: it runs inside `exit` and signal handlers.
 */
import * as fs from "node:fs";

/** A process and its start time (clock ticks since boot), so that a pid reused by another process is not mistaken for it. */
export interface ProcessRef {
  pid: number;
  ppid: number;
  startTicks: string;
}

/** What /proc/<pid>/stat says, or undefined once the process is gone. */
function statOf(pid: number): { ppid: number; state: string; startTicks: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces): state (3rd field), ppid (4th), ..., starttime (22nd).
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], ppid: Number(fields[1]), startTicks: fields[19] };
}

/** The process `pid` as it runs now, or undefined when there is none (or only a zombie). */
export function processRef(pid: number): ProcessRef | undefined {
  const stat = statOf(pid);
  return stat && stat.state !== "Z" ? { pid, ppid: stat.ppid, startTicks: stat.startTicks } : undefined;
}

/** Every live descendant of `root`, parents before their children. */
export function descendantsOf(root: number): ProcessRef[] {
  const childrenOf = new Map<number, ProcessRef[]>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(Number(name));
    if (!stat || stat.state === "Z") continue;
    const ref = { pid: Number(name), ppid: stat.ppid, startTicks: stat.startTicks };
    childrenOf.set(stat.ppid, [...(childrenOf.get(stat.ppid) ?? []), ref]);
  }
  const found: ProcessRef[] = [];
  for (let queue = [root]; queue.length > 0; ) {
    const children = childrenOf.get(queue.shift()!) ?? [];
    found.push(...children);
    queue.push(...children.map((c) => c.pid));
  }
  return found;
}

/** Whether the process still runs (a zombie, which only waits to be reaped, does not). */
export function stillRunning(ref: ProcessRef): boolean {
  const stat = statOf(ref.pid);
  return stat !== undefined && stat.startTicks === ref.startTicks && stat.state !== "Z" && stat.state !== "X";
}

/** Blocks the thread for `ms` (nothing else of this process runs meanwhile, which is the point in an exit handler). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
