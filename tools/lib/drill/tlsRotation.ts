/**
 * The CA rotation drill: a running TLS cluster moves from its CA (generation 1) to a new one (generation 2) while a
 * client writes, in the three steps of docs/security.md, each rolled onto one master at a time through the rollout
 * engine and its gates (followers first, the leader last), then onto the volume servers:
 *
 * 1. trust-new: every party's bundle holds both CAs (a certificate of CA 2 is accepted from then on);
 * 2. issue-new: every party serves and dials with a certificate of CA 2;
 * 3. drop-old: the bundles hold CA 2 only (a certificate of CA 1 is refused from then on).
 *
 * A step installs the new files (what a renewed Secret or a replaced instance brings) and waits until that master
 * re-reads them (`tlsReloadSeconds`): no restart, so no leadership transfer either. Each step is judged from outside
 * with a gRPC call over mutual TLS as a party of the phase (tools/lib/cluster/grpcCall.ts): accepted with a CA 2
 * identity, serving a chain of CA 2, refusing a CA 1 identity.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GRPC_PORT_OFFSET } from "../../../infra/seaweed/constants";
import { TLS_FILES, TlsRole } from "../../../infra/seaweed/tls";
import { VOLUME_SERVER_PORT } from "../../../infra/seaweed/volumeServer";
import { caBundle, IssuedPem, PemPair } from "../../../infra/tls/x509";
import { grpcCall, GrpcAnswer } from "../cluster/grpcCall";
import { poll } from "../cluster/http";
import { drillCa, issueFor } from "../cluster/tls";
import type { LocalCluster } from "../localCluster";
import { runRollout, RolloutBackend, stabilityWindowMs } from "../rollout/engine";
import { localGateTier } from "../rollout/local";
import { oneElectionWriteBoundMs } from "./bounds";
import { ContinuousWrites, WriteSummary } from "./continuousWrites";
import { QuorumWatch } from "./quorumWatch";

export type RotationPhaseName = "trust-new" | "issue-new" | "drop-old";

export interface RotationPhaseReport {
  phase: RotationPhaseName;
  /** The masters' roll (rollout engine): passed, its order and the leader changes it saw. */
  masters: { passed: boolean; order: number[]; leaderChanges: number; ms: number; message: string };
  /** Until every volume server took the phase's files. */
  volumeServersMs: number;
}

export interface TlsRotationReport {
  phases: RotationPhaseReport[];
  /** Leader changes over the whole rotation (sampled every 200 ms). */
  elections: number;
  /** Moments the quorum was lost. */
  quorumLost: string[];
  writes: WriteSummary;
  /** Stored blobs that did not read back at the end. */
  unreadable: string[];
  /** Per master at the end: the issuer of the chain it serves, verified against CA 2 alone. */
  newChain: { slot: number; issuer?: string; error?: string }[];
  /** Per master at the end: a party holding a CA 1 certificate (trusting both CAs) is refused. */
  oldCaRefused: { slot: number; refused: boolean; detail: string }[];
}

const MASTER_METHOD = "/master_pb.Seaweed/RaftListClusterServers";
const VOLUME_METHOD = "/volume_server_pb.VolumeServer/VolumeServerStatus";

/** A party's files in a phase: its certificate and the bundle it trusts. */
interface Files {
  identity: PemPair;
  bundle: string;
}

function writeFiles(dir: string, role: TlsRole, files: Files): void {
  const tls = path.join(dir, "tls");
  // Write-then-rename: weed must never read a half-written file.
  const put = (name: string, text: string) => {
    fs.writeFileSync(path.join(tls, `${name}.new`), text, { mode: 0o600 });
    fs.renameSync(path.join(tls, `${name}.new`), path.join(tls, name));
  };
  put(TLS_FILES.caBundle, files.bundle);
  put(TLS_FILES.cert(role), files.identity.certPem);
  put(TLS_FILES.key(role), files.identity.keyPem);
}

/** Whether a gRPC call as `identity`, trusting `ca`, got an answer. */
const answered = (a: GrpcAnswer) => a.grpcStatus !== undefined;

/**
 * Runs the rotation on `cluster` (a TLS cluster of the harness); throws when a step does not take.
 * @param progress one line per step
 */
