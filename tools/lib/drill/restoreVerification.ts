/**
 * The restore-verification drill (AWS stacks): the verifier script the Backups component puts in SSM, rendered by the
 * same function from the drill's loopback argv, run as systemd runs it on slot 0 (its launcher fetching it from a local
 * moto, the slot's environment file, root) against a real backup the real agent took. It must verify the backup,
 * publish what the alarms watch, and leave the live cluster's raft alone: leader, term and membership are sampled
 * every 200 ms throughout and must not move. Then the tamper controls: a new backup whose log is truncated (the
 * checksums catch it), and one truncated with its manifest rewritten to match (only the scratch restore catches it);
 * both must fail the verification and put the failure alarm (replayed by policies/rules/alarmMath.ts on what moto
 * received) in ALARM.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import type { SeaweedConfig } from "../../../infra/platforms";
import { ssmPrefixOf } from "../../../infra/aws/naming";
import { regionOfZones } from "../../../infra/config/keys-backup";
import { BACKUP_LAYOUT, BackupManifest } from "../../../infra/seaweed/backup";
import type { VerificationResult } from "../../../infra/seaweed/restoreVerification";
import { BACKUP_METRIC, BACKUP_PARAMETERS, RESTORE_VERIFIER_SLOT, VERIFICATION_METRICS } from "../../../infra/aws/host/backupNames";
import { renderBackupEnv, renderLauncher } from "../../../infra/aws/host/backupAgent";
import { renderRestoreVerifierScript } from "../../../infra/aws/host/restoreVerifier";
import { verificationAlarms } from "../../../infra/aws/backup/verificationAlarms";
import { alarmMathOf, evaluateAlarm, type Datapoint } from "../../../policies/rules/alarmMath";
import type { LocalCluster } from "../localCluster";
import { weedBinary } from "../cluster/weed";
import { request } from "../cluster/http";
import { downloadBackup, s3Client } from "../restore/backups";
import { leakyScratchTier, type LeakResult } from "./isolationLeak";
import { MIN_WINDOW_MS, WINDOW_FACTOR } from "./security";
import { awsCli, prepareBackupBucket } from "../restore/drillBucket";
import { runHostAgents } from "../restore/hostAgent";
import { MOTO_CREDENTIALS, startMoto, VENV_BIN, type Moto } from "../restore/moto";
import { RaftView, watchRaft } from "./raftWatch";
import { electionBoundMs, expect, Scenario } from "./types";

const run = promisify(execFile);

/** One run of the verifier: its exit code, its result line and how long it took. */
export interface VerifierRun {
  code: number;
  result: VerificationResult;
  ms: number;
  stderr: string;
}

export interface VerificationFigures {
  verified: VerifierRun;
  /** Distinct raft views of the live cluster while the verification ran (one: nothing moved). */
  liveViews: RaftView[];
  metrics: { lastVerified: number; seconds: number; failed: number };
  alarms: { ageAfterVerification: boolean; failedAfterVerification: boolean };
  /** The negative control: the scratch tier with a path to a live master moved the live raft. */
  leak: LeakResult;
  /** TLS stacks: the same path out with the scratch masters as the verifier starts them (the live raft must not move). */
  leakAsVerifier?: LeakResult;
  tamper: { truncated: VerifierRun; consistent: VerifierRun; failedAlarm: boolean; failuresPublished: number };
}

/** Runs the verifier the way slot 0's systemd unit does: its launcher, its environment file, as root. */
/**
 * The verifier's home directory: on the host weed finds the slot's own security.toml (its master certificate) in
 * /etc/seaweedfs whatever its working directory; here the same file is in ~/.seaweedfs, which weed searches first.
 */
function verifierHome(cluster: LocalCluster): string {
  const home = path.join(cluster.runDir, "verify-home");
  if (!fs.existsSync(home)) {
    fs.mkdirSync(home);
    fs.symlinkSync(cluster.master(RESTORE_VERIFIER_SLOT).dir, path.join(home, ".seaweedfs"));
  }
  return home;
}

