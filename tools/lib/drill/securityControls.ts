/**
 * The attacks of the security drill (tools/lib/drill/security.ts), each tried with real `weed` against a live local
 * cluster: a party without a valid identity tries what the master tier must keep from it. Each answers whether the
 * cluster accepted the attempt within a window, with the evidence (what the leader showed, why the attacker's
 * connection failed). Against a cluster without TLS every attempt must be accepted, or the control proves nothing.
 */
import * as fs from "node:fs";
import type { ManagedProcess } from "../cluster/processes";
import type { LocalCluster } from "../localCluster";
import { grpcCall } from "../cluster/grpcCall";
import { jsonOf, poll, request } from "../cluster/http";
import { spareLoopbackIp } from "../cluster/loopback";
import { runWeedShell, tlsFailureLine } from "../cluster/shell";
import { drillCa, issueFor } from "../cluster/tls";
import { ENDPOINTS, GRPC_PORT_OFFSET } from "../../../infra/seaweed/constants";
import { renderVolumeServerArgs, VOLUME_SERVER_PORT } from "../../../infra/seaweed/volumeServer";
import { masterAddress } from "../../../infra/seaweed/master";

export interface ControlOutcome {
  accepted: boolean;
  /** When accepted: how long it took from the attempt. */
  ms?: number;
  /** What shows it: the leader's view, the attacker's own words. */
  evidence: string;
}

export interface SecurityControl {
  /** Stable id in the `--json` report. */
  id: string;
  title: string;
  /**
   * Tries the attack once; waits up to `windowMs` for the cluster to accept it, and undoes an accepted one.
   * @param attempt a number unique within the cluster (attacker addresses and directories)
   */
  run(cluster: LocalCluster, windowMs: number, attempt: number): Promise<ControlOutcome>;
}

/** What a one-off process wrote (its log file holds its stdout and stderr). */
function logOf(proc: ManagedProcess): string {
  return fs.existsSync(proc.options.logFile) ? fs.readFileSync(proc.options.logFile, "utf8") : "";
}

/** The leader's slot (waiting for an agreed one). */
async function leaderOf(cluster: LocalCluster): Promise<number> {
  return cluster.waitForQuorum(60_000);
}

/** The raft members the leader reports (`host:port`), itself included. */
async function raftMembers(cluster: LocalCluster): Promise<string[]> {
  const leader = await leaderOf(cluster);
  const status = await cluster.statusOf(leader);
  return [...new Set([...status.peers, cluster.master(leader).address])];
}

/** The volume servers (`ip:port`) in the leader's topology. */
async function dataNodes(cluster: LocalCluster): Promise<string[]> {
  const leader = await leaderOf(cluster);
  type Topology = { Topology?: { DataCenters?: { Racks?: { DataNodes?: { Url: string }[] }[] }[] } };
  const body = jsonOf<Topology>(await request(`${cluster.master(leader).httpUrl}${ENDPOINTS.dirStatus}`, { timeoutMs: 3000 }));
  return (body?.Topology?.DataCenters ?? []).flatMap((dc) => (dc.Racks ?? []).flatMap((r) => (r.DataNodes ?? []).map((n) => n.Url)));
}

/** Removes a raft member with the cluster's own operator identity (cleanup of an accepted attack). */
async function removeMember(cluster: LocalCluster, address: string): Promise<void> {
  const admin = cluster.securityDir("operator", "admin");
  await runWeedShell(admin, cluster.master(await leaderOf(cluster)).address, [`cluster.raft.remove -id ${address}`], 30_000);
  const gone = await poll(async () => ((await raftMembers(cluster)).includes(address) ? undefined : true), 30_000, 200);
  if (!gone) throw new Error(`could not remove ${address} from raft after the attack`);
}

