/**
 * The restore drill: a stack's masters as a real local cluster with volume servers taking writes, the real backup
 * agent (bash + AWS CLI: on AWS the host agent fetched from SSM, on Kubernetes the sidecar's ConfigMap script with the
 * container's env) run on every master against a local moto S3, then the disaster: volume servers stopped
 * (they would otherwise re-report their volumes and rebuild MaxVolumeId and the file-key sequence for the masters)
 * and every `-mdir` wiped. As a negative control, the wiped masters are first started without a restore: the
 * masters-only checks must see a different cluster (new TopologyId or lower MaxVolumeId). Then the wipe again and
 * the real restore (download, checksums, install in every slot, start, verify). It passes only if the restored
 * masters, with the volume servers still down, report the TopologyId and at least the MaxVolumeId of backup time,
 * and, once the volume servers are back, writes and volume grows never reissue a file or volume id.
 * RPO is measured as the age of the restored backup's state at the moment of loss (the wipe); RTO from the wipe to the
 * first successful write after the restore, and the drill fails when it exceeds {@link restoreRtoBoundMs}.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CloudWatchClient, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import type { KubernetesConfig, Platform } from "../../../infra/config";
import type { SeaweedConfig } from "../../../infra/platforms";
import { regionOfZones } from "../../../infra/config/keys-backup";
import { BACKUP_METRIC } from "../../../infra/aws/host/backupNames";
import { LocalCluster } from "../localCluster";
import { jsonOf, request } from "../cluster/http";
import { ENDPOINTS } from "../../../infra/seaweed/constants";
import { BackupStore, chooseBackup, downloadBackup, listBackups, s3Client } from "../restore/backups";
import { runBackupSidecars } from "../restore/sidecarRun";
import { runHostAgents } from "../restore/hostAgent";
import { awsCli, prepareBackupBucket } from "../restore/drillBucket";
import { localFleet } from "../restore/localFleet";
import { deniedBy, s3Requests } from "../restore/bucketPolicy";
import { MOTO_CREDENTIALS, startMoto, type Moto } from "../restore/moto";
import { startRecordingProxy } from "../restore/recordingProxy";
import { selfSignedIdentity } from "../restore/tls";
import { restoreCluster } from "../restore/restoreCluster";
import { restoreRtoBoundMs } from "./bounds";
import { DrillFailure, expect, Scenario } from "./types";

/** What the masters alone (volume servers down) report: the cluster identity and the volume-id high-water mark. */
export interface MastersView {
  leader: number;
  /** undefined when the leader reports none. */
  topologyId?: string;
  maxVolumeId: number;
}

export interface RestoreFigures {
  /** Recovery point objective, from the config: the backup interval (a restore loses at most the raft changes since the last backup). */
  rpoSeconds: number;
  /**
   * Measured recovery point: how old the restored state was at the moment of loss (the wipe), from the backup
   * manifest's createdAt (taken right after the copy, whole seconds, so up to 1 s more than the true age).
   */
  rpoMeasuredMs: number;
  /** Measured recovery time: from the wipe of every -mdir to the first successful write after the restore. */
  rtoMs: number;
  /** What rtoMs is held to ({@link restoreRtoBoundMs}); the drill fails above it. */
  rtoBoundMs: number;
  /** From the wipe to a verified leader with the backup's TopologyId. */
  leaderMs: number;
  phases: { downloadMs: number; swapMs: number; verifyMs: number; writableMs: number };
  backup: {
    prefix: string;
    files: number;
    bytes: number;
    uploadedBy: number;
    skippedBy: number[];
    agentMs: number;
    metricPublished: boolean;
    /** The agents' S3 requests judged against the bucket's real policy, each with its own transport (none may be refused). */
    policyChecked: { requests: number; uploads: number; overTls: number; refused: number };
  };
  topologyId: { before: string; after: string };
  /** The masters alone after the restore, before any volume server is back. */
  mastersOnly: MastersView;
  /** The same wipe without a restore (the negative control): what the masters alone reported. */
  withoutRestore: MastersView;
  maxVolumeId: { manifest: number; before: number; after: number; grownAfterRestore: number[] };
  fileIds: { before: number; after: number; duplicates: number };
  bucketSettingsAccepted: boolean;
  /** AWS: the agent on the host, the bucket policy and metric checked; Kubernetes: the backup sidecar, S3 only. */
  platform: Platform;
}

