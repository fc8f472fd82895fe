/**
 * What a Kubernetes stack's config adds to its keys: the zone placement of the pods, refused when a change would
 * rename a deployed master's DNS identity (infra/kubernetes/identity.ts). The Kubernetes platform's contribution to
 * the platform registry (infra/platforms.ts).
 */
import { ConfigError, ConfigIssue, ConfigValues, KubernetesConfig, membershipIssues, ParseOptions } from "../config";
import { planZones } from "../topology";
import { renamedIdentities } from "./identity";

/**
 * Finishes a Kubernetes stack's config (readStackConfig has checked its keys; `issues` holds what it found): a raft
 * membership change against the last deployment, the zone placement, then renamed identities.
 *
 * @throws ConfigError listing every problem.
 */
export function kubernetesConfig(values: ConfigValues, options: ParseOptions, issues: ConfigIssue[]): KubernetesConfig {
  // readStackConfig read every key a Kubernetes stack has; the AWS-only ones are absent.
  const v = values as Partial<ConfigValues> as KubernetesConfig;
  issues.push(...membershipIssues(v, options.previousSlots ?? []));
  if (issues.length > 0) throw new ConfigError(issues, options.stack);
  const placement = planZones(v);
  if (!placement.topology) throw new ConfigError(placement.issues, options.stack);
  const renamed = renamedIdentities(v, options.previousSlots ?? []);
  if (renamed.length > 0) throw new ConfigError(renamed, options.stack);
  return { ...v, platform: "kubernetes", topology: placement.topology };
}
