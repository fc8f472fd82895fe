/**
 * A stub master for the watchdog and liveness tests: a child process that listens where a master would and answers
 * like one, since no real master can be made to answer 423 (a wedged leader) on demand. It answers /healthz with 200
 * and /cluster/healthz with `clusterHealth`, never answers at all when `silent`, and ignores SIGTERM when `stubborn`.
 */
import { ChildProcess, spawn, SpawnOptions } from "node:child_process";

/** How the stub behaves; every field defaults to a healthy master. */
export interface StubMasterBehaviour {
  /** The status /cluster/healthz answers (423: a wedged leader); default 200. */
  clusterHealth?: number;
  /** Accept connections but never answer (a frozen or hung master). */
  silent?: boolean;
  /** Ignore SIGTERM, so only SIGKILL ends it. */
  stubborn?: boolean;
}

const STUB_SOURCE = `
const http = require("node:http");
const [host, port, clusterHealth, silent, stubborn] = process.argv.slice(1);
if (stubborn === "1") process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
http.createServer((req, res) => {
  if (silent === "1") return;
  res.statusCode = req.url === "/cluster/healthz" ? Number(clusterHealth) : 200;
  res.end();
}).listen(Number(port), host);
`;

/**
 * Spawns a stub master listening on `host`:`port`.
 * @param options spawn options (stdio, detached); the caller owns the child and must stop it.
 */
export function spawnStubMaster(host: string, port: number, behaviour: StubMasterBehaviour, options: SpawnOptions): ChildProcess {
  const args = [host, String(port), String(behaviour.clusterHealth ?? 200), behaviour.silent ? "1" : "0", behaviour.stubborn ? "1" : "0"];
  return spawn(process.execPath, ["-e", STUB_SOURCE, ...args], options);
}
