/**
 * Network partitions between local masters, with nftables inside the drill's private network namespace (see
 * tools/lib/cluster/namespace.ts), never on the host's own network. On loopback every process connects from 127.0.0.1, so a
 * rule cannot tell masters apart by source address; instead each master runs under its own uid
 * (LocalClusterOptions.separateUids) and a rule drops the packets a master's sockets send to another master's
 * address. That cuts every connection the sender opened towards the receiver, in both directions of TCP, while
 * the volume servers, the harness and everyone else keep reaching both.
 */
import { spawnSync } from "node:child_process";
import type { LocalCluster } from "../localCluster";
import { insidePrivateNamespace } from "./namespace";

/** nftables table the drill owns inside its namespace. */
const TABLE = "seaweed_drill";

/** One direction that is cut: connections `from` opens towards `to` carry nothing. */
export interface Cut {
  from: number;
  to: number;
}

function nft(script: string): void {
  const result = spawnSync("nft", ["-f", "-"], { input: script, encoding: "utf8" });
  if (result.error) throw new Error(`nft could not run (install nftables: bash tools/setup.sh): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`nft refused the rules (exit ${result.status}): ${result.stderr.trim()}\n${script}`);
}

/** Every cut between `isolated` and the other masters, both directions. */
export function isolate(cluster: LocalCluster, isolated: number): Cut[] {
  const others = cluster.masters.map((m) => m.slot).filter((s) => s !== isolated);
  return others.flatMap((o) => [{ from: isolated, to: o }, { from: o, to: isolated }]);
}

/** Replaces the partition with `cuts` (an empty list heals it); `partitioned` names the slots shown as cut off. */
export function applyCuts(cluster: LocalCluster, cuts: readonly Cut[], partitioned: readonly number[]): void {
  if (!insidePrivateNamespace()) throw new Error("partitions only run inside the drill's private network namespace (tools/lib/cluster/namespace.ts)");
  const rules = cuts.map(({ from, to }) => {
    const uid = cluster.uidOfSlot(from);
    if (uid === undefined) throw new Error("partitions need a cluster started with separateUids");
    return `    meta skuid ${uid} ip daddr ${cluster.master(to).ip} drop`;
  });
  // Flush-and-fill in one transaction: the old rules go and the new ones come at the same instant.
  nft(`table inet ${TABLE}\ndelete table inet ${TABLE}\ntable inet ${TABLE} {\n  chain output {\n    type filter hook output priority 0; policy accept;\n${rules.join("\n")}\n  }\n}\n`);
  cluster.markPartitioned(cuts.length > 0 ? partitioned : []);
  cluster.timeline?.event(cuts.length > 0 ? "fault" : "heal", cuts.length > 0 ? `partition: ${describeCuts(cuts)}` : "partition healed");
}

export function heal(cluster: LocalCluster): void {
  applyCuts(cluster, [], []);
}

function describeCuts(cuts: readonly Cut[]): string {
  return cuts.map((c) => `${c.from}->${c.to}`).join(" ");
}