/** Waits for a leader among the live masters and reads its TopologyId and MaxVolumeId (nothing else is asked). */
export async function mastersView(cluster: LocalCluster): Promise<MastersView> {
  const leader = await cluster.waitForLeader({ timeoutMs: 60_000 });
  expect(leader !== undefined, "the masters elected no leader within 60 s");
  const dir = jsonOf<{ TopologyId?: string }>(await request(`${cluster.master(leader).httpUrl}${ENDPOINTS.dirStatus}`, { timeoutMs: 3000 }));
  const status = await cluster.statusOf(leader);
  return { leader, topologyId: dir?.TopologyId || undefined, maxVolumeId: status.maxVolumeId ?? 0 };
}

/** Why `view` is not the cluster of backup time (empty when it is): the check both the control and the restore face. */
export function identityProblems(view: Omit<MastersView, "leader">, backupTime: { topologyId: string; maxVolumeId: number }, when = "backup time"): string[] {
  const problems: string[] = [];
  if (view.topologyId !== backupTime.topologyId) problems.push(`TopologyId ${view.topologyId ?? "none"}, ${when} ${backupTime.topologyId}`);
  if (view.maxVolumeId < backupTime.maxVolumeId) problems.push(`MaxVolumeId ${view.maxVolumeId}, lower than ${backupTime.maxVolumeId} at ${when}`);
  return problems;
}

/** The disaster: every master killed and its -mdir wiped (volume servers already down). */
async function wipeMasters(cluster: LocalCluster): Promise<void> {
  await Promise.all(cluster.masters.map((m) => cluster.kill(m.slot, "SIGKILL")));
  for (const m of cluster.masters) fs.rmSync(m.mdir, { recursive: true, force: true });
}

/** Grows one more volume through the leader; returns the MaxVolumeId it then reports (empty if the grow failed). */
async function growVolume(cluster: LocalCluster): Promise<number[]> {
  const leader = await cluster.waitForLeader({ timeoutMs: 30_000 });
  if (leader === undefined) return [];
  const answer = await request(`${cluster.master(leader).httpUrl}/vol/grow?count=1&replication=${cluster.config.defaultReplication}`, { timeoutMs: 10_000 });
  const status = await cluster.statusOf(leader);
  return answer.status === 200 && status.maxVolumeId !== undefined ? [status.maxVolumeId] : [];
}

/** What the backup step left behind, on either platform. */
interface BackupStep {
  store: BackupStore;
  uploads: { slot: number; prefix: string; ms: number }[];
  skipped: number[];
  metricPublished: boolean;
  policyChecked: RestoreFigures["backup"]["policyChecked"];
  settingsAccepted: boolean;
}

/** The negative controls' object keys: one upload per Deny statement of the bucket policy, each refused by it alone. */
const POLICY_CONTROLS = [
  { key: "policy-control/sse-s3-over-tls.txt", refusedBy: "DenyUploadsAskingForOtherEncryption", what: "an upload over TLS asking for SSE-S3" },
  { key: "policy-control/sse-kms-over-plain-http.txt", refusedBy: "DenyInsecureTransport", what: "the agent's kind of upload (SSE-KMS) over plain HTTP" },
] as const;

