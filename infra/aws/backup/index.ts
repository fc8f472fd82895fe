/**
 * Backups of the master tier's metadata: the S3 bucket the leader's backup agent writes to (plus an optional DR
 * copy in another region), DLM snapshots of the data volumes, what the agent on each master may do, and the alarm
 * that fires when no backup has succeeded for two intervals. Restore: docs/runbooks/restore.md.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { renderBackupAgentScript, renderBackupBootStep } from "../host/backupAgent";
import { renderBackupWatchScript } from "../host/backupWatch";
import { renderHostRestoreScript } from "../host/backupRestore";
import { regionOfZones } from "../../config/keys-backup";
import { ConfigError } from "../../config/spec";
import type { SeaweedConfig } from "../config";
import type { MasterTier } from "../masterTier";
import { ssmPrefixOf } from "../naming";
import { physicalName } from "../physicalNames";
import type { BootStep } from "../bootScript";
import { secureBucket } from "./bucket";
import { replicateBucket } from "./replication";
import { agentPolicyDocument, LifecycleSettings } from "./rules";
import { snapshotPolicy } from "./snapshots";
import { BACKUP_METRIC, BACKUP_PARAMETERS, RESTORE_VERIFIER_SLOT } from "../host/backupNames";
import { backupAgeLimitMinutes } from "../../seaweed/backup";
import { renderRestoreVerifierBootStep, renderRestoreVerifierScript } from "../host/restoreVerifier";
import type { VerificationMaster } from "../../seaweed/restoreVerification";
import { clusterSettingsOf, renderClusterMasters } from "../../seaweed/cluster";
import { slotAddresses } from "../placement";
import { HOST_PATHS } from "../host/paths";
import { verificationAlarms } from "./verificationAlarms";

/** The config keys the backups read (config/keys-backup.ts). */
export interface BackupSettings extends LifecycleSettings {
  environment: "dev" | "staging" | "prod";
  clusterName: string;
  availabilityZones: string[];
  /** The masters' HTTP port (the agent asks its own master; the raft directory is `m<port>`). */
  httpPort: number;
  backupIntervalMinutes: number;
  /** The change watcher's check period; 0: no watcher (its script parameter is not written). */
  backupOnChangeSeconds: number;
  restoreVerifyIntervalHours: number;
  restoreVerifyAfterBackup: boolean;
  backupObjectLockMode: "" | "GOVERNANCE" | "COMPLIANCE";
  backupObjectLockDays: number;
  backupReplicationRegion: string;
  snapshotIntervalHours: number;
  snapshotRetainCount: number;
  snapshotCopyRegion: string;
  snapshotCopyRetainDays: number;
}

export interface BackupsArgs {
  settings: BackupSettings;
  /** The stack's SSM prefix; the bucket name and key ARN are published below it for the agent. */
  ssmPrefix: string;
  /**
   * The masters' instance role: the agent's managed policy (write its cluster's prefix, use the key, publish the
   * metric) is attached to it. @default undefined (no policy attached; attach `agentPolicy` yourself)
   */
  instanceRoleName?: pulumi.Input<string>;
  /** The data volumes' KMS key, which DLM must use to copy snapshots across regions. @default undefined */
  volumeKmsKeyArn?: pulumi.Input<string>;
  /** SNS topic of the monitoring stack for the backup-age alarm. @default a KMS-encrypted topic of its own */
  alarmTopicArn?: pulumi.Input<string>;
  /**
   * Each slot's boot step (backupSlotStep), stored in SSM at `slotStepParameterName`: the slot's user data names
   * only the parameter (backupBootStep). @default [] (no per-slot steps)
   */
  slotSteps?: { slot: number; script: string }[];
  /**
   * Every slot's raft identity and rendered argv: with them, the restore verifier runs on slot RESTORE_VERIFIER_SLOT
   * (its script in SSM, its boot step `verifierSlotStep`, the verification-age and -failed alarms).
   * @default undefined (no restore verification)
   */
  verifierMasters?: VerificationMaster[];
  /** The stack's region (`aws:region`); a replication or copy region equal to it is refused. */
  region?: string;
  tags: Record<string, string>;
}

