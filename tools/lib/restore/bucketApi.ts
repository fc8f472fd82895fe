/**
 * The backup bucket's settings as the program registers them (Pulumi input shapes), sent to an S3 endpoint with the
 * AWS SDK and read back. The drill and the tests use it against moto to prove S3 accepts what the program renders.
 */
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketEncryptionCommand,
  GetObjectLockConfigurationCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { LifecycleRule } from "../../../infra/aws/backup/rules";

/** The inputs of the bucket's settings resources, as recorded (or as rendered by the same functions). */
export interface RenderedBucketSettings {
  lifecycleRules: LifecycleRule[];
  encryption: { sseAlgorithm: string; kmsMasterKeyId: string; bucketKeyEnabled: boolean };
  publicAccessBlock: { blockPublicAcls: boolean; blockPublicPolicy: boolean; ignorePublicAcls: boolean; restrictPublicBuckets: boolean };
  objectOwnership: string;
  policy: string;
  /** The bucket's Object Lock default retention (backupObjectLockMode/Days). @default undefined (no Object Lock) */
  objectLock?: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number };
}

function s3LifecycleRule(rule: LifecycleRule) {
  return {
    ID: rule.id,
    Status: rule.status,
    Filter: { Prefix: rule.filter.prefix },
    Transitions: rule.transitions?.map((t) => ({ Days: t.days, StorageClass: t.storageClass })),
    Expiration: rule.expiration ? { Days: rule.expiration.days } : undefined,
    NoncurrentVersionExpiration: rule.noncurrentVersionExpiration ? { NoncurrentDays: rule.noncurrentVersionExpiration.noncurrentDays } : undefined,
    AbortIncompleteMultipartUpload: rule.abortIncompleteMultipartUpload ? { DaysAfterInitiation: rule.abortIncompleteMultipartUpload.daysAfterInitiation } : undefined,
  };
}

/** Creates `bucket` and applies every setting; S3 (or moto) throws on anything it would refuse. */
export async function createBucketWithSettings(client: S3Client, bucket: string, s: RenderedBucketSettings): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: s.objectLock !== undefined }));
  await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  if (s.objectLock) {
    await client.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: s.objectLock.mode, Days: s.objectLock.days } } },
      }),
    );
  }
  await client.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: s.publicAccessBlock.blockPublicAcls,
        BlockPublicPolicy: s.publicAccessBlock.blockPublicPolicy,
        IgnorePublicAcls: s.publicAccessBlock.ignorePublicAcls,
        RestrictPublicBuckets: s.publicAccessBlock.restrictPublicBuckets,
      },
    }),
  );
  await client.send(new PutBucketOwnershipControlsCommand({ Bucket: bucket, OwnershipControls: { Rules: [{ ObjectOwnership: s.objectOwnership as "BucketOwnerEnforced" }] } }));
  await client.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: s.encryption.sseAlgorithm as "aws:kms", KMSMasterKeyID: s.encryption.kmsMasterKeyId }, BucketKeyEnabled: s.encryption.bucketKeyEnabled }],
      },
    }),
  );
  await client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: s.lifecycleRules.map(s3LifecycleRule) } }));
  await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: s.policy }));
}

/** What the endpoint reports back for the settings a test checks. */
export async function readBucketSettings(
  client: S3Client,
  bucket: string,
): Promise<{ lifecycleRuleIds: string[]; transitions: string[]; sseAlgorithm?: string; bucketKey?: boolean; policy?: string; objectLock?: { mode?: string; days?: number } }> {
  const lifecycle = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
  // S3 answers ObjectLockConfigurationNotFoundError for a bucket created without Object Lock.
  const lock = await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })).catch((e: { name?: string }) => {
    if (e.name === "ObjectLockConfigurationNotFoundError") return undefined;
    throw e;
  });
  const encryption = await client.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
  const policy = await client.send(new GetBucketPolicyCommand({ Bucket: bucket }));
  const [rule] = encryption.ServerSideEncryptionConfiguration?.Rules ?? [];
  return {
    lifecycleRuleIds: (lifecycle.Rules ?? []).map((r) => r.ID ?? ""),
    transitions: (lifecycle.Rules ?? []).flatMap((r) => (r.Transitions ?? []).map((t) => `${t.StorageClass}@${t.Days}`)),
    sseAlgorithm: rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    bucketKey: rule?.BucketKeyEnabled,
    policy: policy.Policy,
    objectLock: lock?.ObjectLockConfiguration ? { mode: lock.ObjectLockConfiguration.Rule?.DefaultRetention?.Mode, days: lock.ObjectLockConfiguration.Rule?.DefaultRetention?.Days } : undefined,
  };
}

/**
 * Removes the bucket policy again. Needed only on moto, which enforces a bucket policy's Deny statements but ignores
 * their conditions (moto's `put_bucket_policy` docstring: "Conditions are not taken into account"), so the TLS-only
 * and SSE-KMS-only statements would refuse every request there. On AWS the policy stays.
 */
export async function dropPolicyForMoto(client: S3Client, bucket: string): Promise<void> {
  await client.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
}
