/**
 * Against a local moto S3: the backup bucket's lifecycle, encryption, public access block, ownership, policy and
 * Object Lock, as the program registers them for prod, are accepted; under prod's COMPLIANCE lock a backup version
 * cannot be deleted (GOVERNANCE yields only to a bypass), and the agent's role (a stolen one included) is granted
 * nothing that could shorten or bypass a retention (judged by the bucket-policy evaluator). The restore lists backups
 * in time order, picks the latest, and refuses a backup whose file does not match its manifest's checksum.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { agentPolicyDocument } from "../../infra/aws/backup/rules";
import { allowedBy } from "../../tools/lib/restore/bucketPolicy";
import { projectKeys, PROJECT } from "../../infra/config";
import { parseConfig } from "../../infra/platforms";
import { Backups } from "../../infra/aws/backup";
import { backupPrefix } from "../../infra/seaweed/backup";
import { renderHostRestoreScript } from "../../infra/aws/host/backupRestore";
import { runUnderMocks, RecordedResource } from "../../tools/lib/mockGraph";
import { readStackConfig } from "../../tools/lib/stackFiles";
import { createBucketWithSettings, dropPolicyForMoto, readBucketSettings, RenderedBucketSettings } from "../../tools/lib/restore/bucketApi";
import { chooseBackup, downloadBackup, listBackups, s3Client } from "../../tools/lib/restore/backups";
import { Moto, MOTO_CREDENTIALS, startMoto, VENV_BIN } from "../../tools/lib/restore/moto";
import { awsCli } from "../../tools/lib/restore/drillBucket";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The prod bucket's settings exactly as the Backups component registers them. */
async function renderedSettings(bucketName: string): Promise<RenderedBucketSettings> {
  const stack = readStackConfig("prod");
  const config = parseConfig(projectKeys(stack.config), { stack: "prod" });
  const { resources } = await runUnderMocks(
    async () => {
      new Backups("backups", { settings: config, ssmPrefix: "/seaweed-infra/x", tags: config.tagMap });
      return {};
    },
    { project: PROJECT, stack: "prod", config: stack.config },
  );
  const one = (type: string): Inputs => resources.find((r: RecordedResource) => r.type === type)!.inputs as Inputs;
  const bucket = resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
  const [sse] = one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").rules;
  const block = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
  return {
    lifecycleRules: one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").rules,
    encryption: { ...sse.applyServerSideEncryptionByDefault, bucketKeyEnabled: sse.bucketKeyEnabled },
    publicAccessBlock: block as RenderedBucketSettings["publicAccessBlock"],
    objectOwnership: one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").rule.objectOwnership,
    // The mocked ARN of the bucket becomes the moto bucket's.
    policy: String(one("aws:s3/bucketPolicy:BucketPolicy").policy).split(String(bucket.state.arn)).join(`arn:aws:s3:::${bucketName}`),
    objectLock: (bucket.inputs as Inputs).objectLockEnabled ? one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").rule.defaultRetention : undefined,
  };
}

let moto: Moto;
let s3: S3Client;
before(async () => {
  moto = await startMoto();
  s3 = s3Client({ endpoint: moto.endpoint, region: "us-east-1", credentials: MOTO_CREDENTIALS });
});
after(async () => {
  await moto?.stop();
});

describe("the backup bucket on S3 (moto)", () => {
  it("accepts the lifecycle, encryption, public access block, ownership and policy the program renders", async () => {
    const settings = await renderedSettings("prod-backups");
    await createBucketWithSettings(s3, "prod-backups", settings);
    const stored = await readBucketSettings(s3, "prod-backups");
    assert.deepEqual(stored.lifecycleRuleIds, ["age-backups", "abort-incomplete-multipart-uploads"]);
    assert.deepEqual(stored.transitions, ["STANDARD_IA@30", "GLACIER_IR@90"]);
    assert.equal(stored.sseAlgorithm, "aws:kms");
    assert.equal(stored.bucketKey, true);
    assert.deepEqual(JSON.parse(stored.policy!), JSON.parse(settings.policy));
    assert.deepEqual(stored.objectLock, { mode: "COMPLIANCE", days: 30 }, "prod's default Object Lock");
  });
});

