/**
 * The Backups component as the engine would see it (under mocks, from the prod stack file): a protected, versioned,
 * KMS-encrypted private bucket with the configured lifecycle and a TLS-only policy, DLM snapshots of the master data
 * volumes, an agent policy that can write only its cluster's prefix, and an alarm on backup age.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { projectKeys, PROJECT } from "../../infra/config";
import { parseConfig } from "../../infra/platforms";
import { Backups } from "../../infra/aws/backup";
import { BACKUP_METRIC } from "../../infra/aws/host/backupNames";
import { RecordedResource, runUnderMocks } from "../../tools/lib/mockGraph";
import { readStackConfig } from "../../tools/lib/stackFiles";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The prod stack's Backups under mocks; `overrides` replace project keys, `awsConfig` adds `aws:` keys. */
async function graph(overrides: Record<string, string> = {}, awsConfig: Record<string, string> = {}): Promise<RecordedResource[]> {
  const stack = readStackConfig("prod");
  const engineConfig = { ...stack.config, ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`${PROJECT}:${k}`, v])), ...awsConfig };
  const config = parseConfig(projectKeys(engineConfig), { stack: "prod" });
  const run = await runUnderMocks(
    async () => {
      new Backups("backups", { settings: config, ssmPrefix: `/seaweed-infra/${config.clusterName}`, instanceRoleName: "masters-role", region: "us-east-1", tags: config.tagMap });
      return {};
    },
    { project: PROJECT, stack: "prod", config: engineConfig },
  );
  return run.resources;
}

function only(resources: RecordedResource[], type: string): RecordedResource {
  const found = resources.filter((r) => r.type === type);
  assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
  return found[0];
}

// Pulumi's mocks are process-global, so the two stacks' graphs are recorded one after the other, up front.
let resources: RecordedResource[] = [];
let withDr: RecordedResource[] = [];
let drWithStackAccess: RecordedResource[] = [];
/** How the stack's own provider reaches the account: a profile, an assumed role, allowed accounts, default tags. */
const STACK_ACCESS = {
  "aws:profile": "storage-prod",
  "aws:assumeRoles": JSON.stringify([{ roleArn: "arn:aws:iam::123456789012:role/deployer", sessionName: "pulumi" }]),
  "aws:allowedAccountIds": JSON.stringify(["123456789012"]),
  "aws:defaultTags": JSON.stringify({ tags: { owner: "storage", "cost-center": "prod-1234" } }),
};
before(async () => {
  resources = await graph();
  withDr = await graph({ backupObjectLockMode: "COMPLIANCE", backupObjectLockDays: "30", backupReplicationRegion: "us-west-2", snapshotCopyRegion: "us-west-2" });
  drWithStackAccess = await graph({ backupReplicationRegion: "us-west-2" }, STACK_ACCESS);
});