export async function rotateCertificateAuthority(cluster: LocalCluster, progress: (line: string) => void): Promise<TlsRotationReport> {
  const tls = cluster.tls;
  if (!tls) throw new Error("the CA rotation drill needs a cluster with TLS");
  const reloadMs = cluster.config.tlsReloadSeconds * 1000;
  const ca1 = tls.ca;
  const ca2 = await drillCa(tls.clusterName, 2);
  const bundle12 = caBundle([ca1.certPem, ca2.certPem]);
  const bundle2 = caBundle([ca2.certPem]);
  const admin1 = tls.clients.admin;
  const admin2 = await issueFor(ca2, tls.clusterName, "admin");
  const masters2 = new Map<number, IssuedPem>();
  for (const m of cluster.masters) masters2.set(m.slot, await issueFor(ca2, tls.clusterName, "master", [...new Set([m.ip, m.deployedHost])]));
  const volume2 = await issueFor(ca2, tls.clusterName, "volume");

  // What each party holds in each phase, and the call that shows a server took it.
  const phases: { name: RotationPhaseName; master: (slot: number) => Files; volume: Files; took: (hostPort: string, method: string) => Promise<boolean> }[] = [
    {
      name: "trust-new",
      master: (slot) => ({ identity: tls.masters.get(slot)!, bundle: bundle12 }),
      volume: { identity: tls.clients.volume, bundle: bundle12 },
      took: async (hostPort, method) => answered(await grpcCall(hostPort, method, 3000, { cert: admin2.certPem, key: admin2.keyPem, ca: bundle12 })),
    },
    {
      name: "issue-new",
      master: (slot) => ({ identity: masters2.get(slot)!, bundle: bundle12 }),
      volume: { identity: volume2, bundle: bundle12 },
      took: async (hostPort, method) => answered(await grpcCall(hostPort, method, 3000, { cert: admin1.certPem, key: admin1.keyPem, ca: bundle2 })),
    },
    {
      name: "drop-old",
      master: (slot) => ({ identity: masters2.get(slot)!, bundle: bundle2 }),
      volume: { identity: volume2, bundle: bundle2 },
      took: async (hostPort, method) =>
        !answered(await grpcCall(hostPort, method, 3000, { cert: admin1.certPem, key: admin1.keyPem, ca: bundle12 })) &&
        answered(await grpcCall(hostPort, method, 3000, { cert: admin2.certPem, key: admin2.keyPem, ca: bundle2 })),
    },
  ];
  const grpcOf = (ip: string, httpPort: number) => `${ip}:${httpPort + GRPC_PORT_OFFSET}`;
  const waitTook = async (what: string, check: () => Promise<boolean>) => {
    const took = await poll(async () => ((await check()) ? true : undefined), 4 * reloadMs + 10_000, 250);
    if (!took) throw new Error(`${what} did not take its new TLS files within ${4 * reloadMs + 10_000} ms`);
  };

  const writes = new ContinuousWrites(cluster, oneElectionWriteBoundMs(cluster));
  const watch = new QuorumWatch(cluster).start();
  writes.start();
  const reports: RotationPhaseReport[] = [];
  try {
    for (const phase of phases) {
      progress(`${phase.name}: the masters, one at a time (rollout engine, gated)`);
      const backend: RolloutBackend = {
        name: "local-tls-files",
        async replace(master, log) {
          const local = cluster.master(master.slot);
          writeFiles(local.dir, "master", phase.master(master.slot));
          await waitTook(`master-${master.slot}`, () => phase.took(grpcOf(local.ip, cluster.plan.settings.port), MASTER_METHOD));
          log(`master-${master.slot} took the ${phase.name} files`);
          return { phase: phase.name };
        },
      };
      const rollout = await runRollout({ tier: localGateTier(cluster), backend, stableMs: stabilityWindowMs(cluster.plan.settings.raft), gateTimeoutMs: 90_000, progress });
      reports.push({ phase: phase.name, masters: { passed: rollout.passed, order: rollout.order, leaderChanges: rollout.leaderChanges, ms: rollout.totalMs, message: rollout.message }, volumeServersMs: 0 });
      if (!rollout.passed) throw new Error(`${phase.name}: ${rollout.message}`);
      progress(`${phase.name}: the volume servers`);
      const started = Date.now();
      for (const v of cluster.plan.volumeServers) {
        writeFiles(v.dir, "volume", phase.volume);
        await waitTook(v.name, () => phase.took(grpcOf(v.ip, VOLUME_SERVER_PORT), VOLUME_METHOD));
      }
      reports[reports.length - 1].volumeServersMs = Date.now() - started;
    }
  } catch (error) {
    // The writer's loop would keep the test process alive after the failure is reported.
    await writes.stop();
    throw error;
  } finally {
    await watch.stop();
  }
  const summary = await writes.stop();
  const unreadable = await writes.verifyAll();
  const newChain = await Promise.all(
    cluster.masters.map(async (m) => {
      const a = await grpcCall(grpcOf(m.ip, cluster.plan.settings.port), MASTER_METHOD, 3000, { cert: admin2.certPem, key: admin2.keyPem, ca: bundle2 });
      return { slot: m.slot, ...(answered(a) ? { issuer: a.servedIssuer } : { error: a.error ?? "no answer" }) };
    }),
  );
  const oldCaRefused = await Promise.all(
    cluster.masters.map(async (m) => {
      const a = await grpcCall(grpcOf(m.ip, cluster.plan.settings.port), MASTER_METHOD, 3000, { cert: admin1.certPem, key: admin1.keyPem, ca: bundle12 });
      return { slot: m.slot, refused: !answered(a), detail: answered(a) ? `answered grpc-status ${a.grpcStatus}` : (a.error ?? "no answer") };
    }),
  );
  return { phases: reports, elections: watch.leaderChanges, quorumLost: watch.lost, writes: summary, unreadable, newChain, oldCaRefused };
}
