/**
 * EBS snapshots of every master's data volume by Data Lifecycle Manager: the crash-consistent, whole-volume copy
 * beside the agent's raft-level backups. DLM finds the volumes by tag, so replaced volumes are covered with no change.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { snapshotTag } from "../naming";
import { physicalName } from "../physicalNames";

export interface SnapshotPolicyArgs {
  clusterName: string;
  /** One of DLM's hourly intervals (1, 2, 3, 4, 6, 8, 12 or 24). */
  intervalHours: number;
  /** Snapshots kept per volume. */
  retainCount: number;
  /** Copy each snapshot to this region, encrypted. @default "" (no copy) */
  copyRegion: string;
  /** Days the cross-region copies are kept. */
  copyRetainDays: number;
  /**
   * The customer managed key of the data volumes. DLM's role must be allowed to use it to copy their snapshots to
   * another region. @default undefined (AWS-managed EBS key)
   */
  volumeKmsKeyArn?: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** The DLM policy and its role, children of `parent`. */
export function snapshotPolicy(name: string, args: SnapshotPolicyArgs, parent: pulumi.Resource): aws.dlm.LifecyclePolicy {
  const partition = aws.getPartitionOutput({}, { parent }).partition;
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      name: physicalName("aws:iam/role:Role", args.clusterName, "snapshots"),
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      tags: args.tags,
    },
    { parent },
  );
  new aws.iam.RolePolicyAttachment(
    `${name}-role-managed`,
    { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole` },
    { parent },
  );
  if (args.copyRegion && args.volumeKmsKeyArn) {
    new aws.iam.RolePolicy(
      `${name}-role-kms`,
      {
        name: physicalName("aws:iam/rolePolicy:RolePolicy", args.clusterName, "snapshot-copy-kms"),
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext"],
              Resource: args.volumeKmsKeyArn,
            },
          ],
        }),
      },
      { parent },
    );
  }
  // DLM ORs multiple target tags, so the target is the one tag only this cluster's data volumes carry (the role tag
  // alone would also take other clusters' volumes); snapshots inherit the cluster and slot tags through copyTags.
  return new aws.dlm.LifecyclePolicy(
    name,
    {
      description: `SeaweedFS ${args.clusterName} master data volumes every ${args.intervalHours}h`,
      executionRoleArn: role.arn,
      state: "ENABLED",
      policyDetails: {
        resourceTypes: ["VOLUME"],
        targetTags: snapshotTag(args.clusterName),
        schedules: [
          {
            name: `every-${args.intervalHours}h`,
            createRule: { interval: args.intervalHours, intervalUnit: "HOURS", times: "03:00" },
            retainRule: { count: args.retainCount },
            copyTags: true,
            tagsToAdd: { "seaweedfs:backup": "dlm" },
            ...(args.copyRegion
              ? {
                  crossRegionCopyRules: [
                    { target: args.copyRegion, encrypted: true, copyTags: true, retainRule: { interval: args.copyRetainDays, intervalUnit: "DAYS" } },
                  ],
                }
              : {}),
          },
        ],
      },
      tags: args.tags,
    },
    { parent },
  );
}