describe("backups of the prod stack", () => {
  const inputs = (type: string): Inputs => only(resources, type).inputs;

  it("keep the bucket private, versioned, KMS-encrypted with a bucket key, and protected in prod", () => {
    const bucket = only(resources, "aws:s3/bucket:Bucket");
    assert.equal(bucket.protect, true);
    assert.equal(bucket.inputs.forceDestroy, false);
    assert.deepEqual(inputs("aws:s3/bucketVersioning:BucketVersioning").versioningConfiguration, { status: "Enabled" });
    const [rule] = inputs("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").rules;
    assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
    assert.match(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId, /^arn:aws:kms:/);
    assert.equal(rule.bucketKeyEnabled, true);
    const block = inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(block[flag], true, flag);
    assert.equal(inputs("aws:s3/bucketOwnershipControls:BucketOwnershipControls").rule.objectOwnership, "BucketOwnerEnforced");
  });

  it("deny requests without TLS and uploads asking for another encryption than SSE-KMS", () => {
    const policy = JSON.parse(inputs("aws:s3/bucketPolicy:BucketPolicy").policy) as { Statement: Inputs[] };
    const tls = policy.Statement.find((s) => s.Condition?.Bool?.["aws:SecureTransport"] === "false");
    assert.equal(tls?.Effect, "Deny");
    assert.equal(tls?.Action, "s3:*");
    const kms = policy.Statement.find((s) => s.Condition?.StringNotEquals?.["s3:x-amz-server-side-encryption"] === "aws:kms");
    assert.equal(kms?.Effect, "Deny");
    assert.equal(kms?.Action, "s3:PutObject");
  });

  it("age backups through STANDARD_IA and GLACIER_IR to expiry, drop noncurrent versions, abort stale uploads", () => {
    const rules = inputs("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").rules as Inputs[];
    const aging = rules.find((r) => r.expiration);
    assert.deepEqual(aging?.transitions, [{ days: 30, storageClass: "STANDARD_IA" }, { days: 90, storageClass: "GLACIER_IR" }]);
    assert.deepEqual(aging?.expiration, { days: 365 });
    assert.deepEqual(aging?.noncurrentVersionExpiration, { noncurrentDays: 30 });
    assert.deepEqual(rules.find((r) => r.abortIncompleteMultipartUpload)?.abortIncompleteMultipartUpload, { daysAfterInitiation: 7 });
  });

  it("snapshot the master data volumes with DLM under a role DLM can assume", () => {
    const policy = inputs("aws:dlm/lifecyclePolicy:LifecyclePolicy");
    assert.deepEqual(policy.policyDetails.targetTags, { "seaweedfs:snapshots": "seaweedfs-prod" }, "one tag, on this cluster's data volumes only");
    assert.deepEqual(policy.policyDetails.resourceTypes, ["VOLUME"]);
    const [schedule] = policy.policyDetails.schedules;
    assert.deepEqual([schedule.createRule.interval, schedule.createRule.intervalUnit, schedule.retainRule.count], [12, "HOURS", 14]);
    const role = resources.find((r) => r.type === "aws:iam/role:Role" && JSON.parse(String(r.inputs.assumeRolePolicy)).Statement[0].Principal.Service === "dlm.amazonaws.com");
    assert.ok(role, "a role trusted by dlm.amazonaws.com");
    const managed = resources.find((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && r.inputs.role !== "masters-role");
    assert.match(String(managed?.inputs.policyArn), /service-role\/AWSDataLifecycleManagerServiceRole$/);
  });

  it("let the agent write only its cluster's prefix and publish only its own metric namespace", () => {
    const attachment = resources.find((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && r.inputs.role === "masters-role");
    const agent = resources.find((r) => r.type === "aws:iam/policy:Policy" && r.state.arn === attachment?.inputs.policyArn);
    assert.ok(agent, "a managed policy attached to the masters' role");
    const statements = JSON.parse(String(agent.inputs.policy)).Statement as Inputs[];
    const writes = statements.filter((s) => [s.Action].flat().includes("s3:PutObject"));
    assert.deepEqual(writes.map((s) => s.Resource), [`${only(resources, "aws:s3/bucket:Bucket").state.arn}/seaweedfs-prod/*`]);
    const scripts = resources.filter((r) => r.type === "aws:ssm/parameter:Parameter" && String(r.inputs.name).endsWith("-script"));
    assert.deepEqual(scripts.map((p) => [p.inputs.name, p.inputs.tier]), [["/seaweed-infra/seaweedfs-prod/backup/agent-script", "Advanced"], ["/seaweed-infra/seaweedfs-prod/backup/restore-script", "Advanced"], ["/seaweed-infra/seaweedfs-prod/backup/watch-script", "Advanced"]]);
    const readable = statements.find((s) => s.Action === "ssm:GetParameter")?.Resource as string[];
    for (const p of scripts) assert.ok(readable.includes(String(p.state.arn)), `the agent may read ${String(p.inputs.name)}`);
    const metric = statements.find((s) => s.Action === "cloudwatch:PutMetricData");
    assert.deepEqual(metric?.Condition, { StringEquals: { "cloudwatch:namespace": BACKUP_METRIC.namespace } });
  });

  it("alarm when no backup succeeded for twice the interval, to a KMS-encrypted topic", () => {
    const alarm = inputs("aws:cloudwatch/metricAlarm:MetricAlarm");
    assert.equal(alarm.metricName, BACKUP_METRIC.name);
    assert.equal(alarm.period, 2 * 15 * 60, "twice the default backupIntervalMinutes (15)");
    assert.equal(alarm.treatMissingData, "breaching");
    assert.deepEqual([alarm.statistic, alarm.comparisonOperator, alarm.threshold], ["SampleCount", "LessThanThreshold", 1]);
    const topic = only(resources, "aws:sns/topic:Topic");
    assert.match(String(topic.inputs.kmsMasterKeyId), /^arn:aws:kms:/);
    assert.deepEqual(alarm.alarmActions, [topic.state.arn]);
  });

  it("register no DR bucket or replication unless configured", () => {
    for (const type of ["aws:s3/bucketReplicationConfig:BucketReplicationConfig", "pulumi:providers:aws"]) {
      assert.equal(resources.filter((r) => r.type === type).length, 0, type);
    }
  });

  it("lock every backup version in COMPLIANCE mode for 30 days by default (prod), and register no lock when it is turned off", async () => {
    assert.equal(only(resources, "aws:s3/bucket:Bucket").inputs.objectLockEnabled, true);
    assert.deepEqual(inputs("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").rule, { defaultRetention: { mode: "COMPLIANCE", days: 30 } });
    const off = await graph({ backupObjectLockMode: "", backupObjectLockDays: "0" });
    assert.equal(only(off, "aws:s3/bucket:Bucket").inputs.objectLockEnabled, false);
    assert.equal(off.filter((r) => r.type === "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").length, 0);
  });
});

describe("backups with Object Lock and a DR region", () => {
  it("lock new versions by default and replicate every backup, re-encrypted, to a protected bucket in us-west-2", () => {
    const resources = withDr;
    const buckets = resources.filter((r) => r.type === "aws:s3/bucket:Bucket");
    assert.equal(buckets.length, 2);
    assert.ok(buckets.every((b) => b.protect && b.inputs.objectLockEnabled === true));
    const locks = resources.filter((r) => r.type === "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
    assert.ok(locks.every((l) => (l.inputs as Inputs).rule.defaultRetention.mode === "COMPLIANCE" && (l.inputs as Inputs).rule.defaultRetention.days === 30));
    const provider = only(resources, "pulumi:providers:aws");
    assert.equal(provider.inputs.region, "us-west-2");
    const replication = only(resources, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
    const [rule] = (replication.inputs as Inputs).rules;
    assert.equal(rule.sourceSelectionCriteria.sseKmsEncryptedObjects.status, "Enabled");
    assert.match(rule.destination.encryptionConfiguration.replicaKmsKeyId, /^arn:aws:kms:/);
    const dlm = inputs(resources, "aws:dlm/lifecyclePolicy:LifecyclePolicy");
    assert.equal(dlm.policyDetails.schedules[0].crossRegionCopyRules[0].target, "us-west-2");
    assert.equal(dlm.policyDetails.schedules[0].crossRegionCopyRules[0].encrypted, true);
  });
});

describe("the DR region's provider", () => {
  it("reaches the account as the stack's own provider does: its profile, assumed role, allowed accounts and default tags", () => {
    const provider = only(drWithStackAccess, "pulumi:providers:aws").inputs as Inputs;
    const parsed = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
    assert.equal(provider.region, "us-west-2");
    assert.equal(provider.profile, "storage-prod");
    assert.deepEqual(parsed(provider.assumeRoles), JSON.parse(STACK_ACCESS["aws:assumeRoles"]));
    assert.deepEqual(parsed(provider.allowedAccountIds), ["123456789012"]);
    assert.deepEqual(parsed(provider.defaultTags), { tags: { owner: "storage", "cost-center": "prod-1234" } });
  });

  it("sets nothing the stack does not (negative control)", () => {
    const provider = only(withDr, "pulumi:providers:aws").inputs as Inputs;
    assert.equal(provider.region, "us-west-2");
    assert.deepEqual(["profile", "assumeRoles", "allowedAccountIds", "defaultTags"].filter((k) => provider[k] !== undefined), []);
  });
});

function inputs(resources: RecordedResource[], type: string): Inputs {
  return only(resources, type).inputs;
}