/** The `seaweed:aws:Backups` component. */
export class Backups extends pulumi.ComponentResource {
  static readonly type = "seaweed:aws:Backups";
  readonly bucket: aws.s3.Bucket;
  readonly kmsKey: aws.kms.Key;
  readonly drBucket?: aws.s3.Bucket;
  readonly snapshotPolicy: aws.dlm.LifecyclePolicy;
  readonly agentPolicy: pulumi.Output<string>;
  readonly backupAgeAlarm: aws.cloudwatch.MetricAlarm;
  /** The restore verifier's alarms (with `verifierMasters`). */
  readonly verificationAlarms?: { age: aws.cloudwatch.MetricAlarm; failed: aws.cloudwatch.MetricAlarm };
  /** What a master's boot reads (the parameters and the agent's role policy): the slots' groups wait for these. */
  readonly bootResources: pulumi.Resource[];
  readonly alarmTopicArn: pulumi.Output<string>;

  constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    checkRegions(args.settings, args.region);
    super(Backups.type, name, {}, opts);
    const s = args.settings;
    const tags = args.tags;
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;

    this.kmsKey = new aws.kms.Key(
      `${name}-key`,
      {
        description: `SeaweedFS ${s.clusterName} metadata backups and their alarm topic`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
            // CloudWatch alarms can only publish to a KMS-encrypted topic if the key lets CloudWatch use it.
            { Sid: "CloudWatchAlarmsPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" },
          ],
        }),
        tags,
      },
      { parent: this },
    );

    const bucketArgs = {
      lifecycle: s,
      objectLock: s.backupObjectLockMode ? { mode: s.backupObjectLockMode, days: s.backupObjectLockDays } : undefined,
      protect: s.environment === "prod",
      forceDestroy: s.environment === "dev",
      tags,
    };
    const ownRegion = args.region ?? regionOfZones(s.availabilityZones) ?? "us-east-1";
    const primary = secureBucket(`${name}-bucket`, { ...bucketArgs, bucketName: bucketName(s.clusterName, "backups", ownRegion, account), kmsKeyArn: this.kmsKey.arn }, this);
    this.bucket = primary.bucket;
    if (s.backupReplicationRegion) {
      this.drBucket = replicateBucket(`${name}-dr`, {
        clusterName: s.clusterName,
        region: s.backupReplicationRegion,
        bucketName: bucketName(s.clusterName, "backups-dr", s.backupReplicationRegion, account),
        source: primary, sourceKeyArn: this.kmsKey.arn, bucket: bucketArgs }, this);
    }

    this.snapshotPolicy = snapshotPolicy(
      `${name}-snapshots`,
      {
        clusterName: s.clusterName,
        intervalHours: s.snapshotIntervalHours,
        retainCount: s.snapshotRetainCount,
        copyRegion: s.snapshotCopyRegion,
        copyRetainDays: s.snapshotCopyRetainDays,
        volumeKmsKeyArn: args.volumeKmsKeyArn,
        tags,
      },
      this,
    );

    const bucketParameter = new aws.ssm.Parameter(
      `${name}-bucket-parameter`,
      { name: `${args.ssmPrefix}/${BACKUP_PARAMETERS.bucket}`, type: "String", value: this.bucket.bucket, description: "Where the backup agent uploads", tags },
      { parent: this },
    );
    const keyParameter = new aws.ssm.Parameter(
      `${name}-key-parameter`,
      { name: `${args.ssmPrefix}/${BACKUP_PARAMETERS.kmsKeyArn}`, type: "String", value: this.kmsKey.arn, description: "The backup agent's SSE-KMS key", tags },
      { parent: this },
    );
    // The scripts live in SSM (Advanced tier: they exceed 4 KB) so each master's user data carries only a launcher.
    const scriptOptions = { clusterName: s.clusterName, port: s.httpPort, ssmPrefix: args.ssmPrefix, region: ownRegion };
    const scripts = [
      { id: "agent-script", name: BACKUP_PARAMETERS.agentScript, value: renderBackupAgentScript(scriptOptions), description: "The backup agent the masters' timer runs" },
      { id: "restore-script", name: BACKUP_PARAMETERS.restoreScript, value: renderHostRestoreScript(scriptOptions), description: "The host restore script (docs/runbooks/restore.md)" },
      ...(s.backupOnChangeSeconds > 0
        ? [{ id: "watch-script", name: BACKUP_PARAMETERS.watchScript, value: renderBackupWatchScript(s.backupOnChangeSeconds), description: "The change watcher the masters run beside the backup timer" }]
        : []),
    ].map(
      (p) => new aws.ssm.Parameter(`${name}-${p.id}`, { name: `${args.ssmPrefix}/${p.name}`, type: "String", tier: "Advanced", value: p.value, description: p.description, tags }, { parent: this }),
    );
    if (args.verifierMasters) {
      const verifier = { ssmPrefix: args.ssmPrefix, region: ownRegion, intervalHours: s.restoreVerifyIntervalHours, afterBackup: s.restoreVerifyAfterBackup, backupIntervalMinutes: s.backupIntervalMinutes };
      scripts.push(
        new aws.ssm.Parameter(
          `${name}-verify-script`,
          { name: `${args.ssmPrefix}/${BACKUP_PARAMETERS.verifyScript}`, type: "String", tier: "Advanced", value: renderRestoreVerifierScript({ ...verifier, clusterName: s.clusterName, port: s.httpPort, masters: args.verifierMasters }), description: "The restore verifier slot 0's timer runs (docs/runbooks/restore.md)", tags },
          { parent: this },
        ),
        new aws.ssm.Parameter(
          `${name}-verifier-boot-step`,
          { name: verifierStepParameterName(args.ssmPrefix), type: "String", tier: "Standard", insecureValue: renderRestoreVerifierBootStep(verifier), description: `Restore verifier setup of slot ${RESTORE_VERIFIER_SLOT} (run at boot)`, tags },
          { parent: this },
        ),
      );
    }
    const slotSteps = (args.slotSteps ?? []).map(
      (step) =>
        new aws.ssm.Parameter(
          `${name}-slot-${step.slot}-boot-step`,
          { name: slotStepParameterName(args.ssmPrefix, step.slot), type: "String", tier: "Standard", insecureValue: step.script, description: `Backup agent setup of slot ${step.slot} (run at boot)`, tags },
          { parent: this },
        ),
    );
    this.agentPolicy = pulumi
      .all([this.bucket.arn, this.kmsKey.arn, ...[bucketParameter, keyParameter, ...scripts, ...slotSteps].map((p) => p.arn)])
      .apply(([bucketArn, kmsKeyArn, ...parameterArns]) => JSON.stringify(agentPolicyDocument({ bucketArn, kmsKeyArn, clusterName: s.clusterName, parameterArns })));
    this.bootResources = [bucketParameter, keyParameter, ...scripts, ...slotSteps];
    if (args.instanceRoleName) {
      // Managed, not inline: IAM caps all inline policies of a role at 10,240 characters together.
      const policy = new aws.iam.Policy(
        `${name}-agent`,
        { name: physicalName("aws:iam/policy:Policy", s.clusterName, "backup-agent"), description: `The backup agent of the ${s.clusterName} masters`, policy: this.agentPolicy, tags },
        { parent: this },
      );
      this.bootResources.push(policy, new aws.iam.RolePolicyAttachment(`${name}-agent`, { role: args.instanceRoleName, policyArn: policy.arn }, { parent: this }));
    }

    this.alarmTopicArn = args.alarmTopicArn
      ? pulumi.output(args.alarmTopicArn)
      : new aws.sns.Topic(`${name}-alarms`, { name: physicalName("aws:sns/topic:Topic", s.clusterName, "backup-alarms"), kmsMasterKeyId: this.kmsKey.arn, tags }, { parent: this }).arn;
    this.backupAgeAlarm = new aws.cloudwatch.MetricAlarm(
      `${name}-age`,
      {
        name: `${s.clusterName}-backup-age`,
        alarmDescription: `No successful SeaweedFS metadata backup of ${s.clusterName} for ${backupAgeLimitMinutes(s.backupIntervalMinutes)} minutes (twice the interval). Runbook: docs/runbooks/restore.md`,
        namespace: BACKUP_METRIC.namespace,
        metricName: BACKUP_METRIC.name,
        dimensions: { [BACKUP_METRIC.dimension]: s.clusterName },
        statistic: "SampleCount",
        period: backupAgeLimitMinutes(s.backupIntervalMinutes) * 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        // No data means no backup: the agent publishes only after a successful upload.
        treatMissingData: "breaching",
        alarmActions: [this.alarmTopicArn],
        okActions: [this.alarmTopicArn],
        tags,
      },
      { parent: this },
    );

    if (args.verifierMasters) {
      const specs = verificationAlarms(s);
      const alarm = (id: string, spec: (typeof specs)["age"]) =>
        new aws.cloudwatch.MetricAlarm(`${name}-${id}`, { ...spec, alarmActions: [this.alarmTopicArn], okActions: [this.alarmTopicArn], tags }, { parent: this });
      this.verificationAlarms = { age: alarm("verification-age", specs.age), failed: alarm("verification-failed", specs.failed) };
    }

    this.registerOutputs({ bucket: this.bucket.bucket, drBucket: this.drBucket?.bucket, snapshotPolicy: this.snapshotPolicy.arn, backupAgeAlarm: this.backupAgeAlarm.arn });
  }
}

