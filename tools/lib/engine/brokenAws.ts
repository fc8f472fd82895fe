/**
 * The prod program broken on purpose for the engine's policy checks on the AWS stacks (run through the stand-in
 * aws provider): an internet-facing NLB without cross-zone balancing or deletion protection, and backup bucket
 * versioning suspended. Applied as a stack transformation by the entry point {@link brokenEntry} writes into the
 * engine workspace's copy of the program, so the real program renders everything else; the same change is applied
 * to the mock graph for the in-process runner's verdicts. No imports: the file is copied next to the program.
 */

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

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
}
