/**
 * Physical names: the names AWS itself sees, and their limits. Pulumi auto-names a resource without an explicit
 * name as `<logical name>-<7 random chars>`, and the provider refuses one over the type's limit at preview (a target
 * group or load balancer may have 32 characters, so any clusterName over 15 failed). Every resource whose type has
 * a tight limit therefore gets an explicit, deterministic name from `physicalName`: a short cluster handle
 * (`clusterHandle`) plus a fixed suffix. `NAME_RULES` is the one table of limits: `npm run plan` reports each
 * resource's `awsName` from it and refuses (exit 2, naming clusterName) a name that does not fit.
 */
import { createHash } from "node:crypto";
import { ConfigError } from "../config/spec";

/** How one resource type is named in AWS. */
export interface NameRule {
  /** The input property holding the physical name. */
  property: string;
  /** The longest name AWS accepts. */
  max: number;
  /** Characters and forms AWS accepts (checked on the whole name). */
  pattern: RegExp;
  /** What the pattern means, for the error message. */
  patternText: string;
  /** Pulumi auto-names the resource (`<logical>-<7 chars>`) when the property is not set. */
  autonamed: boolean;
}

const ALNUM_DASH = { pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, patternText: "letters, digits and dashes, not starting or ending with a dash" };
const IAM = { pattern: /^[\w+=,.@-]+$/, patternText: "letters, digits and +=,.@_-" };
const ANY = { pattern: /^[^\s]/, patternText: "not starting with a space" };

/**
 * Limits of every named AWS type the program registers (AWS API references: CreateLoadBalancer,
 * CreateTargetGroup, CreateRole, CreateInstanceProfile, PutRolePolicy, CreatePolicy, bucket naming rules, CreateSecurityGroup,
 * CreateLaunchTemplate, CreateAutoScalingGroup, PutMetricAlarm, PutCompositeAlarm, PutDashboard, CreateLogGroup,
 * PutParameter, CreateTopic, CreateAlias, Route 53 DNS names). Types without a name (volumes, interfaces, rules,
 * attachments, listeners, keys, DLM policies) are absent.
 */