/** Refuses a replication or snapshot-copy region equal to the stack's own `aws:region`. */
export function checkRegions(s: Pick<BackupSettings, "backupReplicationRegion" | "snapshotCopyRegion">, region: string | undefined): void {
  if (!region) return;
  const issues = (["backupReplicationRegion", "snapshotCopyRegion"] as const)
    .filter((k) => s[k] === region)
    .map((k) => ({ key: k, value: s[k], message: `is the stack's own aws:region (${region}); a copy there does not survive a regional outage`, fix: "choose another region, e.g. us-west-2, or leave it empty" }));
  if (issues.length > 0) throw new ConfigError(issues);
}

/** The Backups of a stack: its config, the master tier's role, key and SSM prefix, the monitoring alarm topic. */
export function backupsArgsOf(config: SeaweedConfig, tier: MasterTier, alarmTopicArn: pulumi.Input<string> | undefined, region: string | undefined): BackupsArgs {
  return {
    settings: config,
    ssmPrefix: tier.ssmPrefix,
    instanceRoleName: tier.instanceRole.name,
    volumeKmsKeyArn: tier.kmsKey.arn,
    alarmTopicArn,
    slotSteps: config.topology.slots.map((slot) => ({ slot: slot.slot, script: backupSlotStep(config, slot) })),
    verifierMasters: renderClusterMasters(slotAddresses(config.topology.slots), clusterSettingsOf(config), () => HOST_PATHS.mdir).map((m) => ({
      slot: m.slot,
      host: config.topology.slots.find((s) => s.slot === m.slot)!.ip,
      args: m.args,
    })),
    region,
    tags: tier.tags,
  };
}

