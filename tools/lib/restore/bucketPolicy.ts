/**
 * The backup bucket's policy, evaluated against the S3 requests the backup agent really sent. moto enforces the
 * policy's Deny statements but not their conditions (its put_bucket_policy docstring: "Conditions are not taken
 * into account"), so the drill removes the policy from moto, records every request the agent sends
 * (./recordingProxy.ts) and judges each S3 request here: a Deny statement applies when its action, resource and
 * every condition match. Only what the project's policies use is modelled (Deny with Principal "*"; Bool, Null,
 * StringEquals, StringNotEquals); anything else throws rather than pass unjudged. `allowedBy` judges an identity
 * policy's Allow statements the same way (the instance role's grants, e.g. kms:Decrypt of the weed artifact).
 */

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** One request as recorded on its way to moto. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Whether it arrived over TLS: the value of `aws:SecureTransport` S3 would see for it. */
  secureTransport: boolean;
}

/** An S3 request in IAM terms. */
export interface S3Request {
  action: string;
  resource: string;
  /** Condition keys and their values in this request (absent keys are missing, as IAM sees them). */
  context: Record<string, string>;
  /** e.g. "PUT /bucket/key" */
  summary: string;
}

const wildcard = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const header = (r: RecordedRequest, name: string) => Object.entries(r.headers).find(([k]) => k.toLowerCase() === name)?.[1];

/**
 * The S3 requests among the recorded ones (SigV4 scope `/s3/`), in IAM terms. Multipart part uploads and completions
 * are left out: which condition keys S3 evaluates for them is not modelled here (the agent's files are small enough
 * for single PUTs). `aws:SecureTransport` is each request's own transport, as recorded.
 */
export function s3Requests(recorded: readonly RecordedRequest[]): S3Request[] {
  const out: S3Request[] = [];
  for (const r of recorded) {
    if (!/\/s3\/aws4_request/.test(header(r, "authorization") ?? "")) continue;
    const url = new URL(r.url, "http://moto");
    const [bucket, ...keyParts] = url.pathname.replace(/^\//, "").split("/");
    const key = decodeURIComponent(keyParts.join("/"));
    const q = url.searchParams;
    if (q.has("partNumber") || (r.method === "POST" && q.has("uploadId"))) continue;
    let action: string;
    if (key === "") action = r.method === "GET" ? "s3:ListBucket" : `s3:${r.method}Bucket`;
    else if (r.method === "PUT" || (r.method === "POST" && q.has("uploads"))) action = "s3:PutObject";
    else if (r.method === "GET" || r.method === "HEAD") action = "s3:GetObject";
    else if (r.method === "DELETE") action = "s3:DeleteObject";
    else throw new Error(`unmodelled S3 request ${r.method} ${r.url}`);
    const context: Record<string, string> = { "aws:SecureTransport": String(r.secureTransport) };
    for (const name of ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"]) {
      const value = header(r, name);
      if (value !== undefined) context[`s3:${name}`] = value;
    }
    out.push({ action, resource: key === "" ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`, context, summary: `${r.method} ${url.pathname}${url.search}` });
  }
  return out;
}

function conditionHolds(operator: string, key: string, expected: string | string[], context: Record<string, string>): boolean {
  const actual = context[key];
  const values = list(expected).map(String);
  switch (operator) {
    case "Null":
      return values.every((v) => (v === "true") === (actual === undefined));
    case "Bool":
      return actual !== undefined && values.includes(actual.toLowerCase());
    case "StringEquals":
      return actual !== undefined && values.includes(actual);
    case "StringNotEquals":
      // IAM: true when the key is missing too.
      return actual === undefined || !values.includes(actual);
    default:
      throw new Error(`condition operator ${operator} is not modelled`);
  }
}

/** The Sids (or indexes) of the policy's Deny statements that refuse `request`. */
export function deniedBy(policy: { Statement: Record<string, unknown>[] }, request: S3Request): string[] {
  const denied: string[] = [];
  (policy.Statement as unknown as Statement[]).forEach((s, i) => {
    if ("NotAction" in s || "NotResource" in s || "NotPrincipal" in s) throw new Error(`statement ${s.Sid ?? i}: Not* elements are not modelled`);
    if (s.Effect !== "Deny") return;
    if (s.Principal !== "*" && JSON.stringify(s.Principal) !== JSON.stringify({ AWS: "*" })) throw new Error(`statement ${s.Sid ?? i}: only Principal "*" is modelled`);
    if (!list(s.Action).some((a) => wildcard(a).test(request.action))) return;
    if (!list(s.Resource).some((r) => wildcard(r).test(request.resource))) return;
    const conditions = Object.entries(s.Condition ?? {}).flatMap(([operator, keys]) => Object.entries(keys).map(([key, value]) => ({ operator, key, value })));
    if (conditions.every((c) => conditionHolds(c.operator, c.key, c.value, request.context))) denied.push(s.Sid ?? String(i));
  });
  return denied;
}

/**
 * The Sids (or indexes) of an identity policy's Allow statements that grant `request` (the same modelled
 * conditions; a statement with a Principal, or a Not* element, throws). The request's `action` may be any service's.
 */
export function allowedBy(policy: { Statement: Record<string, unknown>[] }, request: S3Request): string[] {
  const allowed: string[] = [];
  (policy.Statement as unknown as Statement[]).forEach((s, i) => {
    if ("NotAction" in s || "NotResource" in s || "Principal" in s) throw new Error(`statement ${s.Sid ?? i}: Principal and Not* elements are not modelled in an identity policy`);
    if (s.Effect !== "Allow") return;
    if (!list(s.Action).some((a) => wildcard(a).test(request.action))) return;
    if (!list(s.Resource).some((r) => wildcard(r).test(request.resource))) return;
    const conditions = Object.entries(s.Condition ?? {}).flatMap(([operator, keys]) => Object.entries(keys).map(([key, value]) => ({ operator, key, value })));
    if (conditions.every((c) => conditionHolds(c.operator, c.key, c.value, request.context))) allowed.push(s.Sid ?? String(i));
  });
  return allowed;
}
