/**
 * Backups, when the stack has any: the backup bucket is versioned, KMS-encrypted, closed to the public, TLS-only and
 * keeps objects at least minRetentionDays; a DLM policy snapshots the master data volumes. S3 settings are separate
 * resources in @pulumi/aws 7, joined to their bucket through the `bucket` property (its dependency, or its value).
 */
import type { PolicyResource, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { actionMatches, asArray, asRecord, describe, flag, numberOf, ofType, policyDocument, referenced, S3_TYPES, tagsOf, TAGS, TYPES } from "./graph";

/** Component type of the backups (shared contract). */
export const BACKUPS_COMPONENT = "seaweed:aws:Backups";

function within(r: PolicyResource, componentType: string): boolean {
  for (let p = r.parent; p; p = p.parent) if (p.type === componentType) return true;
  return false;
}

/** The buckets the backup rules apply to: those of the Backups component, or every bucket when there is none. */
export function backupBuckets(resources: readonly PolicyResource[]): PolicyResource[] {
  const buckets = ofType(resources, ...S3_TYPES.bucket);
  const hasComponent = resources.some((r) => r.type === BACKUPS_COMPONENT);
  return hasComponent ? buckets.filter((b) => within(b, BACKUPS_COMPONENT)) : buckets;
}

/** Runs `check` on each backup bucket with its companion resources of `types`; not applicable without buckets. */
function eachBucket(
  args: StackValidationArgs,
  types: readonly string[],
  check: (bucket: PolicyResource, companions: PolicyResource[]) => string | undefined,
  report: (message: string, urn?: string) => void,
): void {
  const buckets = backupBuckets(args.resources);
  if (buckets.length === 0) args.notApplicable("no backup bucket in this stack");
  const candidates = ofType(args.resources, ...types);
  for (const bucket of buckets) {
    const companions = candidates.filter((c) => referenced(c, "bucket", [bucket]).length > 0);
    const problem = check(bucket, companions);
    if (problem) report(`${describe(bucket)}: ${problem}`, bucket.urn);
  }
}

export const bucketVersioning: StackValidationPolicy = {
  name: "seaweedfs-backup-bucket-versioning",
  description: "The backup bucket has versioning enabled, so an overwritten or deleted backup can be recovered.",
  severity: "high",
  validateStack: (args, report) =>
    eachBucket(args, S3_TYPES.versioning, (_, found) =>
      found.some((v) => asRecord(v.props.versioningConfiguration).status === "Enabled") ? undefined : "versioning is not enabled",
    report),
};

export const bucketEncryption: StackValidationPolicy = {
  name: "seaweedfs-backup-bucket-encryption",
  description: "The backup bucket encrypts by default with KMS (aws:kms or aws:kms:dsse), optionally with a customer key.",
  severity: "high",
  configSchema: { properties: { requireCustomerKey: { type: "boolean", default: false } } },
  validateStack: (args, report) => {
    const { requireCustomerKey } = args.getConfig<{ requireCustomerKey: boolean }>();
    eachBucket(args, S3_TYPES.encryption, (_, found) => {
      const defaults = found.flatMap((e) => asArray(e.props.rules)).map((r) => asRecord(asRecord(r).applyServerSideEncryptionByDefault));
      const kms = defaults.filter((d) => String(d.sseAlgorithm ?? "").startsWith("aws:kms"));
      if (kms.length === 0) return `no KMS default encryption (found ${defaults.map((d) => String(d.sseAlgorithm)).join(", ") || "none"})`;
      if (requireCustomerKey && !kms.some((d) => d.kmsMasterKeyId)) return "KMS encryption uses the AWS managed key, not a customer key";
      return undefined;
    }, report);
  },
};

const BLOCK_SETTINGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const bucketPublicAccessBlock: StackValidationPolicy = {
  name: "seaweedfs-backup-bucket-public-access-block",
  description: "The backup bucket has a public access block with all four settings on.",
  severity: "critical",
  validateStack: (args, report) =>
    eachBucket(args, S3_TYPES.publicAccessBlock, (_, found) => {
      if (found.length === 0) return "no public access block";
      const off = BLOCK_SETTINGS.filter((s) => !found.some((b) => flag(b.props[s]) === true));
      return off.length > 0 ? `public access block leaves ${off.join(", ")} off` : undefined;
    }, report),
};

/** Whether a bucket policy statement denies every S3 request made without TLS. */
function deniesInsecureTransport(statement: Record<string, unknown>): boolean {
  const secure = asRecord(asRecord(statement.Condition).Bool)["aws:SecureTransport"];
  const actions = asArray(statement.Action).map(String);
  return statement.Effect === "Deny" && flag(secure) === false && actions.some((a) => actionMatches(a, "s3:GetObject") && actionMatches(a, "s3:PutObject"));
}

export const bucketTlsOnly: StackValidationPolicy = {
  name: "seaweedfs-backup-bucket-tls-only",
  description: "The backup bucket policy denies every request without TLS (aws:SecureTransport false).",
  severity: "high",
  validateStack: (args, report) =>
    eachBucket(args, S3_TYPES.policy, (_, found) => {
      const statements = found.flatMap((p) => asArray(policyDocument(p.props.policy)?.Statement)).map(asRecord);
      return statements.some(deniesInsecureTransport) ? undefined : "no bucket policy statement denies requests without TLS";
    }, report),
};

export const bucketLifecycle: StackValidationPolicy = {
  name: "seaweedfs-backup-bucket-lifecycle",
  description: "The backup bucket has an enabled lifecycle, and no rule expires current or noncurrent backups before minRetentionDays.",
  severity: "medium",
  configSchema: { properties: { minRetentionDays: { type: "integer", minimum: 1, default: 7 } } },
  validateStack: (args, report) => {
    const { minRetentionDays } = args.getConfig<{ minRetentionDays: number }>();
    eachBucket(args, S3_TYPES.lifecycle, (_, found) => {
      const rules = found.flatMap((l) => asArray(l.props.rules)).map(asRecord).filter((r) => r.status === "Enabled");
      if (rules.length === 0) return "no enabled lifecycle rule";
      const short = rules.flatMap((r) => {
        const days = numberOf(asRecord(r.expiration).days);
        const noncurrent = numberOf(asRecord(r.noncurrentVersionExpiration).noncurrentDays);
        return [
          ...(days !== undefined && days < minRetentionDays ? [`rule ${String(r.id)} expires objects after ${days} days`] : []),
          ...(noncurrent !== undefined && noncurrent < minRetentionDays ? [`rule ${String(r.id)} expires noncurrent versions after ${noncurrent} days`] : []),
        ];
      });
      return short.length > 0 ? `${short.join("; ")}: fewer than minRetentionDays ${minRetentionDays}` : undefined;
    }, report);
  },
};

/** The Object Lock retention modes, weakest first: GOVERNANCE yields to s3:BypassGovernanceRetention, COMPLIANCE to nobody. */
const LOCK_MODES = ["GOVERNANCE", "COMPLIANCE"] as const;

export const bucketObjectLock: StackValidationPolicy = {
  name: "seaweedfs-backup-bucket-object-lock",
  description:
    "The backup bucket is created with S3 Object Lock and a default retention of at least minDays in at least requiredMode " +
    "(COMPLIANCE on prod: no operator mistake and no stolen role can delete or overwrite a backup version inside the window; " +
    "GOVERNANCE yields to any principal allowed s3:BypassGovernanceRetention).",
  severity: "high",
  configSchema: { properties: { requiredMode: { type: "string", enum: [...LOCK_MODES], default: "GOVERNANCE" }, minDays: { type: "integer", minimum: 1, default: 1 } } },
  validateStack: (args, report) => {
    const { requiredMode, minDays } = args.getConfig<{ requiredMode: (typeof LOCK_MODES)[number]; minDays: number }>();
    eachBucket(args, S3_TYPES.objectLock, (bucket, found) => {
      if (flag(bucket.props.objectLockEnabled) !== true) return "Object Lock is not enabled (objectLockEnabled; S3 allows it only when the bucket is created)";
      const retentions = found.map((l) => asRecord(asRecord(l.props.rule).defaultRetention)).filter((r) => r.mode !== undefined);
      if (retentions.length === 0) return "no Object Lock default retention (an unlocked upload can be deleted at once)";
      const problems = retentions.flatMap((r) => {
        const mode = String(r.mode);
        const years = numberOf(r.years);
        const days = numberOf(r.days) ?? (years !== undefined ? years * 365 : undefined);
        return [
          ...(LOCK_MODES.indexOf(mode as (typeof LOCK_MODES)[number]) < LOCK_MODES.indexOf(requiredMode) ? [`default retention mode ${mode}, ${requiredMode} required`] : []),
          ...(days === undefined || days < minDays ? [`default retention of ${days ?? "no"} days, fewer than minDays ${minDays}`] : []),
        ];
      });
      return problems.length > 0 ? problems.join("; ") : undefined;
    }, report);
  },
};

export const volumeSnapshots: StackValidationPolicy = {
  name: "seaweedfs-backup-volume-snapshots",
  description:
    `When the stack has backups, an enabled DLM policy selects every master data volume (${TAGS.role}=${TAGS.dataVolumeRole}) ` +
    "and, since DLM takes any volume carrying one of its target tags, no instance root volume.",
  severity: "high",
  configSchema: {
    properties: { dataVolumeTags: { type: "object", additionalProperties: { type: "string" }, default: { [TAGS.role]: TAGS.dataVolumeRole } } },
  },
  validateStack: (args, report) => {
    const policies = ofType(args.resources, TYPES.dlmPolicy);
    const hasBackups = args.resources.some((r) => r.type === BACKUPS_COMPONENT);
    if (policies.length === 0 && !hasBackups) args.notApplicable("no backups in this stack");
    const { dataVolumeTags } = args.getConfig<{ dataVolumeTags: Record<string, string> }>();
    const wanted = Object.entries(dataVolumeTags);
    const described = wanted.map(([k, v]) => `${k}=${v}`).join(", ");
    const dataVolumes = ofType(args.resources, TYPES.volume).filter((v) => wanted.every(([k, val]) => tagsOf(v.props)[k] === val));
    const enabled = policies.filter((p) => {
      const types = asArray(asRecord(p.props.policyDetails).resourceTypes);
      return p.props.state !== "DISABLED" && (types.length === 0 || types.includes("VOLUME"));
    });
    const targetTags = (p: PolicyResource) => Object.entries(asRecord(asRecord(p.props.policyDetails).targetTags));
    const selects = (p: PolicyResource, tags: Record<string, string>) => targetTags(p).some(([k, v]) => tags[k] === v);
    if (dataVolumes.length === 0) {
      report(`no volume carries ${described}, so no DLM policy can snapshot the master data`);
      return;
    }
    if (!enabled.some((p) => dataVolumes.every((v) => selects(p, tagsOf(v.props))))) {
      const missed = enabled.length ? ` (not selected by ${enabled.map((p) => p.name).join(", ")}: ${dataVolumes.filter((v) => !enabled.some((p) => selects(p, tagsOf(v.props)))).map((v) => v.name).join(", ") || "split across policies"})` : "";
      report(`no enabled DLM policy selects every master data volume (${described})${missed}`);
    }
    const rootVolumeTags = ofType(args.resources, TYPES.launchTemplate).flatMap((lt) =>
      asArray(lt.props.tagSpecifications).map(asRecord).filter((spec) => spec.resourceType === "volume").map((spec) => ({ lt, tags: tagsOf(spec) })),
    );
    for (const p of enabled) {
      const root = rootVolumeTags.find(({ tags }) => selects(p, tags));
      if (root) report(`DLM policy ${p.name} also snapshots instance root volumes: a target tag is on the root volumes of ${root.lt.name}`, p.urn);
    }
  },
};
