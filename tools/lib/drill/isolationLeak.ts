/**
 * The negative control of the restore verifier's isolation: the same kind of scratch tier (the backup restored into a
 * scratch master per slot, each with its slot's argv) in a network namespace of its own, with one thing removed from
 * the isolation: the verifying slot's address inside it reaches that slot's live master (a TCP relay through a Unix
 * socket, the one path out). The scratch masters then talk raft to a live member; the drill expects the live
 * cluster's term or leader to move, which is what the verifier's namespace prevents.
 *
 * By default, with the stack's TLS on, the leaky masters hold the verifying host's master certificate (what a root
 * process on that host can read), not the verifier's empty security.toml: the control removes the namespace and
 * nothing else, so it shows the namespace alone keeping the scratch tier away. `asVerifier` instead starts them as
 * the verifier does (an empty security.toml in each working directory, the host's file in `home`/.seaweedfs, where
 * weed looks next): on a TLS stack that second layer alone must keep the live raft where it was.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { GRPC_PORT_OFFSET } from "../../../infra/seaweed/constants";
import type { LocalCluster } from "../localCluster";
import { poll, sleep } from "../cluster/http";
import { weedBinary } from "../cluster/weed";
import { RaftView, raftView } from "./raftWatch";

/** Forwards what arrives on `listen` (a TCP address inside the namespace) to a Unix socket, run inside it by nsenter. */
const INSIDE_RELAY = `
const net = require("node:net");
const [host, port, socketPath] = process.argv.slice(1);
net.createServer((inbound) => {
  const outbound = net.connect(socketPath);
  inbound.pipe(outbound).pipe(inbound);
  inbound.on("error", () => outbound.destroy());
  outbound.on("error", () => inbound.destroy());
}).listen(Number(port), host);
`;

export interface LeakResult {
  before: RaftView;
  after: RaftView;
  /** ms until the live term or leader moved (undefined: they did not within the bound). */
  movedAfterMs?: number;
}

/**
 * Runs the leaky scratch tier from `raftDir` (a downloaded backup's raft directory) for at most `boundMs`, and
 * reports the live cluster's raft before and when it moved. Everything it starts is stopped before it returns.
 */
export async function leakyScratchTier(cluster: LocalCluster, raftDir: string, verifyingSlot: number, boundMs: number, asVerifier?: { home: string }): Promise<LeakResult> {
  const work = fs.mkdtempSync(path.join(cluster.runDir, "leak-"));
  const children: ChildProcess[] = [];
  const port = cluster.plan.settings.port;
  const live = cluster.master(verifyingSlot);
  const socketPath = path.join(work, "relay.sock");
  // Outside: the Unix socket leads to the verifying slot's live master (its gRPC port: raft).
  const outside = net.createServer((inbound) => {
    const outbound = net.connect(port + GRPC_PORT_OFFSET, live.ip);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
  });
  await new Promise<void>((resolve) => outside.listen(socketPath, resolve));
  try {
    const holder = spawn("unshare", ["--net", "--", "sleep", "600"], { stdio: "ignore" });
    children.push(holder);
    const netns = `/proc/${holder.pid}/ns/net`;
    await poll(async () => (fs.existsSync(netns) && fs.readlinkSync(netns) !== fs.readlinkSync("/proc/self/ns/net") ? true : undefined), 5000, 50);
    const inside = (command: string, args: string[], options: { cwd?: string; log?: string; env?: NodeJS.ProcessEnv } = {}) => {
      const log = options.log ? fs.openSync(options.log, "a") : "ignore";
      const child = spawn("nsenter", [`--net=${netns}`, "--", command, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", log, log] });
      children.push(child);
      return child;
    };
    await new Promise((resolve) => inside("ip", ["link", "set", "lo", "up"]).on("exit", resolve));
    for (const m of cluster.masters) await new Promise((resolve) => inside("ip", ["addr", "add", `${m.ip}/32`, "dev", "lo"]).on("exit", resolve));
    const before = await raftView(cluster);
    inside(process.execPath, ["-e", INSIDE_RELAY, live.ip, String(port + GRPC_PORT_OFFSET), socketPath]);
    for (const m of cluster.masters.filter((x) => x.slot !== verifyingSlot)) {
      const name = path.relative(cluster.runDir, path.join(work, String(m.slot)));
      const dir = asVerifier ? path.join(cluster.runDir, name) : cluster.securityDir(name, "master", { identity: cluster.tls?.masters.get(verifyingSlot) });
      if (asVerifier) {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "security.toml"), "");
      }
      fs.cpSync(raftDir, path.join(dir, `m${port}`), { recursive: true });
      const env = asVerifier ? { ...process.env, HOME: asVerifier.home } : undefined;
      inside(weedBinary(), m.args.map((a) => (a.startsWith("-mdir=") ? `-mdir=${dir}` : a)), { cwd: dir, env, log: path.join(work, `master-${m.slot}.log`) });
    }
    const started = Date.now();
    let after = before;
    while (Date.now() - started < boundMs) {
      after = await raftView(cluster);
      if (after.term !== before.term || after.leaders.join() !== before.leaders.join()) return { before, after, movedAfterMs: Date.now() - started };
      await sleep(200);
    }
    return { before, after };
  } finally {
    for (const child of children.reverse()) child.kill("SIGKILL");
    await sleep(200);
    outside.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