describe("Object Lock on the backup bucket (moto)", () => {
  /** Uploads one backup object to a new bucket locked in `mode`; returns its key and first version. */
  async function lockedObject(bucket: string, mode: "GOVERNANCE" | "COMPLIANCE") {
    const settings = await renderedSettings(bucket);
    await createBucketWithSettings(s3, bucket, { ...settings, objectLock: { mode, days: 30 } });
    await dropPolicyForMoto(s3, bucket);
    const key = "seaweedfs-prod/2026-12-08/20261208T000000Z/raft/logs.dat";
    const first = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "the raft log" }));
    return { key, versionId: first.VersionId! };
  }
  const body = async (bucket: string, key: string, versionId?: string) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))).Body!.transformToString();

  it("COMPLIANCE: a backup version can be neither deleted nor replaced, whatever the request says", async () => {
    const { key, versionId } = await lockedObject("prod-locked", "COMPLIANCE");
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: "prod-locked", Key: key, VersionId: versionId })), /AccessDenied/);
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: "prod-locked", Key: key, VersionId: versionId, BypassGovernanceRetention: true })), /AccessDenied/);
    // An overwrite (a mistake, or a stolen role's tamper) only adds a version: the backup is still there.
    await s3.send(new PutObjectCommand({ Bucket: "prod-locked", Key: key, Body: "truncated" }));
    assert.equal(await body("prod-locked", key, versionId), "the raft log");
  });

  it("GOVERNANCE: refuses a plain delete, yields to a bypass (the negative control of the COMPLIANCE check)", async () => {
    const { key, versionId } = await lockedObject("staging-locked", "GOVERNANCE");
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: "staging-locked", Key: key, VersionId: versionId })), /AccessDenied/);
    await s3.send(new DeleteObjectCommand({ Bucket: "staging-locked", Key: key, VersionId: versionId, BypassGovernanceRetention: true }));
    await assert.rejects(body("staging-locked", key, versionId), /NoSuchVersion|NoSuchKey/);
  });

  it("the agent's role may write and read its prefix, and is granted nothing that deletes, shortens or bypasses a retention", () => {
    const bucketArn = "arn:aws:s3:::prod-locked";
    const agent = agentPolicyDocument({ bucketArn, clusterName: "seaweedfs-prod", kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k", parameterArns: [] });
    const request = (action: string) => ({ action, resource: `${bucketArn}/seaweedfs-prod/2026-12-08/20261208T000000Z/raft/logs.dat`, context: {}, summary: action });
    assert.deepEqual(allowedBy(agent, request("s3:PutObject")), ["WriteAndReadOwnBackups"], "the evaluator sees the grant it has");
    for (const action of ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention", "s3:PutObjectRetention", "s3:PutObjectLegalHold"]) {
      assert.deepEqual(allowedBy(agent, request(action)), [], action);
    }
    assert.deepEqual(allowedBy(agent, { ...request("s3:PutBucketObjectLockConfiguration"), resource: bucketArn }), []);
  });
});