/** A volume server with no client certificate starts and heartbeats to every master. */
export const volumeServerWithoutCertificate: SecurityControl = {
  id: "volume-server-without-certificate",
  title: "a volume server without a client certificate cannot register (its volumes never appear at the leader)",
  async run(cluster, windowMs, attempt) {
    const name = `intruder-volume-${attempt}`;
    const dir = cluster.securityDir(name, "volume", { identity: null });
    const ip = spareLoopbackIp(cluster.network, 20 + attempt);
    const args = renderVolumeServerArgs({
      ip,
      dir: `${dir}/data`,
      masters: cluster.masters.map((m) => ({ slot: m.slot, host: m.address.slice(0, m.address.lastIndexOf(":")) })),
      masterPort: cluster.plan.settings.port,
      placement: { dataCenter: "dc1", rack: "rack1" },
      maxVolumes: 5,
    });
    fs.mkdirSync(`${dir}/data`, { recursive: true });
    const url = `${ip}:${VOLUME_SERVER_PORT}`;
    const started = Date.now();
    const proc = cluster.spawnWeed(name, args);
    try {
      const seen = await poll(async () => ((await dataNodes(cluster)).includes(url) ? true : undefined), windowMs, 200);
      if (seen) return { accepted: true, ms: Date.now() - started, evidence: `${url} is in the leader's topology after ${Date.now() - started} ms` };
      return { accepted: false, evidence: `${url} not in the leader's topology within ${windowMs} ms; the volume server says: ${tlsFailureLine(logOf(proc)) ?? "(nothing about TLS)"}` };
    } finally {
      await proc.stop(2000);
    }
  },
};

/** `weed shell` with no certificate lists the raft members. */
export const shellWithoutCertificateLists: SecurityControl = {
  id: "shell-without-certificate-lists-raft",
  title: "`weed shell` without a certificate cannot list raft membership (cluster.raft.ps)",
  async run(cluster, windowMs, attempt) {
    const dir = cluster.securityDir(`intruder-shell-${attempt}`, "admin", { identity: null });
    return listRaft(cluster, dir, windowMs);
  },
};

async function listRaft(cluster: LocalCluster, dir: string, windowMs: number): Promise<ControlOutcome> {
  const shell = await runWeedShell(dir, cluster.master(await leaderOf(cluster)).address, ["cluster.raft.ps"], windowMs);
  const listed = /the raft cluster has (\d+) servers/.exec(shell.stdout);
  if (listed) return { accepted: true, ms: shell.ms, evidence: `cluster.raft.ps answered in ${shell.ms} ms: ${listed[0]}` };
  return { accepted: false, evidence: `no answer within ${windowMs} ms${shell.timedOut ? " (killed)" : ""}; the shell says: ${tlsFailureLine(shell.stderr) ?? (shell.stdout.trim().slice(-200) || "(nothing)")}` };
}

/** `weed shell` with no certificate adds a voter to raft. */
export const shellWithoutCertificateChanges: SecurityControl = {
  id: "shell-without-certificate-changes-raft",
  title: "`weed shell` without a certificate cannot change raft membership (cluster.raft.add of a voter)",
  async run(cluster, windowMs, attempt) {
    const dir = cluster.securityDir(`intruder-shell-change-${attempt}`, "admin", { identity: null });
    const bogusHost = spareLoopbackIp(cluster.network, 40 + attempt);
    const bogus = masterAddress(bogusHost, cluster.plan.settings.port);
    const started = Date.now();
    const shell = runWeedShell(dir, cluster.master(await leaderOf(cluster)).address, [`cluster.raft.add -id ${bogus} -address ${bogusHost}:${cluster.plan.settings.port + GRPC_PORT_OFFSET} -voter`], windowMs);
    const added = await poll(async () => ((await raftMembers(cluster)).includes(bogus) ? true : undefined), windowMs, 200);
    const run = await shell;
    if (added) {
      await removeMember(cluster, bogus);
      return { accepted: true, ms: Date.now() - started, evidence: `${bogus} became a raft voter after ${Date.now() - started} ms (removed again)` };
    }
    return { accepted: false, evidence: `${bogus} not a raft member within ${windowMs} ms; the shell says: ${tlsFailureLine(run.stderr) ?? "(nothing about TLS)"}` };
  },
};

