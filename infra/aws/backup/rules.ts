/**
 * The backup bucket's rules as plain data: lifecycle, bucket policy and the agent's IAM policy. The component
 * registers them; the tests send the very same documents to a local S3 (moto) and read them back.
 */
import { BACKUP_METRIC } from "../host/backupNames";

/** The lifecycle keys of the config (see config/keys-backup.ts for what S3 allows). */
export interface LifecycleSettings {
  backupTransitionToIaDays: number;
  backupTransitionToGlacierIrDays: number;
  backupExpirationDays: number;
  backupNoncurrentExpirationDays: number;
  backupAbortMultipartDays: number;
}

/** One lifecycle rule, in the shape of `aws.s3.BucketLifecycleConfiguration` `rules`. */
export interface LifecycleRule {
  id: string;
  status: "Enabled";
  filter: { prefix: string };
  transitions?: { days: number; storageClass: "STANDARD_IA" | "GLACIER_IR" }[];
  expiration?: { days: number };
  noncurrentVersionExpiration?: { noncurrentDays: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/**
 * Two rules over the whole bucket: age backups through STANDARD_IA and GLACIER_IR (instant retrieval, so an old
 * backup restores as fast as a new one) to expiry, then drop noncurrent versions; and abort stale multipart uploads.
 */
export function lifecycleRules(s: LifecycleSettings): LifecycleRule[] {
  const transitions = [
    ...(s.backupTransitionToIaDays > 0 ? [{ days: s.backupTransitionToIaDays, storageClass: "STANDARD_IA" as const }] : []),
    ...(s.backupTransitionToGlacierIrDays > 0 ? [{ days: s.backupTransitionToGlacierIrDays, storageClass: "GLACIER_IR" as const }] : []),
  ];
  return [
    {
      id: "age-backups",
      status: "Enabled",
      filter: { prefix: "" },
      ...(transitions.length > 0 ? { transitions } : {}),
      expiration: { days: s.backupExpirationDays },
      noncurrentVersionExpiration: { noncurrentDays: s.backupNoncurrentExpirationDays },
    },
    {
      id: "abort-incomplete-multipart-uploads",
      status: "Enabled",
      filter: { prefix: "" },
      abortIncompleteMultipartUpload: { daysAfterInitiation: s.backupAbortMultipartDays },
    },
  ];
}

type PolicyStatement = Record<string, unknown>;

/**
 * Denies any request not made over TLS, and any upload that explicitly asks for another encryption than SSE-KMS.
 * An upload without the header is allowed: the bucket's default encryption (SSE-KMS with the backup key) applies
 * to it. Denying a missing header would deny every multipart upload, whose UploadPart requests (authorized as
 * s3:PutObject) never carry it (`aws s3 cp` switches to multipart above 8 MiB). In IAM, a negated operator such as
 * StringNotEquals (and any ...IfExists operator) is true when the key is absent, hence the Null check: the
 * statement applies only when the header is present.
 */
export function bucketPolicyDocument(bucketArn: string): { Version: string; Statement: PolicyStatement[] } {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyUploadsAskingForOtherEncryption",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
        Condition: { Null: { "s3:x-amz-server-side-encryption": "false" }, StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } },
      },
    ],
  };
}

/** What the agent on a master may do: write (and, for a host restore, read) its cluster's prefix only. */
export function agentPolicyDocument(p: {
  bucketArn: string;
  clusterName: string;
  kmsKeyArn: string;
  parameterArns: string[];
}): { Version: string; Statement: PolicyStatement[] } {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "WriteAndReadOwnBackups", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: `${p.bucketArn}/${p.clusterName}/*` },
      {
        Sid: "ListOwnBackups",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: p.bucketArn,
        Condition: { StringLike: { "s3:prefix": [`${p.clusterName}/*`] } },
      },
      { Sid: "UseBackupKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: p.kmsKeyArn },
      {
        Sid: "PublishBackupMetric",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": BACKUP_METRIC.namespace } },
      },
      { Sid: "ReadBackupSettings", Effect: "Allow", Action: "ssm:GetParameter", Resource: p.parameterArns },
    ],
  };
}