/**
 * AWS: the bucket as the Backups component makes it, the agent fetched from SSM by each slot's launcher, its S3
 * requests judged against the bucket's real policy, and the last-successful-backup metric.
 *
 * The transport: on a host the agent names no S3 endpoint (neither the launcher, nor the environment file, nor the
 * unit sets one), so the AWS CLI uses its default, `https://s3.<region>.amazonaws.com`. The drill gives it an https
 * endpoint too: a recorder in front of moto whose throw-away certificate the agent trusts through AWS_CA_BUNDLE. Each
 * request is judged with the transport it really arrived on, so an agent that fell back to plain HTTP would be
 * refused by the policy's TLS-only statement here as on AWS; the controls show the judge tells the two apart.
 */
async function awsBackup(cluster: LocalCluster, config: SeaweedConfig, moto: Moto, region: string, step: (line: string) => void): Promise<BackupStep> {
  const s3 = s3Client({ endpoint: moto.endpoint, region, credentials: MOTO_CREDENTIALS });
  const { bucket, policy, kmsKeyArn, settingsAccepted, readBack } = await prepareBackupBucket(moto, s3, config);
  expect(settingsAccepted, `moto did not keep the bucket settings the program renders: ${JSON.stringify(readBack)}`);
  const identity = selfSignedIdentity(cluster.runDir);
  const proxy = await startRecordingProxy(moto.endpoint, identity);
  const through = (endpoint: string): Moto => ({ ...moto, endpoint, env: { ...moto.env, AWS_ENDPOINT_URL: endpoint, AWS_CA_BUNDLE: identity.certFile } });
  step(`running the backup agent on every master against ${proxy.httpsEndpoint} (https, as on a host)`);
  let agents: Awaited<ReturnType<typeof runHostAgents>>;
  try {
    agents = await runHostAgents(cluster, through(proxy.httpsEndpoint), region);
    const body = path.join(cluster.runDir, "policy-control.txt");
    fs.writeFileSync(body, "a negative control of the bucket policy check");
    const [sseS3, plainHttp] = POLICY_CONTROLS;
    await awsCli(through(proxy.httpsEndpoint), ["s3", "cp", "--only-show-errors", "--sse", "AES256", body, `s3://${bucket}/${sseS3.key}`]);
    await awsCli(through(proxy.httpEndpoint), ["s3", "cp", "--only-show-errors", "--sse", "aws:kms", "--sse-kms-key-id", kmsKeyArn, body, `s3://${bucket}/${plainHttp.key}`]);
  } finally {
    await proxy.stop();
  }
  const judged = s3Requests(proxy.requests).map((r) => ({ ...r, deniedBy: deniedBy(policy, r) }));
  const controls = judged.filter((r) => POLICY_CONTROLS.some((c) => r.resource.endsWith(`/${c.key}`)));
  for (const control of POLICY_CONTROLS) {
    const seen = controls.filter((r) => r.resource.endsWith(`/${control.key}`));
    expect(seen.length === 1 && seen[0].deniedBy.join() === control.refusedBy, `the bucket policy check did not refuse ${control.what} by ${control.refusedBy} alone: ${JSON.stringify(seen)}`);
  }
  const agentRequests = judged.filter((r) => !controls.includes(r));
  const refused = agentRequests.filter((r) => r.deniedBy.length > 0);
  expect(agentRequests.some((r) => r.action === "s3:PutObject"), "the agents sent no upload to judge against the bucket policy");
  expect(refused.length === 0, `the bucket policy refuses the agent's requests: ${refused.map((r) => `${r.summary} (${r.deniedBy.join(", ")})`).join("; ")}`);
  const metrics = await new CloudWatchClient({ endpoint: moto.endpoint, region, credentials: MOTO_CREDENTIALS }).send(
    new ListMetricsCommand({ Namespace: BACKUP_METRIC.namespace, MetricName: BACKUP_METRIC.name, Dimensions: [{ Name: BACKUP_METRIC.dimension, Value: config.clusterName }] }),
  );
  const metricPublished = (metrics.Metrics ?? []).length > 0;
  expect(metricPublished, "the agent published no last-successful-backup metric");
  return {
    store: { client: s3, bucket, cluster: config.clusterName },
    ...agents,
    metricPublished,
    policyChecked: {
      requests: agentRequests.length,
      uploads: agentRequests.filter((r) => r.action === "s3:PutObject").length,
      overTls: agentRequests.filter((r) => r.context["aws:SecureTransport"] === "true").length,
      refused: refused.length,
    },
    settingsAccepted,
  };
}

