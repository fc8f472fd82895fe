/**
 * The drill's stand-in for the Backups component on a local moto: a KMS key, the bucket with the settings the
 * program renders, Object Lock included (read back to prove S3 accepted them), and the SSM parameters the backup agent reads. moto enforces
 * the bucket policy's Deny statements but not their conditions, so the real policy would refuse every request there:
 * it is removed from moto after the read-back, and the drill judges every request of the agent against it instead
 * (./bucketPolicy.ts).
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SeaweedConfig } from "../../../infra/platforms";
import { ssmPrefixOf } from "../../../infra/aws/naming";
import { bucketPolicyDocument, lifecycleRules } from "../../../infra/aws/backup/rules";
import { BACKUP_PARAMETERS } from "../../../infra/aws/host/backupNames";
import { renderBackupAgentScript } from "../../../infra/aws/host/backupAgent";
import { regionOfZones } from "../../../infra/config/keys-backup";
import { createBucketWithSettings, dropPolicyForMoto, readBucketSettings } from "./bucketApi";
import { type Moto, VENV_BIN } from "./moto";

const run = promisify(execFile);

/** Runs the AWS CLI against moto. */
export async function awsCli(moto: Moto, args: string[]): Promise<string> {
  const { stdout } = await run(path.join(VENV_BIN, "aws"), args, { env: { ...process.env, ...moto.env }, timeout: 60_000 });
  return stdout.trim();
}

/**
 * Creates the backup bucket and the agent's parameters (including the agent script itself, as the component does);
 * returns the bucket name, its policy document, the KMS key the agent encrypts with and whether S3 kept every setting.
 */
export async function prepareBackupBucket(
  moto: Moto,
  s3: S3Client,
  config: SeaweedConfig,
): Promise<{ bucket: string; policy: ReturnType<typeof bucketPolicyDocument>; kmsKeyArn: string; settingsAccepted: boolean; readBack: unknown }> {
  const bucket = `${config.clusterName}-backups-drill`;
  const kmsKeyArn = await awsCli(moto, ["kms", "create-key", "--description", "drill backups", "--query", "KeyMetadata.Arn", "--output", "text"]);
  const document = bucketPolicyDocument(`arn:aws:s3:::${bucket}`);
  const policy = JSON.stringify(document);
  const rules = lifecycleRules(config);
  await createBucketWithSettings(s3, bucket, {
    lifecycleRules: rules,
    encryption: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn, bucketKeyEnabled: true },
    publicAccessBlock: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    objectOwnership: "BucketOwnerEnforced",
    policy,
    objectLock: config.backupObjectLockMode ? { mode: config.backupObjectLockMode, days: config.backupObjectLockDays } : undefined,
  });
  const readBack = await readBucketSettings(s3, bucket);
  const settingsAccepted =
    readBack.lifecycleRuleIds.length === rules.length && readBack.sseAlgorithm === "aws:kms" && readBack.bucketKey === true && JSON.stringify(JSON.parse(readBack.policy ?? "{}")) === policy &&
    (config.backupObjectLockMode ? readBack.objectLock?.mode === config.backupObjectLockMode && readBack.objectLock.days === config.backupObjectLockDays : readBack.objectLock === undefined);
  await dropPolicyForMoto(s3, bucket);
  const prefix = ssmPrefixOf(config.clusterName);
  await awsCli(moto, ["ssm", "put-parameter", "--name", `${prefix}/${BACKUP_PARAMETERS.bucket}`, "--type", "String", "--value", bucket]);
  await awsCli(moto, ["ssm", "put-parameter", "--name", `${prefix}/${BACKUP_PARAMETERS.kmsKeyArn}`, "--type", "String", "--value", kmsKeyArn]);
  const agent = renderBackupAgentScript({ clusterName: config.clusterName, port: config.httpPort, ssmPrefix: prefix, region: regionOfZones(config.availabilityZones) ?? "us-east-1" });
  await awsCli(moto, ["ssm", "put-parameter", "--name", `${prefix}/${BACKUP_PARAMETERS.agentScript}`, "--type", "String", "--tier", "Advanced", "--value", agent]);
  return { bucket, policy: document, kmsKeyArn, settingsAccepted, readBack };
}
