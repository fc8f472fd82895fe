/**
 * Helpers the rules share: the AWS type tokens they inspect, tolerant readers of resource properties (the engine
 * hands policies outputs, in which booleans of some inputs are strings), tags, decoded user data and the links
 * between resources (`propertyDependencies`, falling back to ARN/name matching).
 */
import type { PolicyResource } from "@pulumi/policy";
import { ROLES, TAG_KEYS } from "../../infra/aws/naming";
import { decodeUserData } from "../../infra/aws/userData";

/** Type tokens of @pulumi/aws 7 that the rules inspect. */
export const TYPES = {
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  instance: "aws:ec2/instance:Instance",
  networkInterface: "aws:ec2/networkInterface:NetworkInterface",
  subnet: "aws:ec2/subnet:Subnet",
  eip: "aws:ec2/eip:Eip",
  volume: "aws:ebs/volume:Volume",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  compositeAlarm: "aws:cloudwatch/compositeAlarm:CompositeAlarm",
  dlmPolicy: "aws:dlm/lifecyclePolicy:LifecyclePolicy",
} as const;

/** S3 tokens, each with its deprecated V2 alias, which still registers under its own token. */
export const S3_TYPES = {
  bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  encryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  policy: ["aws:s3/bucketPolicy:BucketPolicy"],
  lifecycle: [
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
  ],
  objectLock: ["aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"],
} as const;

/** The tag keys of the shared contract, as infra/aws/naming.ts writes them. */
export const TAGS = {
  cluster: TAG_KEYS.cluster,
  slot: TAG_KEYS.slot,
  role: TAG_KEYS.role,
  eniRole: ROLES.networkInterface,
  dataVolumeRole: ROLES.dataVolume,
} as const;

export type Props = Record<string, unknown>;

/** `true`/`"true"` and `false`/`"false"` (launch templates carry booleans as strings). */
export function flag(value: unknown): boolean | undefined {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return undefined;
}

export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function asRecord(value: unknown): Props {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Props) : {};
}

export function tagsOf(props: Props): Record<string, string> {
  return { ...(asRecord(props.tagsAll) as Record<string, string>), ...(asRecord(props.tags) as Record<string, string>) };
}

export function ofType(resources: readonly PolicyResource[], ...types: readonly string[]): PolicyResource[] {
  return resources.filter((r) => types.includes(r.type));
}

/** A resource in a message: `name (type)`. */
export function describe(r: { name: string; type: string }): string {
  return `${r.name} (${r.type})`;
}

/**
 * The boot script of a launch template (base64 `userData`) or an instance (`userData`, or `userDataBase64`), as
 * cloud-init runs it: gzip user data is decompressed (infra/aws/userData.ts), so no rule judges compressed bytes.
 */
export function userDataText(r: { type: string; props: Props }): string {
  if (r.type === TYPES.launchTemplate) return decodeUserData(r.props.userData);
  return typeof r.props.userData === "string" ? r.props.userData : decodeUserData(r.props.userDataBase64);
}

/**
 * The resources `r` references through `property`: the engine's property dependencies, or else the resources whose
 * ARN or `bucket` equals the property's value.
 */
export function referenced(r: PolicyResource, property: string, candidates: readonly PolicyResource[]): PolicyResource[] {
  const linked = (r.propertyDependencies[property] ?? []).filter((d) => candidates.includes(d));
  if (linked.length > 0) return linked;
  const value = r.props[property];
  if (typeof value !== "string" || value === "") return [];
  return candidates.filter((c) => [c.props.arn, c.props.bucket].includes(value));
}

/** Whether an IAM action pattern (with `*`/`?` wildcards) grants `action`. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return regex.test(action);
}

/** A JSON policy document given as text or object; undefined when it does not parse. */
export function policyDocument(value: unknown): { Statement?: unknown } | undefined {
  if (typeof value === "string") {
    try {
      return JSON.parse(value) as { Statement?: unknown };
    } catch {
      return undefined;
    }
  }
  return value && typeof value === "object" ? (value as { Statement?: unknown }) : undefined;
}

export function numberOf(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}
