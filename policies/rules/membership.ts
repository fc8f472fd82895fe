/**
 * Membership changes go through the documented steps (infra/seaweed/membership.ts, docs/runbooks/scaling.md): new
 * members added or leaving ones removed through raft one at a time, then the kept masters restarted onto the new
 * `-peers`, followers first and the leader last. A master Auto Scaling group with an instance refresh defeats that:
 * `pulumi up` changes every slot's launch template at once (a `masterCount` change rewrites `-peers` in all of them),
 * and each group would then replace its master on its own schedule, several at a time and the leader whenever.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, asRecord, TAGS } from "./graph";

/** The Auto Scaling group token. */
export const ASG_TYPE = "aws:autoscaling/group:Group";

/** Tags of an Auto Scaling group (a list of `{ key, value }`), as a map. */
function groupTags(props: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    asArray(props.tags)
      .map((t) => asRecord(t))
      .filter((t) => typeof t.key === "string")
      .map((t) => [t.key as string, String(t.value)]),
  );
}

export const masterOneAtATime: ResourceValidationPolicy = {
  name: "seaweedfs-master-one-at-a-time",
  description:
    "No master slot's Auto Scaling group refreshes its instance on a template change: a -peers (masterCount) or flag change must reach the masters one at a time through the membership steps and npm run rollout, never every slot at once.",
  severity: "high",
  validateResource: (args, report) => {
    if (args.type !== ASG_TYPE) args.notApplicable("not an Auto Scaling group");
    const tags = groupTags(args.props);
    if (tags[TAGS.slot] === undefined) args.notApplicable("not a master slot's group");
    const refresh = args.props.instanceRefresh;
    if (refresh !== undefined && refresh !== null && !(Array.isArray(refresh) && refresh.length === 0)) {
      report(
        `master slot ${tags[TAGS.slot]}'s group has an instance refresh (${JSON.stringify(refresh)}): a template change such as a masterCount change rewriting -peers would replace every slot's master at once, the leader included; remove instanceRefresh and change membership with the steps of docs/runbooks/scaling.md (npm run plan -- --previous prints them)`,
      );
    }
  },
};
