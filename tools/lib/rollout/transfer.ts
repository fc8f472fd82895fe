/**
 * Raft leadership transfer through `weed shell cluster.raft.transferLeader` (SeaweedFS 4.44+, `-raftHashicorp`
 * only: weed/server/master_grpc_server_raft.go `RaftLeadershipTransfer` calls hashicorp's `LeadershipTransfer()`
 * and answers goraft with "leadership transfer requires -raftHashicorp=true"). The shell dials the leader's gRPC
 * port, so it must run where that port is reachable and, with a `-whiteList`, from a listed address.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { weedEnv } from "../cluster/weed";

/**
 * Asks the leader at `leaderAddress` (`host:port`, HTTP) to hand leadership to any eligible voter.
 * @param cwd where `weed shell` looks for security.toml (the masters' gRPC TLS settings, if any)
 * @param logDir where the shell's glog files go (see {@link weedEnv}); @default a scratch directory removed after the
 *   run (what the shell says is in the result or the error already)
 * @returns the new leader's raft id as the shell reports it (a placeholder when the old leader did not know it yet)
 * @throws with the shell's own words when the transfer fails or the same leader is re-elected
 */
export async function transferLeadershipWithShell(weed: string, leaderAddress: string, cwd: string, logDir?: string, timeoutMs = 30_000): Promise<string> {
  const scratch = logDir === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), "seaweed-transfer-")) : undefined;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(weed, ["shell", `-master=${leaderAddress}`], { cwd, env: weedEnv(logDir ?? scratch!), stdio: ["pipe", "pipe", "pipe"] });
    let text = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`weed shell cluster.raft.transferLeader against ${leaderAddress} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
    child.stdin.end("cluster.raft.transferLeader\n");
  }).finally(() => {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });
  // The old leader may not know its successor's id yet when it answers (seen with 4.48): the gates name it later.
  const moved = /Leadership successfully transferred\.[\s\S]*?New leader:[ \t]*(\S*)/.exec(output);
  if (moved) return moved[1] || "(not yet known to the old leader)";
  const why = /Leadership transfer failed: (.*)/.exec(output)?.[1] ?? (output.includes("same leader was re-elected") ? "the same leader was re-elected" : output.trim().split("\n").slice(-3).join(" / "));
  throw new Error(`weed shell cluster.raft.transferLeader against ${leaderAddress}: ${why}`);
}