export const NAME_RULES: Readonly<Record<string, NameRule>> = {
  "aws:lb/loadBalancer:LoadBalancer": {
    property: "name",
    max: 32,
    pattern: /^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/,
    patternText: `${ALNUM_DASH.patternText}, not starting with "internal-"`,
    autonamed: true,
  },
  "aws:lb/targetGroup:TargetGroup": { property: "name", max: 32, ...ALNUM_DASH, autonamed: true },
  "aws:iam/role:Role": { property: "name", max: 64, ...IAM, autonamed: true },
  "aws:iam/instanceProfile:InstanceProfile": { property: "name", max: 128, ...IAM, autonamed: true },
  "aws:iam/rolePolicy:RolePolicy": { property: "name", max: 128, ...IAM, autonamed: true },
  "aws:iam/policy:Policy": { property: "name", max: 128, ...IAM, autonamed: true },
  "aws:s3/bucket:Bucket": {
    property: "bucket",
    max: 63,
    pattern: /^(?!xn--|sthree-|amzn-s3-demo-)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    patternText: "lower-case letters, digits, dots and dashes, starting and ending with a letter or digit",
    autonamed: true,
  },
  "aws:ec2/securityGroup:SecurityGroup": { property: "name", max: 255, pattern: /^(?!sg-)[\w .:/()#,@[\]+=&;{}!$*-]+$/, patternText: 'ASCII letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*, not starting with "sg-"', autonamed: true },
  "aws:ec2/launchTemplate:LaunchTemplate": { property: "name", max: 128, pattern: /^[a-zA-Z0-9().\-/_]{3,}$/, patternText: "3 or more letters, digits and ().-/_", autonamed: true },
  "aws:autoscaling/group:Group": { property: "name", max: 255, ...ANY, autonamed: true },
  "aws:cloudwatch/metricAlarm:MetricAlarm": { property: "name", max: 255, ...ANY, autonamed: true },
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": { property: "alarmName", max: 255, ...ANY, autonamed: true },
  "aws:cloudwatch/dashboard:Dashboard": { property: "dashboardName", max: 255, pattern: /^[A-Za-z0-9_-]+$/, patternText: "letters, digits, dashes and underscores", autonamed: false },
  "aws:cloudwatch/logGroup:LogGroup": { property: "name", max: 512, pattern: /^[\w./#-]+$/, patternText: "letters, digits and _-./#", autonamed: true },
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": { property: "name", max: 512, pattern: /^[^:*]+$/, patternText: "any characters but : and *", autonamed: true },
  "aws:ssm/parameter:Parameter": { property: "name", max: 1011, pattern: /^[\w./-]+$/, patternText: "letters, digits and _.-/", autonamed: false },
  "aws:sns/topic:Topic": { property: "name", max: 256, pattern: /^[\w-]+$/, patternText: "letters, digits, dashes and underscores", autonamed: true },
  "aws:kms/alias:Alias": { property: "name", max: 256, pattern: /^alias\/[\w/-]+$/, patternText: "alias/ then letters, digits and /_-", autonamed: true },
  "aws:route53/zone:Zone": { property: "name", max: 255, ...ANY, autonamed: false },
  "aws:route53/record:Record": { property: "name", max: 255, ...ANY, autonamed: false },
};

/** What Pulumi appends to an auto-named resource: a dash and 7 random characters (shown as a placeholder). */
export const AUTONAME_PLACEHOLDER = "-xxxxxxx";

/** The physical name AWS will see for a registered resource, or null for a type without one. */
export function awsNameOf(type: string, logicalName: string, inputs: Record<string, unknown>): string | null {
  const rule = NAME_RULES[type];
  if (!rule) return null;
  const explicit = inputs[rule.property];
  if (typeof explicit === "string" && explicit !== "") return explicit;
  return rule.autonamed ? `${logicalName}${AUTONAME_PLACEHOLDER}` : null;
}

/** Why a physical name is refused by AWS, or undefined when it fits. */
export function nameProblem(type: string, awsName: string): string | undefined {
  const rule = NAME_RULES[type];
  if (!rule) return undefined;
  if (awsName.length > rule.max) return `is ${awsName.length} characters, over the limit of ${rule.max}`;
  if (!rule.pattern.test(awsName)) return `breaks AWS's naming rule: ${rule.patternText}`;
  return undefined;
}

/** A handle has at most 20 characters: a longer cluster name keeps its first 15, a dash and 4 hex of a hash. */
const HANDLE_MAX = 20;
const HANDLE_PREFIX = 15;

/** A few hex characters of the sha256 of the given parts (joined by NUL, so parts cannot run into each other). */
export function shortHash(parts: readonly (string | number)[], length = 4): string {
  return createHash("sha256").update(parts.map(String).join("\0")).digest("hex").slice(0, length);
}

/**
 * The short handle of a cluster in physical names: the name itself up to 20 characters (readable in the console);
 * a longer one is cut to its first 15 characters (without a trailing dash) plus 4 hex of the sha256 of the whole
 * name, so two clusters sharing a 15-character prefix still get different names.
 */
export function clusterHandle(clusterName: string): string {
  if (clusterName.length <= HANDLE_MAX) return clusterName;
  return `${clusterName.slice(0, HANDLE_PREFIX).replace(/-+$/, "")}-${shortHash([clusterName])}`;
}

/**
 * `<handle>-<suffix>`, the explicit physical name of a resource of `type`; refused with a ConfigError naming
 * clusterName when AWS would refuse it, before any resource is registered.
 */
export function physicalName(type: keyof typeof NAME_RULES, clusterName: string, suffix: string): string {
  const name = `${clusterHandle(clusterName)}-${suffix}`;
  const problem = nameProblem(type, name);
  if (problem) {
    throw new ConfigError([{ key: "clusterName", value: clusterName, message: `the ${type.split(":").pop()} name "${name}" derived from it ${problem}`, fix: "choose another clusterName" }]);
  }
  return name;
}
