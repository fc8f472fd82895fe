/**
 * An AWS stack's program broken on purpose for the engine's policy checks (run through the stand-in aws provider):
 * an internet-facing NLB without cross-zone balancing or deletion protection, backup bucket versioning suspended,
 * and a leader-count alarm whose threshold lets no leader and two leaders pass. The same breaker serves dev,
 * staging and prod. Applied as a stack transformation by the entry point brokenVariant.ts writes into the engine
 * workspace's copy of the program, so the real program renders everything else; the same change is applied to the
 * mock graph for the in-process runner's verdicts. No imports: the file is copied next to the program.
 */

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The violations the broken variant of AWS stack `stack` must produce, each as `rule @ resource name`. */
export function brokenAwsViolations(stack: string): string[] {
  return [
    `seaweedfs-backup-bucket-versioning @ seaweedfs-${stack}-backups-bucket`,
    `seaweedfs-lb-cross-zone @ seaweedfs-${stack}-lb-nlb`,
    // Judged for environment prod only (policies/config.<stack>.json).
    ...(stack === "prod" ? [`seaweedfs-lb-deletion-protection @ seaweedfs-prod-lb-nlb`] : []),
    `seaweedfs-lb-internal @ seaweedfs-${stack}-lb-nlb`,
    "seaweedfs-required-alarms @ stack",
  ];
}

/** Breaks the props of one resource in place; resources of other types are left alone. */
export function breakAwsProps(type: string, props: Props): void {
  if (type === "aws:lb/loadBalancer:LoadBalancer") {
    props.internal = false;
    props.enableCrossZoneLoadBalancing = false;
    props.enableDeletionProtection = false;
  }
  if (type === "aws:s3/bucketVersioning:BucketVersioning") {
    props.versioningConfiguration = { ...props.versioningConfiguration, status: "Suspended" };
  }
  if (type === "aws:cloudwatch/metricAlarm:MetricAlarm" && String(props.name).endsWith("-leader-count")) {
    // ABS(leaders - 1) > 1: neither no leader (1) nor two leaders (1) fire it.
    props.threshold = 1;
  }
}