/**
 * Kubernetes: the stack with backups pointed at moto as an S3-compatible store (k8sBackupEndpoint), a plain bucket
 * (on Kubernetes the bucket is the operator's), and one pass of every pod's backup sidecar, whose recorded
 * last-success time (the backup-age alert's input) is checked. No bucket policy exists on this platform, so none is
 * checked.
 */
async function kubernetesBackup(cluster: LocalCluster, config: KubernetesConfig, moto: Moto, step: (line: string) => void): Promise<BackupStep> {
  const bucket = `${config.clusterName}-backups-drill`;
  const withBackups: KubernetesConfig = {
    ...config,
    k8sBackupBucket: bucket,
    k8sBackupEndpoint: moto.endpoint,
    // moto takes static keys; a token-based mode (k8s-prod's EKS Pod Identity) has no endpoint here.
    k8sBackupCredentials: "secret",
    k8sBackupCredentialsSecret: config.k8sBackupCredentialsSecret || "drill-backup-credentials",
    k8sBackupImage: config.k8sBackupImage || "drill/host-tools",
  };
  const s3 = s3Client({ endpoint: moto.endpoint, region: withBackups.k8sBackupRegion, credentials: MOTO_CREDENTIALS });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  step(`running one pass of the backup sidecar of every pod against ${moto.endpoint} (moto as an S3-compatible store)`);
  const started = Math.floor(Date.now() / 1000);
  const { recorded, ...agents } = await runBackupSidecars(cluster, withBackups, MOTO_CREDENTIALS);
  // The backup-age alert's input: only the uploader records a success, with a time from this pass.
  const uploaders = agents.uploads.map((u) => u.slot);
  const metricPublished = recorded.length === uploaders.length && recorded.every((r) => uploaders.includes(r.slot) && r.lastSuccess >= started && r.lastSuccess <= Date.now() / 1000);
  expect(metricPublished, `the sidecar's last-success metric does not match the uploads (uploaders ${JSON.stringify(uploaders)}, recorded ${JSON.stringify(recorded)}, pass started at ${started})`);
  return { store: { client: s3, bucket, cluster: config.clusterName }, ...agents, metricPublished, policyChecked: { requests: 0, uploads: 0, overTls: 0, refused: 0 }, settingsAccepted: true };
}

/**
 * Backup, wipe and restore on a running cluster, against a moto this function starts and stops. Every broken
 * promise throws a DrillFailure (via `expect`).
 */
