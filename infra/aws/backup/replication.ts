/**
 * Cross-region replication of the backup bucket: a DR bucket (same protections) with its own KMS key in another
 * region, through a provider that reaches the account as the stack's own does, and the replication rule and role
 * that copy every backup there, re-encrypted under the DR key.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physicalName } from "../physicalNames";
import { secureBucket, SecureBucket, SecureBucketArgs } from "./bucket";

export interface ReplicationArgs {
  clusterName: string;
  region: string;
  /** The DR bucket's global name. */
  bucketName: pulumi.Input<string>;
  source: SecureBucket;
  sourceKeyArn: pulumi.Input<string>;
  bucket: Omit<SecureBucketArgs, "kmsKeyArn" | "provider" | "bucketName">;
}

/**
 * How the stack's own AWS provider reaches the account, from its `aws:` config (profile, shared files, assumed roles,
 * allowed accounts, static credentials, default and ignored tags), for a provider of another region. Without them
 * the DR resources would be created with whatever credentials the environment holds, possibly in another account,
 * and without the stack's default tags.
 */
export function stackProviderArgs(config = new pulumi.Config("aws")): aws.ProviderArgs {
  return {
    profile: config.get("profile"),
    sharedConfigFiles: config.getObject<string[]>("sharedConfigFiles"),
    sharedCredentialsFiles: config.getObject<string[]>("sharedCredentialsFiles"),
    assumeRoles: config.getObject<aws.types.input.ProviderAssumeRole[]>("assumeRoles"),
    assumeRoleWithWebIdentity: config.getObject<aws.types.input.ProviderAssumeRoleWithWebIdentity>("assumeRoleWithWebIdentity"),
    allowedAccountIds: config.getObject<string[]>("allowedAccountIds"),
    forbiddenAccountIds: config.getObject<string[]>("forbiddenAccountIds"),
    accessKey: config.getSecret("accessKey"),
    secretKey: config.getSecret("secretKey"),
    token: config.getSecret("token"),
    defaultTags: config.getObject<aws.types.input.ProviderDefaultTags>("defaultTags"),
    ignoreTags: config.getObject<aws.types.input.ProviderIgnoreTags>("ignoreTags"),
  };
}

/** The DR bucket and its replication; returns the DR bucket. */
export function replicateBucket(name: string, args: ReplicationArgs, parent: pulumi.Resource): aws.s3.Bucket {
  const provider = new aws.Provider(`${name}-provider`, { ...stackProviderArgs(), region: args.region as aws.Region }, { parent });
  const key = new aws.kms.Key(
    `${name}-key`,
    { description: `Backups replicated to ${args.region}`, enableKeyRotation: true, deletionWindowInDays: 30, tags: args.bucket.tags },
    { parent, provider },
  );
  const target = secureBucket(name, { ...args.bucket, bucketName: args.bucketName, kmsKeyArn: key.arn, provider }, parent);

  const role = new aws.iam.Role(
    `${name}-role`,
    {
      name: physicalName("aws:iam/role:Role", args.clusterName, "backup-replication"),
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      tags: args.bucket.tags,
    },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-role-policy`,
    {
      name: physicalName("aws:iam/rolePolicy:RolePolicy", args.clusterName, "backup-replication"),
      role: role.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: args.source.bucket.arn },
          {
            Effect: "Allow",
            Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"],
            Resource: pulumi.interpolate`${args.source.bucket.arn}/*`,
          },
          {
            Effect: "Allow",
            Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"],
            Resource: pulumi.interpolate`${target.bucket.arn}/*`,
          },
          { Effect: "Allow", Action: "kms:Decrypt", Resource: args.sourceKeyArn },
          { Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: key.arn },
        ],
      }),
    },
    { parent },
  );
  new aws.s3.BucketReplicationConfig(
    `${name}-replication`,
    {
      bucket: args.source.bucket.id,
      role: role.arn,
      rules: [
        {
          id: "backups-to-dr",
          status: "Enabled",
          filter: { prefix: "" },
          deleteMarkerReplication: { status: "Disabled" },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
          destination: { bucket: target.bucket.arn, encryptionConfiguration: { replicaKmsKeyId: key.arn } },
        },
      ],
    },
    { parent, dependsOn: [args.source.versioning, target.versioning] },
  );
  return target.bucket;
}