async function runVerifier(cluster: LocalCluster, moto: Moto, region: string): Promise<VerifierRun> {
  const slot = cluster.master(RESTORE_VERIFIER_SLOT);
  const launcher = path.join(cluster.runDir, "seaweedfs-verify-restore");
  fs.writeFileSync(launcher, renderLauncher(`${ssmPrefixOf(cluster.config.clusterName)}/${BACKUP_PARAMETERS.verifyScript}`, "seaweedfs-verify-restore", region), { mode: 0o700 });
  const slotEnv = Object.fromEntries(renderBackupEnv(slot.slot, slot.ip, cluster.plan.settings.port).trim().split("\n").map((line) => line.split("=", 2)));
  const stateDirectory = path.join(cluster.runDir, "verify-state");
  const env = { ...process.env, ...moto.env, ...slotEnv, HOME: verifierHome(cluster), STATE_DIRECTORY: stateDirectory, SEAWEEDFS_WEED: weedBinary(), PATH: `${VENV_BIN}:${process.env.PATH}`, TMPDIR: cluster.runDir };
  const started = Date.now();
  let out: { stdout: string; stderr: string; code: number };
  try {
    const { stdout, stderr } = await run("bash", [launcher], { env, timeout: 300_000 });
    out = { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    out = { stdout: e.stdout ?? "", stderr: e.stderr ?? String(error), code: typeof e.code === "number" ? e.code : -1 };
  }
  const line = out.stdout.trim().split("\n").pop() ?? "";
  let result: VerificationResult;
  try {
    result = JSON.parse(line) as VerificationResult;
  } catch {
    throw new Error(`the verifier printed no result (exit ${out.code}): ${out.stdout} ${out.stderr}`);
  }
  return { code: out.code, result, ms: Date.now() - started, stderr: out.stderr };
}

/** The per-minute maximum of one verifier metric as moto holds it (each minute with data is one datapoint). */
async function published(moto: Moto, region: string, cluster: string, metric: string, since: number): Promise<Datapoint[]> {
  const cw = new CloudWatchClient({ endpoint: moto.endpoint, region, credentials: MOTO_CREDENTIALS });
  const answer = await cw.send(
    new GetMetricStatisticsCommand({
      Namespace: BACKUP_METRIC.namespace,
      MetricName: metric,
      Dimensions: [{ Name: BACKUP_METRIC.dimension, Value: cluster }],
      StartTime: new Date(since - 60_000),
      EndTime: new Date(Date.now() + 60_000),
      Period: 60,
      Statistics: ["Maximum"],
    }),
  );
  return (answer.Datapoints ?? []).map((d) => ({ t: d.Timestamp!.getTime(), value: d.Maximum! })).sort((a, b) => a.t - b.t);
}

/** Replays one rendered alarm at `at` over its own evaluation range; true when it is in ALARM then. */
function alarmsAt(alarm: ReturnType<typeof verificationAlarms>["age"], series: readonly Datapoint[], at: number): boolean {
  const math = alarmMathOf(alarm as unknown as Record<string, unknown>);
  const periodMs = alarm.period * 1000;
  const start = at - alarm.evaluationPeriods * periodMs;
  return evaluateAlarm(math, () => series, start, periodMs, alarm.evaluationPeriods).firstAlarmPeriod === alarm.evaluationPeriods - 1;
}

/** A new backup by the agent, then its raft log truncated in S3; `consistent` also rewrites the manifest to match. */
async function tamperedBackup(cluster: LocalCluster, moto: Moto, region: string, bucket: string, consistent: boolean): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 1100)); // a new stamp (whole seconds)
  const agents = await runHostAgents(cluster, moto, region);
  expect(agents.uploads.length === 1, `expected the leader's upload: ${JSON.stringify(agents)}`);
  const prefix = agents.uploads[0].prefix;
  const s3 = s3Client({ endpoint: moto.endpoint, region, credentials: MOTO_CREDENTIALS });
  const get = async (key: string) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
  const manifest = JSON.parse((await get(`${prefix}/${BACKUP_LAYOUT.manifest}`)).toString("utf8")) as BackupManifest;
  const log = manifest.files.find((f) => f.path.endsWith("logs.dat"));
  expect(log, `the backup holds no logs.dat: ${JSON.stringify(manifest.files)}`);
  const key = `${prefix}/${BACKUP_LAYOUT.raftFolder}/${log.path}`;
  const truncated = (await get(key)).subarray(0, 4096 + 17);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: truncated }));
  if (consistent) {
    log.sha256 = createHash("sha256").update(truncated).digest("hex");
    log.bytes = truncated.length;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${BACKUP_LAYOUT.manifest}`, Body: JSON.stringify(manifest, null, 2) }));
  }
  return prefix;
}

export async function restoreVerificationDrill(cluster: LocalCluster, step: (line: string) => void): Promise<VerificationFigures> {
  const config = cluster.config as SeaweedConfig;
  const region = regionOfZones(config.availabilityZones) ?? "us-east-1";
  step("starting moto (S3, SSM, CloudWatch) on 127.0.0.1");
  const moto = await startMoto(region);
  try {
    const s3 = s3Client({ endpoint: moto.endpoint, region, credentials: MOTO_CREDENTIALS });
    const { bucket } = await prepareBackupBucket(moto, s3, config);
    // What the Backups component stores, from the same function, with the drill's loopback argv.
    const script = renderRestoreVerifierScript({
      clusterName: config.clusterName,
      port: config.httpPort,
      masters: cluster.masters.map((m) => ({ slot: m.slot, host: m.ip, args: m.args })),
      ssmPrefix: ssmPrefixOf(config.clusterName),
      region,
      intervalHours: config.restoreVerifyIntervalHours,
      afterBackup: config.restoreVerifyAfterBackup,
    });
    await awsCli(moto, ["ssm", "put-parameter", "--name", `${ssmPrefixOf(config.clusterName)}/${BACKUP_PARAMETERS.verifyScript}`, "--type", "String", "--tier", "Advanced", "--value", script]);
    for (let i = 0; i < 5; i++) expect((await cluster.assign()).stored, `write ${i} before the backup failed`);
    const grew = await request(`${cluster.master((await cluster.dirStatus()).leader).httpUrl}/vol/grow?count=1&replication=${config.defaultReplication}`, { timeoutMs: 10_000 });
    expect(grew.status === 200, `growing a volume failed: ${grew.status} ${grew.body}`);
    step("the scheduled backup by the agent on every master");
    const agents = await runHostAgents(cluster, moto, region);
    expect(agents.uploads.length === 1, `expected one upload (the leader's): ${JSON.stringify(agents)}`);

    step(`verifying the newest backup on slot ${RESTORE_VERIFIER_SLOT}'s behalf, the live raft sampled every 200 ms`);
    const since = Date.now();
    const watch = watchRaft(cluster);
    const verified = await runVerifier(cluster, moto, region);
    const liveViews = await watch.stop();
    expect(verified.code === 0 && verified.result.result === "verified", `the verifier did not verify the backup: exit ${verified.code}, ${JSON.stringify(verified.result)}\n${verified.stderr}`);
    expect(verified.result.isolated, "the verifier did not run in an isolated namespace");
    const live = await cluster.dirStatus();
    expect(verified.result.scratch?.topologyId === live.topologyId, `the scratch tier's TopologyId ${verified.result.scratch?.topologyId}, live ${live.topologyId}`);
    expect(liveViews.length === 1, `the live cluster's raft moved during the verification: ${JSON.stringify(liveViews)}`);
    const [lastVerified, seconds, failed] = await Promise.all([VERIFICATION_METRICS.lastVerified, VERIFICATION_METRICS.seconds, VERIFICATION_METRICS.failed].map((m) => published(moto, region, config.clusterName, m, since)));
    expect(lastVerified.length === 1 && seconds.length === 1 && failed.length === 1 && failed[0].value === 0, `the verifier's metrics: ${JSON.stringify({ lastVerified, seconds, failed })}`);
    const alarms = verificationAlarms(config);
    const now = Date.now() + 60_000;
    const ageAfterVerification = alarmsAt(alarms.age, lastVerified, now);
    const failedAfterVerification = alarmsAt(alarms.failed, failed, now);
    expect(!ageAfterVerification && !failedAfterVerification, `an alarm fires after a verified restore: age ${ageAfterVerification}, failed ${failedAfterVerification}`);
    // Negative control of the age alarm: the same samples, judged once the limit has passed without another success.
    expect(alarmsAt(alarms.age, lastVerified, lastVerified[0].t + (alarms.age.evaluationPeriods + 1) * alarms.age.period * 1000), "the age alarm would not fire once the last verified restore is older than its limit");
    step(`verified in ${(verified.ms / 1000).toFixed(1)} s; the live leader, term and membership did not move`);

    step(`isolation control: the same scratch tier with one path out, to slot ${RESTORE_VERIFIER_SLOT}'s live master`);
    const backup = await downloadBackup({ client: s3, bucket, cluster: config.clusterName }, verified.result.backup, path.join(cluster.runDir, "leak-backup"));
    const leak = await leakyScratchTier(cluster, backup.raftDir, RESTORE_VERIFIER_SLOT, electionBoundMs(cluster));
    expect(leak.movedAfterMs !== undefined, `with a path out of the namespace the live raft still did not move (${JSON.stringify(leak)}): the isolation check proves nothing`);
    step(`with that path the live cluster moved after ${leak.movedAfterMs} ms: term ${leak.before.term} -> ${leak.after.term}, leaders ${leak.before.leaders.join(",")} -> ${leak.after.leaders.join(",")}`);
    await cluster.waitForQuorum(electionBoundMs(cluster));
    // With TLS, the scratch masters' own security.toml (empty) is a second layer: the same path out, and they hold no
    // certificate. Watched as the security drill watches a refused attack: at least 10 s and 3x what the leak took.
    let leakAsVerifier: LeakResult | undefined;
    if (cluster.tls) {
      const windowMs = Math.max(MIN_WINDOW_MS, WINDOW_FACTOR * leak.movedAfterMs);
      step(`TLS layer: the same path out, the scratch masters started as the verifier starts them (no certificate), watched for ${(windowMs / 1000).toFixed(1)} s`);
      leakAsVerifier = await leakyScratchTier(cluster, backup.raftDir, RESTORE_VERIFIER_SLOT, windowMs, { home: verifierHome(cluster) });
      expect(leakAsVerifier.movedAfterMs === undefined, `scratch masters started as the verifier starts them moved the live raft through the path out after ${leakAsVerifier.movedAfterMs} ms: they spoke its TLS (${JSON.stringify(leakAsVerifier)})`);
      step(`the live raft stayed at term ${leakAsVerifier.after.term} for ${(windowMs / 1000).toFixed(1)} s: without a certificate the scratch masters could not reach it`);
    }

    step("tamper control 1: a new backup whose raft log is truncated in S3");
    await tamperedBackup(cluster, moto, region, bucket, false);
    const truncated = await runVerifier(cluster, moto, region);
    expect(truncated.code !== 0 && truncated.result.result === "failed", `a truncated backup passed: ${JSON.stringify(truncated.result)}`);
    step(`refused: ${truncated.result.reasons?.join("; ")}`);
    step("tamper control 2: a new backup truncated with its manifest rewritten to match (only the scratch restore can tell)");
    await tamperedBackup(cluster, moto, region, bucket, true);
    const consistent = await runVerifier(cluster, moto, region);
    expect(consistent.code !== 0 && consistent.result.result === "failed", `a consistently tampered backup passed: ${JSON.stringify(consistent.result)}`);
    expect(consistent.result.manifest !== undefined && !(consistent.result.reasons ?? []).some((r) => r.includes("sha256")), `the checksums, not the restore, refused the consistent tamper: ${JSON.stringify(consistent.result)}`);
    step(`refused: ${consistent.result.reasons?.join("; ")}`);
    const failures = await published(moto, region, config.clusterName, VERIFICATION_METRICS.failed, since);
    const failedAlarm = alarmsAt(alarms.failed, failures, Date.now() + 60_000);
    expect(failedAlarm, `the failure alarm does not fire on what the verifier published: ${JSON.stringify(failures)}`);
    return {
      verified,
      liveViews,
      metrics: { lastVerified: lastVerified[0].value, seconds: seconds[0].value, failed: failed[0].value },
      alarms: { ageAfterVerification, failedAfterVerification },
      leak,
      leakAsVerifier,
      tamper: { truncated, consistent, failedAlarm, failuresPublished: failures.filter((d) => d.value === 1).length },
    };
  } finally {
    await moto.stop();
  }
}

