/**
 * The masters' instance role, with least privilege: attach (and, for a stopped predecessor, detach) only the
 * network interfaces and data volumes tagged as this cluster's slots, to instances tagged for this cluster; read only this stack's SSM
 * path; use only this stack's KMS key; fetch (and, for an SSE-KMS bucket, decrypt through S3) only the pinned weed
 * object when it lives in S3.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ROLES, TAG_KEYS } from "./naming";
import { physicalName } from "./physicalNames";

export interface MasterInstanceRoleArgs {
  clusterName: string;
  /** The SSM path the masters may read, e.g. `/seaweed-infra/seaweedfs-prod`. */
  ssmPrefix: string;
  /** ARN of the KMS key encrypting the data volumes and the SSM parameters. */
  kmsKeyArn: pulumi.Input<string>;
  /** The weed artifact; with an `s3://bucket/key` URL the role may read that one object. */
  binaryUrl: string;
  /** The slots' Auto Scaling groups: a master whose boot gives up marks its own instance unhealthy in its group. */
  slotGroupNames: readonly string[];
  tags: Record<string, string>;
}

/** `s3://bucket/key` -> `bucket/key`, or undefined for other URLs. */
function s3Object(url: string): string | undefined {
  return url.startsWith("s3://") ? url.slice("s3://".length) : undefined;
}

/** The instance role, its policy and the instance profile the launch templates use. */
export class MasterInstanceRole extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:aws:MasterInstanceRole";
  /** Attach further policies here (monitoring agent, backups). */
  readonly role: aws.iam.Role;
  readonly instanceProfile: aws.iam.InstanceProfile;

  constructor(name: string, args: MasterInstanceRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterInstanceRole.__pulumiType, name, {}, opts);
    const { clusterName, ssmPrefix, kmsKeyArn, binaryUrl, slotGroupNames, tags } = args;
    const { partition } = aws.getPartitionOutput({}, { parent: this });
    const { region } = aws.getRegionOutput({}, { parent: this });
    const { accountId } = aws.getCallerIdentityOutput({}, { parent: this });
    const ec2Arn = (resource: string) => pulumi.interpolate`arn:${partition}:ec2:${region}:${accountId}:${resource}/*`;
    // A slot's interface or volume: this cluster's, with its role (an instance's root volume carries the cluster tag too).
    const taggedAs = (role: string) => ({ StringEquals: { [`aws:ResourceTag/${TAG_KEYS.cluster}`]: clusterName, [`aws:ResourceTag/${TAG_KEYS.role}`]: role } });

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        name: physicalName("aws:iam/role:Role", clusterName, "master"),
        description: `SeaweedFS masters of ${clusterName}`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags,
      },
      { parent: this },
    );
    const object = s3Object(binaryUrl);
    const statements: unknown[] = [
      {
        Sid: "FindSlotIdentity",
        Effect: "Allow",
        // Describe calls support no resource-level permissions: AWS only accepts "*" for them.
        Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeVolumes", "ec2:DescribeInstances"],
        Resource: "*",
      },
      {
        Sid: "AttachSlotInterfaces",
        Effect: "Allow",
        Action: ["ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface"],
        Resource: ec2Arn("network-interface"),
        Condition: taggedAs(ROLES.networkInterface),
      },
      {
        Sid: "AttachSlotVolumes",
        Effect: "Allow",
        Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
        Resource: ec2Arn("volume"),
        Condition: taggedAs(ROLES.dataVolume),
      },
      {
        Sid: "ToClusterInstances",
        Effect: "Allow",
        Action: ["ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface", "ec2:AttachVolume", "ec2:DetachVolume"],
        Resource: ec2Arn("instance"),
        Condition: { StringEquals: { [`aws:ResourceTag/${TAG_KEYS.cluster}`]: clusterName } },
      },
      {
        // A boot that cannot finish asks its group for a replacement (the EC2 status checks would not notice).
        // The role is shared by the slots, so this covers the cluster's slot groups and nothing else.
        Sid: "ReportOwnInstanceUnhealthy",
        Effect: "Allow",
        Action: ["autoscaling:SetInstanceHealth"],
        Resource: slotGroupNames.map((group) => pulumi.interpolate`arn:${partition}:autoscaling:${region}:${accountId}:autoScalingGroup:*:autoScalingGroupName/${group}`),
      },
      {
        Sid: "ReadStackParameters",
        Effect: "Allow",
        Action: ["ssm:GetParameter"],
        Resource: pulumi.interpolate`arn:${partition}:ssm:${region}:${accountId}:parameter${ssmPrefix}/*`,
      },
      {
        Sid: "UseStackKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:DescribeKey"],
        Resource: kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": [pulumi.interpolate`ssm.${region}.amazonaws.com`, pulumi.interpolate`ec2.${region}.amazonaws.com`] } },
      },
      {
        // Attaching a volume encrypted with a customer key makes EC2 create a grant in the caller's name.
        Sid: "GrantKeyToEbs",
        Effect: "Allow",
        Action: ["kms:CreateGrant"],
        Resource: kmsKeyArn,
        Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
      {
        // The SSM agent's channel, so operators reach masters with Run Command (the restore tool) and Session
        // Manager instead of SSH. These calls read no data and AWS accepts only "*" for them; the managed
        // AmazonSSMManagedInstanceCore policy is not used because it also grants ssm:GetParameter on every path.
        Sid: "SsmAgentChannel",
        Effect: "Allow",
        Action: [
          "ssm:UpdateInstanceInformation",
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
          "ec2messages:AcknowledgeMessage",
          "ec2messages:DeleteMessage",
          "ec2messages:FailMessage",
          "ec2messages:GetEndpoint",
          "ec2messages:GetMessages",
          "ec2messages:SendReply",
        ],
        Resource: "*",
      },
      ...(object
        ? [
            { Sid: "FetchWeedBinary", Effect: "Allow", Action: ["s3:GetObject"], Resource: pulumi.interpolate`arn:${partition}:s3:::${object}` },
            {
              // An artifact bucket with SSE-KMS: S3 decrypts the object with the bucket's key in the caller's name,
              // so without kms:Decrypt every boot would fail the download and give up. The key is not known here:
              // through S3 only, and only for this object (the encryption context S3 passes is the object's ARN, or
              // the bucket's with S3 Bucket Keys, and the role may get no other object of the bucket). The key's
              // policy must let IAM policies grant it (aws/s3 and a default key policy do).
              Sid: "DecryptWeedBinary",
              Effect: "Allow",
              Action: ["kms:Decrypt"],
              Resource: "*",
              Condition: {
                StringEquals: {
                  "kms:ViaService": pulumi.interpolate`s3.${region}.amazonaws.com`,
                  "kms:EncryptionContext:aws:s3:arn": [pulumi.interpolate`arn:${partition}:s3:::${object}`, pulumi.interpolate`arn:${partition}:s3:::${object.split("/")[0]}`],
                },
              },
            },
          ]
        : []),
    ];
    new aws.iam.RolePolicy(
      `${name}-boot`,
      { name: physicalName("aws:iam/rolePolicy:RolePolicy", clusterName, "boot"), role: this.role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) },
      { parent: this },
    );
    this.instanceProfile = new aws.iam.InstanceProfile(
      `${name}-profile`,
      { name: physicalName("aws:iam/instanceProfile:InstanceProfile", clusterName, "master"), role: this.role, tags },
      { parent: this },
    );
    this.registerOutputs({ roleArn: this.role.arn, instanceProfileArn: this.instanceProfile.arn });
  }
}
