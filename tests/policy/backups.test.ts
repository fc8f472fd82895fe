/**
 * Backup policies apply only when the stack has backups: the bucket is versioned, KMS-encrypted, closed to the
 * public, TLS-only and retains objects long enough; a DLM policy snapshots the master data volumes.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { bucketEncryption, bucketLifecycle, bucketObjectLock, bucketPublicAccessBlock, bucketTlsOnly, bucketVersioning, volumeSnapshots } from "../../policies/rules/backups";
import { healthyStack, messages, runOne } from "./fixtures";

const S3 = "aws:s3/";
const ALL = [bucketVersioning, bucketEncryption, bucketPublicAccessBlock, bucketTlsOnly, bucketLifecycle, bucketObjectLock, volumeSnapshots];

describe("backup policies on the compliant tier", () => {
  for (const policy of ALL) {
    it(`${policy.name} passes with backups and is not applicable without`, async () => {
      assert.equal((await runOne(policy, healthyStack())).verdict, "pass");
      assert.equal((await runOne(policy, healthyStack({ backups: false }))).verdict, "not applicable");
    });
  }
});

function only(type: string) {
  const g = healthyStack();
  return { g, r: g.one(`${S3}${type}`) };
}

describe("backup bucket policies", () => {
  it("refuses suspended versioning, naming the bucket", async () => {
    const { g, r } = only("bucketVersioning:BucketVersioning");
    r.props.versioningConfiguration = { status: "Suspended" };
    const result = await runOne(bucketVersioning, g);
    assert.equal(result.violations[0].resource, g.one(`${S3}bucket:Bucket`).urn);
    assert.match(messages(result), /seaweedfs-test-backups \(aws:s3\/bucket:Bucket\): versioning is not enabled/);
  });

  it("refuses SSE-S3 (AES256) and asks for a customer key when configured", async () => {
    const { g, r } = only("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
    assert.deepEqual((await runOne(bucketEncryption, g, { requireCustomerKey: true })).violations, []);
    r.props.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }];
    assert.match(messages(await runOne(bucketEncryption, g)), /no KMS default encryption \(found AES256\)/);
    r.props.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }];
    assert.match(messages(await runOne(bucketEncryption, g, { requireCustomerKey: true })), /AWS managed key/);
  });

  it("refuses a missing or partial public access block", async () => {
    const { g, r } = only("bucketPublicAccessBlock:BucketPublicAccessBlock");
    r.props.restrictPublicBuckets = false;
    assert.match(messages(await runOne(bucketPublicAccessBlock, g)), /leaves restrictPublicBuckets off/);
    g.remove(r);
    assert.match(messages(await runOne(bucketPublicAccessBlock, g)), /no public access block/);
  });

  it("refuses a bucket policy without the TLS-only deny", async () => {
    const { g, r } = only("bucketPolicy:BucketPolicy");
    r.props.policy = JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Condition: { Bool: { "aws:SecureTransport": "false" } } }] });
    assert.match(messages(await runOne(bucketTlsOnly, g)), /no bucket policy statement denies requests without TLS/);
  });

  it("refuses retention below minRetentionDays, for current and noncurrent versions", async () => {
    const { g } = only("bucketLifecycleConfiguration:BucketLifecycleConfiguration");
    const result = await runOne(bucketLifecycle, g, { minRetentionDays: 60 });
    assert.match(messages(result), /rule retain expires noncurrent versions after 30 days: fewer than minRetentionDays 60/);
    assert.doesNotMatch(messages(result), /expires objects/);
    assert.match(messages(await runOne(bucketLifecycle, g, { minRetentionDays: 120 })), /rule retain expires objects after 90 days; rule retain expires noncurrent/);
  });

  it("refuses a prod bucket without Object Lock, with GOVERNANCE, or with too short a retention", async () => {
    const prod = { requiredMode: "COMPLIANCE", minDays: 30 };
    assert.deepEqual((await runOne(bucketObjectLock, healthyStack(), prod)).violations, [], "COMPLIANCE for 30 days passes prod's rule");
    const { g, r } = only("bucketObjectLockConfiguration:BucketObjectLockConfiguration");
    r.props.rule = { defaultRetention: { mode: "GOVERNANCE", days: 30 } };
    assert.match(messages(await runOne(bucketObjectLock, g, prod)), /seaweedfs-test-backups \(aws:s3\/bucket:Bucket\): default retention mode GOVERNANCE, COMPLIANCE required$/);
    assert.deepEqual((await runOne(bucketObjectLock, g)).violations, [], "GOVERNANCE passes where GOVERNANCE is enough");
    r.props.rule = { defaultRetention: { mode: "COMPLIANCE", days: 7 } };
    assert.match(messages(await runOne(bucketObjectLock, g, prod)), /default retention of 7 days, fewer than minDays 30$/);
    r.props.rule = { defaultRetention: { mode: "COMPLIANCE", years: 1 } };
    assert.deepEqual((await runOne(bucketObjectLock, g, prod)).violations, [], "a retention in years counts as days");
    g.remove(r);
    assert.match(messages(await runOne(bucketObjectLock, g, prod)), /no Object Lock default retention/);
    g.one(`${S3}bucket:Bucket`).props.objectLockEnabled = false;
    assert.match(messages(await runOne(bucketObjectLock, g)), /Object Lock is not enabled/);
  });

  it("joins settings to their bucket through the bucket dependency, not the bucket name", async () => {
    const g = healthyStack();
    const other = g.add("aws:s3/bucket:Bucket", "other", { bucket: "other" }, { parent: g.one("seaweed:aws:Backups") });
    const result = await runOne(bucketVersioning, g);
    assert.deepEqual(result.violations.map((v) => v.resource), [other.urn]);
  });
});

describe("policy seaweedfs-backup-volume-snapshots", () => {
  it("passes a DLM policy that selects exactly the master data volumes", async () => {
    assert.equal((await runOne(volumeSnapshots, healthyStack())).violations.length, 0);
  });

  it("refuses a DLM policy that selects other volumes, or no DLM policy at all", async () => {
    const g = healthyStack();
    const dlm = g.one("aws:dlm/lifecyclePolicy:LifecyclePolicy");
    (dlm.props.policyDetails as { targetTags: Record<string, string> }).targetTags = { "seaweedfs:role": "volume-server" };
    assert.match(messages(await runOne(volumeSnapshots, g)), /no enabled DLM policy selects every master data volume \(seaweedfs:role=master-data\) \(not selected by seaweedfs-test-snapshots: seaweedfs-test-master-0-data/);
    g.remove(dlm);
    assert.match(messages(await runOne(volumeSnapshots, g)), /no enabled DLM policy selects every master data volume \(seaweedfs:role=master-data\)$/);
  });

  it("refuses a stack whose master volumes lack the data-volume tag (snapshots of nothing)", async () => {
    const g = healthyStack();
    for (const v of g.all("aws:ebs/volume:Volume")) delete (v.props.tags as Record<string, string>)["seaweedfs:role"];
    assert.match(messages(await runOne(volumeSnapshots, g)), /no volume carries seaweedfs:role=master-data/);
  });

  it("refuses target tags that instance root volumes carry too (DLM takes a volume with any target tag)", async () => {
    const g = healthyStack();
    const dlm = g.one("aws:dlm/lifecyclePolicy:LifecyclePolicy");
    (dlm.props.policyDetails as { targetTags: Record<string, string> }).targetTags = { "seaweedfs:snapshots": "seaweedfs-test", "seaweedfs:cluster": "seaweedfs-test" };
    const lt = g.all("aws:ec2/launchTemplate:LaunchTemplate")[0];
    lt.props.tagSpecifications = [{ resourceType: "volume", tags: { "seaweedfs:cluster": "seaweedfs-test" } }];
    const result = await runOne(volumeSnapshots, g);
    assert.deepEqual(result.violations.map((v) => v.resource), [dlm.urn]);
    assert.match(messages(result), new RegExp(`also snapshots instance root volumes: a target tag is on the root volumes of ${lt.name}`));
  });

  it("refuses a disabled DLM policy", async () => {
    const g = healthyStack();
    g.one("aws:dlm/lifecyclePolicy:LifecyclePolicy").props.state = "DISABLED";
    assert.equal((await runOne(volumeSnapshots, g)).violations.length, 1);
  });
});
