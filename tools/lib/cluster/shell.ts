/**
 * `weed shell` as a party of the drills runs it: from a directory holding that party's security.toml (and TLS files),
 * its glog lines on stderr (`-logtostderr`) and gRPC's own warnings too (`GRPC_GO_LOG_SEVERITY_LEVEL`: the shell
 * logs nothing of its own about a failed connection), so a refused connection shows why ("tls: bad certificate").
 * A shell whose master never answers waits forever: it is killed after `timeoutMs` and reported as timed out.
 */
import { spawn } from "node:child_process";
import { weedBinary, weedEnv } from "./weed";

export interface ShellRun {
  stdout: string;
  stderr: string;
  /** From the start until the shell exited or was killed. */
  ms: number;
  /** Killed at the time limit (it never finished). */
  timedOut: boolean;
}

/**
 * Runs `commands` in `weed shell -master=<master>` from `dir`.
 * @param master `host:port` of a master (HTTP); the shell derives the gRPC port
 */
export function runWeedShell(dir: string, master: string, commands: readonly string[], timeoutMs: number): Promise<ShellRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(weedBinary(), ["-logtostderr=true", "shell", `-master=${master}`], { cwd: dir, env: weedEnv(dir, { ...process.env, GRPC_GO_LOG_SEVERITY_LEVEL: "warning" }), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", () => {
      clearTimeout(timer);
      resolve({ stdout, stderr, ms: Date.now() - started, timedOut });
    });
    child.stdin.end(`${commands.join("\n")}\nexit\n`);
  });
}

/** The line of `text` that says best why a TLS connection failed, if any (for a report's evidence): the last refused-certificate alert, else the last TLS failure. */
export function tlsFailureLine(text: string): string | undefined {
  const lines = text.split("\n").filter((l) => /tls:|handshake|certificate|server preface|connection reset|EOF/i.test(l));
  // A refused client certificate shows as a TLS alert on one attempt and as a bare reset on the next (TLS 1.3: the
  // server judges the client's certificate after the client has finished its side): the alert names the reason.
  const last = (lines.filter((l) => /tls: [a-z ]*(certificate|authority)/i.test(l)).at(-1) ?? lines.at(-1))?.trim();
  if (!last) return undefined;
  const why = /desc = "?([^"]*(tls|handshake|certificate|preface|reset|EOF)[^"]*)/i.exec(last)?.[1];
  return (why ?? last).slice(0, 200);
}