/** Where the boot step of a slot lives in SSM. */
function slotStepParameterName(ssmPrefix: string, slot: number): string {
  return `${ssmPrefix}/backup/slot-${slot}/boot-step`;
}

/** Where the restore verifier's boot step lives in SSM. */
function verifierStepParameterName(ssmPrefix: string): string {
  return `${ssmPrefix}/backup/verifier/boot-step`;
}

/** The restore verifier's boot step, for slot RESTORE_VERIFIER_SLOT only (after its backup step: it reads its env file). */
export function verifierBootSteps(config: SeaweedConfig, slot: { slot: number }): BootStep[] {
  return slot.slot === RESTORE_VERIFIER_SLOT ? [{ name: "verify-restore", parameter: verifierStepParameterName(ssmPrefixOf(config.clusterName)) }] : [];
}

/** The boot step of one slot (for MasterTier's `bootSteps`): its backupSlotStep, kept in SSM. */
export function backupBootStep(config: SeaweedConfig, slot: { slot: number }): BootStep {
  return { name: "backup", parameter: slotStepParameterName(ssmPrefixOf(config.clusterName), slot.slot) };
}

/** The step of one slot that installs the agent's launcher, units and timer (kept in SSM by the Backups component). */
export function backupSlotStep(config: SeaweedConfig, slot: { slot: number; ip: string }): string {
  return renderBackupBootStep({
    slot: slot.slot,
    ip: slot.ip,
    port: config.httpPort,
    ssmPrefix: ssmPrefixOf(config.clusterName),
    region: regionOfZones(config.availabilityZones) ?? "us-east-1",
    intervalMinutes: config.backupIntervalMinutes,
    onChangeSeconds: config.backupOnChangeSeconds,
  });
}

/**
 * `<handle>-<use>-<account>-<region>`: bucket names are global, so the account and region make them unique and
 * deterministic. Checked with a stand-in account id (same length) before any resource is registered.
 */
function bucketName(clusterName: string, use: string, region: string, account: pulumi.Output<string>): pulumi.Output<string> {
  const type = "aws:s3/bucket:Bucket";
  const name = (accountId: string) => physicalName(type, clusterName, `${use}-${accountId}-${region}`);
  name("000000000000");
  return account.apply(name);
}
