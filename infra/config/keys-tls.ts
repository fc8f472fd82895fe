/**
 * Config keys of the tier's mutual TLS (infra/seaweed/tls.ts, docs/security.md), read by both platforms. Same rules
 * as config/keys.ts: every key declared once with type, default, documentation and fix. The defaults: TLS on
 * wherever data matters (staging, prod), certificates valid a year and renewed by the first `pulumi up` in their
 * last 30 days, an alarm two weeks before expiry if that `pulumi up` or the roll that follows it never happened.
 */
import { z } from "zod";
import { key, type ConfigIssue, type Environment } from "./spec";

const days = (min: number, max: number) => z.number().int("must be a whole number").min(min, `must be at least ${min} days`).max(max, `must be at most ${max} days`);
const generation = z.number().int("must be a whole number").min(1, "generations start at 1");

export const TLS_KEYS = {
  tlsEnabled: key({
    type: "boolean",
    description: "Mutual TLS on every gRPC channel of the master tier: raft between masters, volume-server heartbeats, filers' and `weed shell`'s calls. The program issues a CA and the certificates (docs/security.md); clients need a certificate of that CA (stack output tls).",
    schema: z.boolean(),
    defaultFor: (environment: Environment) => environment !== "dev",
    fix: "set true (required on staging and prod by policy seaweedfs-tls-required) or false",
  }),
  tlsCaValidityDays: key({
    type: "integer",
    description: "Lifetime of the stack's CA, in days. Rotating the CA (tlsCaGeneration) costs a roll of every master and every client, so it is long.",
    schema: days(30, 7300),
    default: 3650,
    fix: "use 30 to 7300 days, e.g. 3650",
  }),
  tlsCertificateValidityDays: key({
    type: "integer",
    description: "Lifetime of every certificate the CA issues (masters, volume servers, filers, administrators), in days. A certificate never outlives its CA.",
    schema: days(2, 825),
    default: 365,
    fix: "use 2 to 825 days, e.g. 365",
  }),
  tlsRenewBeforeDays: key({
    type: "integer",
    description: "The renewal window: a `pulumi up` within this many days of a certificate's expiry issues a new one (then roll the masters: npm run rollout). Shorter than tlsCertificateValidityDays.",
    schema: days(1, 365),
    default: 30,
    fix: "use fewer days than tlsCertificateValidityDays, e.g. 30",
  }),
  tlsExpiryAlarmDays: key({
    type: "integer",
    description: "The certificate-expiry alarm (CloudWatch on AWS, per slot, from what each host reports; the PrometheusRule on Kubernetes) fires when a master's certificate expires within this many days. Shorter than tlsRenewBeforeDays, so it fires only when a renewal (pulumi up) or the roll after it was missed.",
    schema: days(1, 365),
    default: 14,
    fix: "use fewer days than tlsRenewBeforeDays, e.g. 14",
  }),
  tlsReloadSeconds: key({
    type: "integer",
    description: "How often every master (and the drills' volume servers) re-reads its certificate, key and CA bundle from disk (WEED_TLS_CERT_REFRESH_INTERVAL; SeaweedFS's default is 5 hours). On Kubernetes a renewed or rotated Secret then takes effect without restarting a pod; on AWS a slot's files change only when its instance is replaced (npm run rollout).",
    schema: z.number().int("must be a whole number").min(1, "must be at least 1 s").max(86_400, "must be at most 86400 s (a day)"),
    default: 300,
    fix: "use 1 to 86400 seconds, e.g. 300",
  }),
  tlsCaGeneration: key({
    type: "integer",
    description: "The CA that issues the certificates, by generation (1 is the first). Raising it rotates the CA: see docs/security.md (first trust the new one with tlsCaTrustedGenerations, then issue from it, then stop trusting the old one).",
    schema: generation,
    default: 1,
    fix: "use the generation of the CA that should issue, e.g. 1",
  }),
  tlsCaTrustedGenerations: key({
    type: "array",
    description: "During a CA rotation: other CA generations every party also trusts (the overlap bundle). Empty outside a rotation: only tlsCaGeneration is trusted.",
    schema: z.array(generation).refine((list) => new Set(list).size === list.length, "lists a generation more than once"),
    default: [],
    fix: "list the other generation during a rotation, e.g. [2] while generation 1 still issues; leave it empty otherwise",
  }),
};

/** The CA generations every party trusts: the issuing one and those of an ongoing rotation, in order. */
export function trustedCaGenerations(v: { tlsCaGeneration: number; tlsCaTrustedGenerations: readonly number[] }): number[] {
  return [...new Set([v.tlsCaGeneration, ...v.tlsCaTrustedGenerations])].sort((a, b) => a - b);
}

/** Keys that only make sense together. */
export function tlsCrossChecks(
  v: { tlsCertificateValidityDays: number; tlsCaValidityDays: number; tlsRenewBeforeDays: number; tlsExpiryAlarmDays: number; tlsCaGeneration: number; tlsCaTrustedGenerations: number[] },
  issues: ConfigIssue[],
): void {
  if (v.tlsRenewBeforeDays >= v.tlsCertificateValidityDays) {
    issues.push({ key: "tlsRenewBeforeDays", value: v.tlsRenewBeforeDays, message: `must be shorter than tlsCertificateValidityDays (${v.tlsCertificateValidityDays}), or every pulumi up re-issues every certificate`, fix: "use e.g. 30 with tlsCertificateValidityDays 365" });
  }
  if (v.tlsExpiryAlarmDays >= v.tlsRenewBeforeDays) {
    issues.push({ key: "tlsExpiryAlarmDays", value: v.tlsExpiryAlarmDays, message: `must be shorter than tlsRenewBeforeDays (${v.tlsRenewBeforeDays}): the alarm is for a renewal that did not happen`, fix: "use e.g. 14 with tlsRenewBeforeDays 30" });
  }
  if (v.tlsCertificateValidityDays > v.tlsCaValidityDays) {
    issues.push({ key: "tlsCertificateValidityDays", value: v.tlsCertificateValidityDays, message: `is longer than the CA's lifetime (tlsCaValidityDays ${v.tlsCaValidityDays})`, fix: "shorten it, or lengthen tlsCaValidityDays" });
  }
  if (v.tlsCaTrustedGenerations.includes(v.tlsCaGeneration)) {
    issues.push({ key: "tlsCaTrustedGenerations", value: v.tlsCaTrustedGenerations, message: `lists the issuing generation ${v.tlsCaGeneration}, which is always trusted`, fix: "list only the other generation of a rotation" });
  }
  if (v.tlsCaTrustedGenerations.length > 1) {
    issues.push({ key: "tlsCaTrustedGenerations", value: v.tlsCaTrustedGenerations, message: "lists more than one other generation: a rotation overlaps two CAs, old and new", fix: "finish one rotation before starting the next" });
  }
}