/** The `restore-verification` scenario of `npm run drill`: the verifier's result and duration are in the report. */
export const restoreVerification: Scenario = {
  id: "restore-verification",
  title: "the production restore verifier (slot 0's timer) on a real backup: verified in an isolated scratch tier with the live raft untouched, and truncated or tampered backups refused with the failure alarm firing",
  platforms: ["aws"],
  async run({ cluster, step }) {
    await cluster.waitForQuorum();
    const f = await restoreVerificationDrill(cluster, step);
    return {
      extra: {
        restoreVerificationMs: f.verified.ms,
        restoreVerificationSeconds: f.verified.result.seconds,
        restoreVerified: f.verified.result.result === "verified" ? 1 : 0,
        liveRaftViews: f.liveViews.length,
        leakMovedLiveRaftMs: f.leak.movedAfterMs ?? -1,
        ...(f.leakAsVerifier ? { leakWithoutCertificateMovedLiveRaft: f.leakAsVerifier.movedAfterMs === undefined ? 0 : 1 } : {}),
        tamperedRefused: [f.tamper.truncated, f.tamper.consistent].filter((r) => r.result.result === "failed").length,
      },
      restoreVerifications: [f.verified.result, f.tamper.truncated.result, f.tamper.consistent.result],
      notes: [
        `verified ${f.verified.result.backup} in ${(f.verified.ms / 1000).toFixed(1)} s: scratch leader ${f.verified.result.scratch?.leaderSlot}, TopologyId ${f.verified.result.scratch?.topologyId} (live ${f.verified.result.liveTopologyId}), MaxVolumeId ${f.verified.result.scratch?.maxVolumeId} (manifest ${f.verified.result.manifest?.maxVolumeId}); the live raft did not move`,
        `isolation control: with one path from the scratch namespace to a live master, the live raft moved after ${f.leak.movedAfterMs} ms (term ${f.leak.before.term} -> ${f.leak.after.term})`,
        ...(f.leakAsVerifier ? [`TLS layer: through the same path, scratch masters without a certificate (as the verifier starts them) left the live raft at term ${f.leakAsVerifier.after.term}`] : []),
        `truncated backup refused: ${f.tamper.truncated.result.reasons?.join("; ")}`,
        `consistently tampered backup refused: ${f.tamper.consistent.result.reasons?.join("; ")}; the failure alarm fires`,
      ],
    };
  },
};