/** A master whose certificate comes from another CA starts with the cluster's peers and waits to be admitted. */
export const masterFromAnotherCa: SecurityControl = {
  id: "master-from-another-ca",
  title: "a master whose certificate comes from another CA cannot join raft or vote",
  async run(cluster, windowMs, attempt) {
    const name = `rogue-master-${attempt}`;
    const ip = spareLoopbackIp(cluster.network, 60 + attempt);
    const foreign = cluster.tls ? await issueFor(await drillCa(`${cluster.tls.clusterName}-rogue`), cluster.tls.clusterName, "master", [ip]) : undefined;
    const dir = cluster.securityDir(name, "master", { identity: foreign });
    const address = masterAddress(ip, cluster.plan.settings.port);
    // It claims the first two masters and itself as peers (an odd count, as weed insists) and trusts the real CA.
    const peers = [...cluster.masters.slice(0, 2).map((m) => m.address), address].join(",");
    // A pod's argv also binds its own address (-ip.bind): the rogue master binds its own too.
    const args = cluster.masters[0].args.map((a) => (a.startsWith("-ip=") || a.startsWith("-ip.bind=") ? `${a.slice(0, a.indexOf("="))}=${ip}` : a.startsWith("-mdir=") ? `-mdir=${dir}/mdir` : a.startsWith("-peers=") ? `-peers=${peers}` : a));
    fs.mkdirSync(`${dir}/mdir`, { recursive: true });
    const started = Date.now();
    const proc = cluster.spawnWeed(name, args);
    try {
      const joined = await poll(async () => ((await raftMembers(cluster)).includes(address) ? true : undefined), windowMs, 200);
      if (joined) {
        const ms = Date.now() - started;
        await proc.stop(3000);
        await removeMember(cluster, address);
        return { accepted: true, ms, evidence: `${address} was admitted as a raft voter after ${ms} ms (stopped and removed again)` };
      }
      return { accepted: false, evidence: `${address} not a raft member within ${windowMs} ms; the rogue master says: ${tlsFailureLine(logOf(proc)) ?? "(nothing about TLS)"}` };
    } finally {
      await proc.stop(3000);
    }
  },
};

/** `weed shell` with a certificate of the right CA whose common name no channel allows. */
export const commonNameNotAllowed: SecurityControl = {
  id: "common-name-not-allowed",
  title: "a certificate of the stack's CA with a common name outside allowed_commonNames is refused (weed shell)",
  async run(cluster, windowMs, attempt) {
    const commonName = `${cluster.config.clusterName}-intruder-${attempt}`;
    const misnamed = cluster.tls ? await issueFor(cluster.tls.ca, cluster.tls.clusterName, "admin", [], commonName) : undefined;
    const dir = cluster.securityDir(`intruder-cn-${attempt}`, "admin", { identity: misnamed });
    const outcome = await listRaft(cluster, dir, windowMs);
    if (outcome.accepted) return outcome;
    // The masters say why they refused it (weed/security/tls.go Authenticate logs the refused name).
    const refusal = cluster.masters.map((m) => logOf(m.process).split("\n").find((l) => l.includes(`invalid subject client common name: ${commonName}`))).find(Boolean);
    return { ...outcome, evidence: `${outcome.evidence}; a master logged: ${refusal ? refusal.replace(/^.*Authenticate: /, "") : "(no refusal of that name)"}` };
  },
};

/** A gRPC call in clear text (HTTP/2 without TLS) to the leader's gRPC port. */
export const plainGrpcClient: SecurityControl = {
  id: "plain-grpc-client",
  title: "a plain-text gRPC client is refused on the masters' gRPC port (raft, heartbeats and admin calls share it)",
  async run(cluster, windowMs) {
    const leader = cluster.master(await leaderOf(cluster));
    const started = Date.now();
    const answer = await grpcCall(`${leader.ip}:${cluster.plan.settings.port + GRPC_PORT_OFFSET}`, "/master_pb.Seaweed/RaftListClusterServers", windowMs);
    if (answer.grpcStatus !== undefined) return { accepted: true, ms: Date.now() - started, evidence: `RaftListClusterServers answered grpc-status ${answer.grpcStatus} with ${answer.bytes} bytes in clear text` };
    return { accepted: false, evidence: `no gRPC answer in clear text: ${answer.error ?? "no grpc-status"}` };
  },
};

/** Every control, in the order the drill runs them. */
export const SECURITY_CONTROLS: readonly SecurityControl[] = [
  volumeServerWithoutCertificate,
  shellWithoutCertificateLists,
  shellWithoutCertificateChanges,
  masterFromAnotherCa,
  commonNameNotAllowed,
  plainGrpcClient,
];
