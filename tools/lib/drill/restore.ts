/**
 * The restore drill: a stack's masters as a real local cluster with volume servers taking writes, the real backup
 * agent (bash + AWS CLI) run on every master against a local moto S3, every `-mdir` wiped, then the real restore
 * (download, checksums, install in every slot, start, verify). It passes only if the cluster comes back with the same
 * TopologyId, a MaxVolumeId not lower than the backup's, and file and volume ids that never collide with earlier ones.
 * RPO is the backup interval; RTO is measured from the wipe to the first successful write after the restore.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { CloudWatchClient, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import type { SeaweedConfig } from "../../../infra/config";
import { ssmPrefixOf } from "../../../infra/aws/naming";
import { bucketPolicyDocument, lifecycleRules } from "../../../infra/aws/backup/rules";
import { regionOfZones } from "../../../infra/config/keys-backup";
import { BACKUP_METRIC, BACKUP_PARAMETERS } from "../../../infra/seaweed/backup";
import { renderBackupAgentScript } from "../../../infra/seaweed/backupAgent";
import { LocalCluster } from "../localCluster";
import { request } from "../cluster/http";
import { chooseBackup, downloadBackup, listBackups, s3Client } from "../restore/backups";
import { createBucketWithSettings, dropPolicyForMoto, readBucketSettings } from "../restore/bucketApi";
import { localFleet } from "../restore/localFleet";
import { MOTO_CREDENTIALS, startMoto, VENV_BIN, type Moto } from "../restore/moto";
import { restoreCluster } from "../restore/restoreCluster";

const run = promisify(execFile);

export interface RestoreDrillOptions {
  stack: string;
  config?: SeaweedConfig;
  /** File ids assigned and written before the backup, and again after the restore. @default 20 */
  files?: number;
  log?: (line: string) => void;
}

export interface RestoreDrillResult {
  scenario: "restore";
  passed: boolean;
  failures: string[];
  /** Recovery point objective: the backup interval (a restore loses at most the raft changes since the last backup). */
  rpoSeconds: number;
  /** Measured recovery time: from the wipe of every -mdir to the first successful write after the restore. */
  rtoMs: number;
  phases: { downloadMs: number; swapMs: number; verifyMs: number; writableMs: number };
  backup: { prefix: string; files: number; bytes: number; uploadedBy: number; skippedBy: number[]; agentMs: number; metricPublished: boolean };
  topologyId: { before: string; after: string };
  maxVolumeId: { manifest: number; before: number; after: number; grownAfterRestore: number[] };
  fileIds: { before: number; after: number; duplicates: number };
  bucketSettingsAccepted: boolean;
}

async function aws(moto: Moto, args: string[]): Promise<string> {
  const { stdout } = await run(path.join(VENV_BIN, "aws"), args, { env: { ...process.env, ...moto.env }, timeout: 60_000 });
  return stdout.trim();
}

/** Runs the rendered agent of every master; returns who uploaded (exactly one is expected) and the leader's run time. */
async function runAgents(cluster: LocalCluster, moto: Moto, region: string): Promise<{ uploads: { slot: number; prefix: string; ms: number }[]; skipped: number[] }> {
  const uploads: { slot: number; prefix: string; ms: number }[] = [];
  const skipped: number[] = [];
  for (const m of cluster.masters) {
    const script = path.join(cluster.runDir, `seaweedfs-backup-${m.slot}.sh`);
    const options = { clusterName: cluster.config.clusterName, slot: m.slot, ip: m.ip, port: cluster.plan.settings.port, mdir: m.mdir, ssmPrefix: ssmPrefixOf(cluster.config.clusterName), region };
    fs.writeFileSync(script, renderBackupAgentScript(options), { mode: 0o700 });
    const started = Date.now();
    const { stdout } = await run("bash", [script], { env: { ...process.env, ...moto.env, PATH: `${VENV_BIN}:${process.env.PATH}`, TMPDIR: cluster.runDir }, timeout: 120_000 });
    if (stdout.trim()) uploads.push({ slot: m.slot, prefix: stdout.trim(), ms: Date.now() - started });
    else skipped.push(m.slot);
  }
  return { uploads, skipped };
}

/** Grows one more volume through the leader and returns the new volume ids it reports. */
async function growVolume(cluster: LocalCluster): Promise<number[]> {
  const leader = await cluster.waitForLeader({ timeoutMs: 30_000 });
  if (leader === undefined) return [];
  const answer = await request(`${cluster.master(leader).httpUrl}/vol/grow?count=1&replication=${cluster.config.defaultReplication}`, { timeoutMs: 10_000 });
  const status = await cluster.statusOf(leader);
  return answer.status === 200 && status.maxVolumeId !== undefined ? [status.maxVolumeId] : [];
}