export async function backupWipeRestore(cluster: LocalCluster, options: { files: number; step: (line: string) => void }): Promise<RestoreFigures> {
  const { step } = options;
  const config = cluster.config;
  const region = config.platform === "aws" ? (regionOfZones(config.availabilityZones) ?? "us-east-1") : config.k8sBackupRegion;
  step(`starting moto (${config.platform === "aws" ? "S3, SSM, CloudWatch" : "S3"}) on 127.0.0.1`);
  const moto = await startMoto(region);
  try {
    for (let i = 0; i < options.files; i++) {
      const answer = await cluster.assign();
      expect(answer.ok && answer.written, `write ${i} before the backup failed: ${answer.status} ${answer.body}`);
    }
    const before = await cluster.dirStatus();
    const fileIdsBefore = cluster.fileIds.count;
    step(`backing up (TopologyId ${before.topologyId}, MaxVolumeId ${before.maxVolumeId}, leader master-${before.leader})`);
    const agents = config.platform === "aws" ? await awsBackup(cluster, config, moto, region, step) : await kubernetesBackup(cluster, config, moto, step);
    expect(agents.uploads.length === 1 && agents.uploads[0].slot === before.leader, `expected only the leader (master-${before.leader}) to upload; uploads: ${JSON.stringify(agents.uploads)}`);
    const { metricPublished, settingsAccepted } = agents;

    step("stopping the volume servers: until the restored masters lead, nothing but their raft state can tell them ids");
    await Promise.all(cluster.volumeServers.map((v) => v.stop(3000)));
    const backupTime = { topologyId: before.topologyId, maxVolumeId: before.maxVolumeId };

    step("negative control: every -mdir wiped and the masters started without a restore");
    await wipeMasters(cluster);
    for (const m of cluster.masters) await cluster.start(m.slot);
    const withoutRestore = await mastersView(cluster);
    const controlProblems = identityProblems(withoutRestore, backupTime);
    expect(controlProblems.length > 0, `without a restore the masters still report the backup-time cluster (TopologyId ${withoutRestore.topologyId}, MaxVolumeId ${withoutRestore.maxVolumeId}): the checks cannot tell a restore from none`);
    step(`without a restore: ${controlProblems.join("; ")}`);

    step("the disaster: every master killed and its -mdir wiped (volume servers down)");
    await wipeMasters(cluster);
    const wiped = Date.now();

    const { store } = agents;
    const chosen = chooseBackup(await listBackups(store), "latest");
    const backup = await downloadBackup(store, chosen, path.join(cluster.runDir, "restore"));
    const downloaded = Date.now();
    step(`restoring ${chosen} into every master`);
    const restored = await restoreCluster(localFleet(cluster), backup, { log: step });
    const leaderMs = Date.now() - wiped;
    const mastersOnly = await mastersView(cluster);
    const restoredProblems = identityProblems(mastersOnly, backupTime);
    expect(restoredProblems.length === 0, `the restored masters (volume servers still down) are not the backup-time cluster: ${restoredProblems.join("; ")}`);
    step(`restored masters alone: TopologyId ${mastersOnly.topologyId}, MaxVolumeId ${mastersOnly.maxVolumeId}; starting the volume servers`);
    const started = Date.now();
    await cluster.start(undefined, 90_000);
    const writableMs = Date.now() - started;
    const rtoMs = Date.now() - wiped;
    const rtoBoundMs = restoreRtoBoundMs(cluster);
    const rpoMeasuredMs = wiped - Date.parse(backup.manifest.createdAt);
    step(`leader after ${leaderMs} ms, writes back after ${rtoMs} ms (RTO; bound ${rtoBoundMs} ms); the restored state was ${rpoMeasuredMs} ms old at the wipe (RPO)`);

    for (let i = 0; i < options.files; i++) {
      const answer = await cluster.assign();
      expect(answer.ok && answer.written, `write ${i} after the restore failed: ${answer.status} ${answer.body}`);
    }
    const grown = await growVolume(cluster);
    const after = await cluster.dirStatus();
    expect(after.topologyId === before.topologyId, `TopologyId changed: ${before.topologyId} -> ${after.topologyId}`);
    expect(grown.length > 0, "could not grow a volume after the restore");
    expect(grown.every((id) => id > before.maxVolumeId), `a volume id was re-issued after the restore: ${grown.join(",")} <= ${before.maxVolumeId}`);
    const duplicates = cluster.fileIds.duplicates;
    expect(duplicates.length === 0, `file ids handed out twice: ${duplicates.map((d) => `${d.fid} (earlier ${d.earlier})`).join(", ")}`);
    if (rtoMs > rtoBoundMs) {
      throw new DrillFailure(`writes came back ${rtoMs} ms after the wipe, beyond the restore's bound of ${rtoBoundMs} ms (restore work ${downloaded - wiped + restored.swapMs} ms, verify ${restored.verifyMs} ms, volume servers to a write ${writableMs} ms)`, {
        newLeaderMs: leaderMs,
        writesBackMs: rtoMs,
        extra: { rtoMs, rtoBoundMs, rpoMeasuredMs },
      });
    }

    return {
      rpoSeconds: config.backupIntervalMinutes * 60,
      rpoMeasuredMs,
      rtoMs,
      rtoBoundMs,
      leaderMs,
      phases: { downloadMs: downloaded - wiped, swapMs: restored.swapMs, verifyMs: restored.verifyMs, writableMs },
      backup: {
        prefix: chosen,
        files: backup.manifest.files.length,
        bytes: backup.manifest.files.reduce((sum, f) => sum + f.bytes, 0),
        uploadedBy: agents.uploads[0].slot,
        skippedBy: agents.skipped,
        agentMs: agents.uploads[0].ms,
        metricPublished,
        policyChecked: agents.policyChecked,
      },
      topologyId: { before: before.topologyId, after: after.topologyId },
      mastersOnly,
      withoutRestore,
      maxVolumeId: { manifest: backup.manifest.maxVolumeId, before: before.maxVolumeId, after: after.maxVolumeId, grownAfterRestore: grown },
      fileIds: { before: fileIdsBefore, after: cluster.fileIds.count - fileIdsBefore, duplicates: duplicates.length },
      bucketSettingsAccepted: settingsAccepted,
      platform: config.platform,
    };
  } finally {
    await moto.stop();
  }
}

