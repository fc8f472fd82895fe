/**
 * A private, versioned, KMS-encrypted S3 bucket with lifecycle rules and a TLS-only, encrypted-uploads-only policy.
 * The backup bucket and its cross-region DR copy are both built here, so they cannot drift apart.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bucketPolicyDocument, lifecycleRules, LifecycleSettings } from "./rules";

export interface SecureBucketArgs {
  /** The bucket's global name (`bucketName` in backup/index.ts). */
  bucketName: pulumi.Input<string>;
  /** KMS key for SSE-KMS (with an S3 bucket key, which cuts KMS requests by reusing a data key per bucket). */
  kmsKeyArn: pulumi.Input<string>;
  lifecycle: LifecycleSettings;
  /**
   * S3 Object Lock default retention. Object Lock can only be switched on when a bucket is created, so changing it
   * replaces the bucket.
   * @default undefined (off)
   */
  objectLock?: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number };
  /** Protect the bucket from deletion (prod). */
  protect: boolean;
  /** Let `pulumi destroy` delete a non-empty bucket (dev only). @default false */
  forceDestroy?: boolean;
  tags: Record<string, string>;
  /** The provider of another region (the DR bucket). @default the stack's provider */
  provider?: aws.Provider;
}

/** The bucket and the resources that secure it. */
export interface SecureBucket {
  bucket: aws.s3.Bucket;
  versioning: aws.s3.BucketVersioning;
}

/** Registers the bucket and its settings as children of `parent`, named `${name}-...`. */
export function secureBucket(name: string, args: SecureBucketArgs, parent: pulumi.Resource): SecureBucket {
  const opts: pulumi.CustomResourceOptions = { parent, ...(args.provider ? { provider: args.provider } : {}) };
  const bucket = new aws.s3.Bucket(
    name,
    { bucket: args.bucketName, objectLockEnabled: args.objectLock !== undefined, forceDestroy: args.forceDestroy ?? false, tags: args.tags },
    { ...opts, protect: args.protect },
  );
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
  const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }],
    },
    opts,
  );
  // Lifecycle rules on a versioned bucket act on versions, so they wait for versioning to be on.
  new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, { bucket: bucket.id, rules: lifecycleRules(args.lifecycle) }, { ...opts, dependsOn: [versioning] });
  // The public access block goes first: a policy put before it could be judged "public" by a racing check.
  new aws.s3.BucketPolicy(
    `${name}-policy`,
    { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(bucketPolicyDocument(arn))) },
    { ...opts, dependsOn: [publicAccess] },
  );
  if (args.objectLock) {
    new aws.s3.BucketObjectLockConfiguration(
      `${name}-object-lock`,
      { bucket: bucket.id, rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } } },
      { ...opts, dependsOn: [versioning] },
    );
  }
  return { bucket, versioning };
}