export async function runRestoreDrill(options: RestoreDrillOptions): Promise<RestoreDrillResult> {
  const log = options.log ?? (() => {});
  const files = options.files ?? 20;
  const failures: string[] = [];
  let moto: Moto | undefined;
  let cluster: LocalCluster | undefined;
  try {
    moto = await startMoto();
    cluster = await LocalCluster.start({ stack: options.stack, config: options.config, log });
    const config = cluster.config;
    const region = regionOfZones(config.availabilityZones) ?? "us-east-1";
    const bucket = `${config.clusterName}-backups-drill`;
    const s3 = s3Client({ endpoint: moto.endpoint, region, credentials: MOTO_CREDENTIALS });

    const kmsKeyArn = await aws(moto, ["kms", "create-key", "--description", "drill backups", "--query", "KeyMetadata.Arn", "--output", "text"]);
    const policy = JSON.stringify(bucketPolicyDocument(`arn:aws:s3:::${bucket}`));
    const rules = lifecycleRules(config);
    await createBucketWithSettings(s3, bucket, {
      lifecycleRules: rules,
      encryption: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn, bucketKeyEnabled: true },
      publicAccessBlock: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      objectOwnership: "BucketOwnerEnforced",
      policy,
    });
    const readBack = await readBucketSettings(s3, bucket);
    const bucketSettingsAccepted =
      readBack.lifecycleRuleIds.length === rules.length && readBack.sseAlgorithm === "aws:kms" && readBack.bucketKey === true && JSON.stringify(JSON.parse(readBack.policy ?? "{}")) === policy;
    if (!bucketSettingsAccepted) failures.push(`moto did not keep the bucket settings: ${JSON.stringify(readBack)}`);
    await dropPolicyForMoto(s3, bucket);
    const prefix = ssmPrefixOf(config.clusterName);
    await aws(moto, ["ssm", "put-parameter", "--name", `${prefix}/${BACKUP_PARAMETERS.bucket}`, "--type", "String", "--value", bucket]);
    await aws(moto, ["ssm", "put-parameter", "--name", `${prefix}/${BACKUP_PARAMETERS.kmsKeyArn}`, "--type", "String", "--value", kmsKeyArn]);

    for (let i = 0; i < files; i++) {
      const answer = await cluster.assign();
      if (!answer.ok || !answer.written) failures.push(`write ${i} before the backup failed: ${answer.status} ${answer.body}`);
    }
    const before = await cluster.dirStatus();
    const fileIdsBefore = cluster.fileIds.count;
    log(`before: TopologyId ${before.topologyId}, MaxVolumeId ${before.maxVolumeId}, ${fileIdsBefore} file ids written`);

    const agents = await runAgents(cluster, moto, region);
    if (agents.uploads.length !== 1) failures.push(`expected exactly one master (the leader) to upload, ${agents.uploads.length} did`);
    const metrics = await new CloudWatchClient({ endpoint: moto.endpoint, region, credentials: MOTO_CREDENTIALS }).send(
      new ListMetricsCommand({ Namespace: BACKUP_METRIC.namespace, MetricName: BACKUP_METRIC.name, Dimensions: [{ Name: BACKUP_METRIC.dimension, Value: config.clusterName }] }),
    );
    const metricPublished = (metrics.Metrics ?? []).length > 0;
    if (!metricPublished) failures.push("the agent published no last-successful-backup metric");

    // The disaster: every master stops and loses its -mdir; the volume servers keep running.
    await Promise.all(cluster.masters.map((m) => cluster!.kill(m.slot, "SIGKILL")));
    for (const m of cluster.masters) fs.rmSync(m.mdir, { recursive: true, force: true });
    const wiped = Date.now();
    log("every master stopped and its -mdir wiped");

    const store = { client: s3, bucket, cluster: config.clusterName };
    const chosen = chooseBackup(await listBackups(store), "latest");
    const backup = await downloadBackup(store, chosen, path.join(cluster.runDir, "restore"));
    const downloaded = Date.now();
    const restored = await restoreCluster(localFleet(cluster), backup, { log });
    const writableMs = await cluster.waitWritable(60_000);
    const rtoMs = Date.now() - wiped;
    log(`restored from ${chosen}: RTO ${rtoMs} ms`);

    for (let i = 0; i < files; i++) {
      const answer = await cluster.assign();
      if (!answer.ok || !answer.written) failures.push(`write ${i} after the restore failed: ${answer.status} ${answer.body}`);
    }
    const grown = await growVolume(cluster);
    const after = await cluster.dirStatus();
    if (after.topologyId !== before.topologyId) failures.push(`TopologyId changed: ${before.topologyId} -> ${after.topologyId}`);
    if (after.maxVolumeId < backup.manifest.maxVolumeId) failures.push(`MaxVolumeId ${after.maxVolumeId} is lower than the backup's ${backup.manifest.maxVolumeId}`);
    if (grown.length === 0) failures.push("could not grow a volume after the restore");
    if (grown.some((id) => id <= before.maxVolumeId)) failures.push(`a volume id was re-issued after the restore: ${grown.join(",")} <= ${before.maxVolumeId}`);
    const duplicates = cluster.fileIds.duplicates;
    if (duplicates.length > 0) failures.push(`file ids handed out twice: ${duplicates.map((d) => `${d.fid} (earlier ${d.earlier})`).join(", ")}`);

    return {
      scenario: "restore",
      passed: failures.length === 0,
      failures,
      rpoSeconds: config.backupIntervalMinutes * 60,
      rtoMs,
      phases: { downloadMs: downloaded - wiped, swapMs: restored.swapMs, verifyMs: restored.verifyMs, writableMs },
      backup: {
        prefix: chosen,
        files: backup.manifest.files.length,
        bytes: backup.manifest.files.reduce((sum, f) => sum + f.bytes, 0),
        uploadedBy: agents.uploads[0]?.slot ?? -1,
        skippedBy: agents.skipped,
        agentMs: agents.uploads[0]?.ms ?? 0,
        metricPublished,
      },
      topologyId: { before: before.topologyId, after: after.topologyId },
      maxVolumeId: { manifest: backup.manifest.maxVolumeId, before: before.maxVolumeId, after: after.maxVolumeId, grownAfterRestore: grown },
      fileIds: { before: fileIdsBefore, after: cluster.fileIds.count - fileIdsBefore, duplicates: duplicates.length },
      bucketSettingsAccepted,
    };
  } finally {
    await cluster?.stop();
    await moto?.stop();
  }
}
