/**
 * IAM's documented quotas on a role and its policies, checked offline for requests built from the program's recorded
 * resources (moto checks none of them, and no real account is reachable here): the project's own reading of
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html ("IAM and AWS STS quotas"):
 * - all inline policies of a role together: at most 10,240 characters;
 * - one managed policy: at most 6,144 characters;
 * - managed policies attached to a role: 10 by default (an adjustable quota, up to 20);
 * - a role's trust policy: 2,048 characters by default (adjustable to 4,096).
 * IAM does not count white space outside strings, so a document is measured in its compact JSON form.
 */
import type { RecordedResource } from "../../tools/lib/mockGraph";

export const IAM_LIMITS = {
  inlinePoliciesPerRoleChars: 10_240,
  managedPolicyChars: 6_144,
  managedPoliciesPerRole: 10,
  trustPolicyChars: 2_048,
} as const;

/** A policy document's size as IAM counts it: its JSON without the white space between tokens. */
export function policySize(document: string): number {
  return JSON.stringify(JSON.parse(document)).length;
}

/** One role as IAM stores it: its trust policy, its inline policies and the managed policies attached to it. */
export interface RoleRequest {
  name: string;
  trustPolicy: string;
  inline: { name: string; document: string }[];
  managed: { name: string; document: string }[];
}

/** The role `role` of a recorded program, with its inline policies and the documents of its attached managed policies. */
export function roleRequest(resources: readonly RecordedResource[], role: RecordedResource): RoleRequest {
  const onRole = (r: RecordedResource) => (r.propertyDependencies.role ?? []).includes(role.urn);
  const inline = resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && onRole(r));
  const attached = resources.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && onRole(r)).map((a) => String(a.inputs.policyArn));
  const managed = resources.filter((r) => r.type === "aws:iam/policy:Policy" && attached.includes(String(r.state.arn)));
  if (managed.length !== attached.length) throw new Error(`role ${role.name}: ${attached.length} attachments but ${managed.length} managed policies of the stack (an AWS-managed policy is not measured here)`);
  return {
    name: role.name,
    trustPolicy: String(role.inputs.assumeRolePolicy),
    inline: inline.map((p) => ({ name: p.name, document: String(p.inputs.policy) })),
    managed: managed.map((p) => ({ name: p.name, document: String(p.inputs.policy) })),
  };
}

/** Problems IAM would refuse the role's policies for (empty: within every checked quota). */
export function roleProblems(role: RoleRequest): string[] {
  const p: string[] = [];
  const inline = role.inline.reduce((sum, policy) => sum + policySize(policy.document), 0);
  if (inline > IAM_LIMITS.inlinePoliciesPerRoleChars) {
    p.push(`its inline policies total ${inline} characters (${role.inline.map((i) => `${i.name} ${policySize(i.document)}`).join(", ")}), at most ${IAM_LIMITS.inlinePoliciesPerRoleChars}`);
  }
  for (const policy of role.managed) {
    const size = policySize(policy.document);
    if (size > IAM_LIMITS.managedPolicyChars) p.push(`managed policy ${policy.name} has ${size} characters, at most ${IAM_LIMITS.managedPolicyChars}`);
  }
  if (role.managed.length > IAM_LIMITS.managedPoliciesPerRole) p.push(`${role.managed.length} managed policies attached, at most ${IAM_LIMITS.managedPoliciesPerRole} (default quota)`);
  const trust = policySize(role.trustPolicy);
  if (trust > IAM_LIMITS.trustPolicyChars) p.push(`its trust policy has ${trust} characters, at most ${IAM_LIMITS.trustPolicyChars}`);
  return p.map((problem) => `role ${role.name}: ${problem}`);
}
