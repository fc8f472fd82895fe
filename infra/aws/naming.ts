/**
 * Names and tags that several AWS pieces must agree on: the tags that mark a slot's interface and volume (the boot
 * script finds them by these tags and IAM lets an instance attach only what carries them), the SSM path of the
 * stack's secrets and the private DNS names of the masters.
 */
import { PROJECT } from "../config/spec";

/** Tag keys on every resource of a master tier; IAM conditions and the boot script's lookups use them. */
export const TAG_KEYS = {
  cluster: "seaweedfs:cluster",
  slot: "seaweedfs:slot",
  /** What a resource is to the slot; snapshots (DLM) and the policy pack select by it. */
  role: "seaweedfs:role",
  /**
   * On data volumes only, valued with the cluster name: the one tag DLM targets. DLM selects a volume carrying any
   * of a policy's target tags, so the target must be a single tag that exists on exactly this cluster's data volumes.
   */
  snapshots: "seaweedfs:snapshots",
} as const;

/** Values of the role tag. Only the data volumes are `master-data`: DLM snapshots exactly those. */
export const ROLES = {
  networkInterface: "master-eni",
  dataVolume: "master-data",
} as const;

/** The heredoc delimiter around security.toml in a slot's boot script (the policy pack reads the file from there). */
export const SECURITY_TOML_HEREDOC = "SEAWEEDFS_SECURITY_TOML";

/** The tag that puts a volume in the cluster's DLM snapshot set. */
export function snapshotTag(clusterName: string): Record<string, string> {
  return { [TAG_KEYS.snapshots]: clusterName };
}

/** The tags that identify a cluster, or one slot of it. */
export function identityTags(clusterName: string, slot?: number): Record<string, string> {
  return slot === undefined ? { [TAG_KEYS.cluster]: clusterName } : { [TAG_KEYS.cluster]: clusterName, [TAG_KEYS.slot]: String(slot) };
}

/** The SSM path holding this stack's parameters; the instance role may read nothing else. */
export function ssmPrefixOf(clusterName: string): string {
  return `/${PROJECT}/${clusterName}`;
}

/** The SSM SecureString holding the JWT signing key. */
export function jwtParameterNameOf(clusterName: string): string {
  return `${ssmPrefixOf(clusterName)}/jwt-signing-key`;
}

/**
 * The SSM parameters of a master's TLS files, below the stack's path (the masters may read them): the CA bundle
 * (String), the slot's certificate (String) and its private key (SecureString).
 */
export function masterTlsParameterNames(clusterName: string, slot: number): { caBundle: string; cert: string; key: string } {
  const tls = `${ssmPrefixOf(clusterName)}/tls`;
  return { caBundle: `${tls}/ca.crt`, cert: `${tls}/master-${slot}.crt`, key: `${tls}/master-${slot}.key` };
}

/**
 * The SSM parameters of a client role's certificate and key: on a path of their own beside the stack's, so no
 * master can read a client's key (the masters' role reads only below {@link ssmPrefixOf}).
 */
export function clientTlsParameterNames(clusterName: string, role: string): { cert: string; key: string } {
  const tls = `/${PROJECT}/${clusterName}-clients/tls`;
  return { cert: `${tls}/${role}.crt`, key: `${tls}/${role}.key` };
}

/**
 * The SSM parameter that holds a slot for a quorum recovery (`npm run recover-quorum -- hold`): while it exists, the
 * slot's boot does not start a master whose `-mdir` has no raft state (docs/runbooks/lost-quorum.md §4).
 */
export function recoveryHoldParameterOf(clusterName: string, slot: number): string {
  return `${ssmPrefixOf(clusterName)}/slots/${slot}/recovery-hold`;
}

/** The private hosted zone: the configured name, or `<clusterName>.internal`. */
export function privateZoneNameOf(clusterName: string, configured: string): string {
  return configured || `${clusterName}.internal`;
}

/** `master-<slot>.<zone>`: the DNS name of one master. */
export function masterDnsName(slot: number, zoneName: string): string {
  return `master-${slot}.${zoneName}`;
}

/** `masters.<zone>`: the alias of the load balancer. */
export function loadBalancerDnsName(zoneName: string): string {
  return `masters.${zoneName}`;
}