/** The `restore` scenario of `npm run drill`: RTO and RPO appear in its `extra` figures. */
export const restore: Scenario = {
  id: "restore",
  title: "backup by the real agent (AWS host agent or Kubernetes sidecar) to S3 (moto), volume servers down, wipe every -mdir, restore: same TopologyId and MaxVolumeId from the masters alone, no id reused",
  async run({ cluster, step }) {
    await cluster.waitForQuorum();
    const figures = await backupWipeRestore(cluster, { files: 10, step });
    return {
      newLeaderMs: figures.leaderMs,
      writesBackMs: figures.rtoMs,
      extra: {
        rtoMs: figures.rtoMs,
        rtoBoundMs: figures.rtoBoundMs,
        rpoSeconds: figures.rpoSeconds,
        rpoMeasuredMs: figures.rpoMeasuredMs,
        backupAgentMs: figures.backup.agentMs,
        downloadMs: figures.phases.downloadMs,
        swapMs: figures.phases.swapMs,
        verifyMs: figures.phases.verifyMs,
      },
      notes: [
        `RPO measured ${(figures.rpoMeasuredMs / 1000).toFixed(1)} s (objective: backupIntervalMinutes, ${figures.rpoSeconds} s); RTO ${(figures.rtoMs / 1000).toFixed(1)} s of a bound of ${(figures.rtoBoundMs / 1000).toFixed(1)} s; backup ${figures.backup.files} files, ${figures.backup.bytes} bytes, uploaded by the leader only, ${figures.backup.policyChecked.overTls} of its ${figures.backup.policyChecked.requests} S3 requests over TLS`,
        `TopologyId kept; MaxVolumeId backup ${figures.maxVolumeId.manifest}, masters alone after restore ${figures.mastersOnly.maxVolumeId}, after writes ${figures.maxVolumeId.after}`,
        `without a restore the masters reported TopologyId ${figures.withoutRestore.topologyId ?? "none"}, MaxVolumeId ${figures.withoutRestore.maxVolumeId}`,
      ],
    };
  },
};

/** The drill on its own, on a fresh cluster of `stack` (used by tests/drills/restore.test.ts). */
export async function runRestoreDrill(options: { stack: string; config?: SeaweedConfig; files?: number; log?: (line: string) => void }): Promise<RestoreFigures> {
  const cluster = await LocalCluster.start({ stack: options.stack, config: options.config, log: options.log });
  try {
    return await backupWipeRestore(cluster, { files: options.files ?? 20, step: options.log ?? (() => {}) });
  } finally {
    await cluster.stop();
  }
}