describe("choosing and downloading a backup", () => {
  const cluster = "drill";
  const bucket = "restore-choice";
  const put = (key: string, body: string | Buffer) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const sha = (b: string) => createHash("sha256").update(b).digest("hex");
  async function backup(stamp: string, content: string, manifestSha = sha(content)): Promise<string> {
    const prefix = backupPrefix(cluster, stamp);
    await put(`${prefix}/raft/logs.dat`, content);
    const manifest = { format: 1, cluster, slot: 0, topologyId: "t-1", maxVolumeId: 4, port: 9333, createdAt: stamp, files: [{ path: "logs.dat", sha256: manifestSha, bytes: content.length }] };
    await put(`${prefix}/manifest.json`, JSON.stringify(manifest));
    return prefix;
  }

  it("lists complete backups oldest first, picks the latest or a named one, and refuses a tampered file", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const older = await backup("20261124T235959Z", "old log");
    const tampered = await backup("20261125T000500Z", "new log", sha("what the agent hashed"));
    await put(`${backupPrefix(cluster, "20261125T001000Z")}/raft/logs.dat`, "upload cut short: no manifest");
    const store = { client: s3, bucket, cluster };
    const listed = await listBackups(store);
    assert.deepEqual(listed, [older, tampered]);
    assert.equal(chooseBackup(listed, "latest"), tampered);
    assert.equal(chooseBackup(listed, "20261124T235959Z"), older);
    assert.throws(() => chooseBackup(listed, "20200101T000000Z"), /not found/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "restore-choice-"));
    try {
      await assert.rejects(downloadBackup(store, tampered, dir), /logs\.dat has sha256 .* refusing to restore it/);
      const good = await downloadBackup(store, older, dir);
      assert.equal(fs.readFileSync(path.join(good.raftDir, "logs.dat"), "utf8"), "old log");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the host restore script (seaweedfs-restore) against moto", () => {
  it("fetches and verifies a backup, refuses a tampered one, and installs into a stopped master's -mdir keeping the old state", async () => {
    const run = promisify(execFile);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "host-restore-"));
    try {
      await awsCli(moto, ["ssm", "put-parameter", "--name", "/seaweed-infra/drill/backup/bucket", "--type", "String", "--value", "restore-choice"]);
      const script = path.join(dir, "seaweedfs-restore");
      const mdir = path.join(dir, "mdir");
      fs.writeFileSync(script, renderHostRestoreScript({ clusterName: "drill", port: 9333, mdir, ssmPrefix: "/seaweed-infra/drill", region: "us-east-1", stagingDir: path.join(dir, "staging") }));
      // `false` as systemctl: is-active says "not running", so install proceeds; the files belong to the test's user.
      const env = { ...process.env, ...moto.env, PATH: `${VENV_BIN}:${process.env.PATH}`, SEAWEEDFS_RESTORE_SYSTEMCTL: "false", SEAWEEDFS_RESTORE_OWNER: String(os.userInfo().username) };
      const restore = (...args: string[]) => run("bash", [script, ...args], { env, timeout: 60_000 });
      const listed = (await restore("list")).stdout.trim().split("\n");
      assert.deepEqual(listed, ["drill/2026-11-24/20261124T235959Z", "drill/2026-11-25/20261125T000500Z"]);
      await assert.rejects(restore("fetch", "latest"), /logs\.dat has sha256 .* refusing it/);
      await assert.rejects(restore("install"), /nothing fetched/);
      fs.mkdirSync(path.join(mdir, "m9333"), { recursive: true });
      fs.writeFileSync(path.join(mdir, "m9333", "logs.dat"), "state before the restore");
      assert.match((await restore("fetch", "20261124T235959Z")).stdout, /verified 1 files; TopologyId t-1, MaxVolumeId 4/);
      assert.match((await restore("install")).stdout, /installed drill\/2026-11-24\/20261124T235959Z/);
      assert.equal(fs.readFileSync(path.join(mdir, "m9333", "logs.dat"), "utf8"), "old log");
      const kept = fs.readdirSync(mdir).find((d) => d.startsWith("m9333.before-restore-"));
      assert.ok(kept, "the previous raft directory is kept aside");
      assert.equal(fs.readFileSync(path.join(mdir, kept, "logs.dat"), "utf8"), "state before the restore");
      // A quorum recovery's rejoining slot: its state moved aside, none left (the leader then admits it empty).
      assert.match((await restore("set-aside")).stdout, /moved .*m9333 aside/);
      assert.equal(fs.existsSync(path.join(mdir, "m9333")), false);
      assert.equal(fs.readdirSync(mdir).filter((d) => d.startsWith("m9333.before-restore-")).length, 2, "both earlier raft directories are kept");
      assert.match((await restore("set-aside")).stdout, /no raft directory at/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("npm run restore (operator's machine) against moto", () => {
  it("lists the stack's backups, verifies one, and prints the restore steps with --dry-run without touching a master", async () => {
    const run = promisify(execFile);
    const bucket = "dev-backups";
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const prefix = backupPrefix("seaweedfs-dev", "20261125T101500Z");
    const content = "raft log";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/raft/logs.dat`, Body: content }));
    const manifest = { format: 1, cluster: "seaweedfs-dev", slot: 1, topologyId: "topo-dev", maxVolumeId: 9, port: 9333, createdAt: "2026-11-25T10:15:00Z", seaweedfsVersion: "4.44", files: [{ path: "logs.dat", sha256: createHash("sha256").update(content).digest("hex"), bytes: content.length }] };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/manifest.json`, Body: JSON.stringify(manifest) }));
    const cli = (...args: string[]) => run(process.execPath, ["--import", "tsx", "tools/restore.ts", ...args, "--stack", "dev", "--bucket", bucket, "--endpoint", moto.endpoint, "--json"], { env: { ...process.env, ...moto.env }, timeout: 120_000 });
    assert.deepEqual(JSON.parse((await cli("list")).stdout), [prefix]);
    const verified = JSON.parse((await cli("verify", "--backup", "20261125T101500Z")).stdout);
    assert.equal(verified.manifest.topologyId, "topo-dev");
    const plan = JSON.parse((await cli("run", "--dry-run")).stdout);
    assert.equal(plan.backup, prefix);
    assert.equal(plan.steps.filter((s: string) => s.startsWith("stop master")).length, 3);
    assert.match(plan.steps.at(-1), /TopologyId topo-dev, MaxVolumeId >= 9/);
    await assert.rejects(cli("run", "--backup", "20200101T000000Z", "--dry-run"), /not found/);
  });
});
