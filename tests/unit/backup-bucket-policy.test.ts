/**
 * The backup bucket's policy against the requests the backup agent really makes (issue #10, item 6). moto does not
 * evaluate bucket policies, so this is an evaluator-level check: a small evaluator of the Deny statements,
 * implementing IAM's documented condition semantics for the operators the policy uses (String(Not)Equals, Bool,
 * Null, the ...IfExists variants; a negated operator or an IfExists operator is true when the key is missing
 * from the request context), run against request contexts of a single PUT, of each step of a multipart upload
 * (`aws s3 cp` above 8 MiB) and of refused requests.
 * Not proven here: AWS's own evaluator (only its documented semantics are modelled), the exact context keys S3 puts
 * in each multipart request beyond what botocore issue 471 and the S3 docs state (UploadPart carries no SSE header),
 * and the interplay with the bucket's default encryption (that objects without the header end up SSE-KMS).
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { bucketPolicyDocument } from "../../infra/aws/backup/rules";

type Context = Record<string, string>;
interface Request {
  what: string;
  action: string;
  resource: string;
  context: Context;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Whether one condition operator holds for the request context (IAM's documented semantics). */
function operatorHolds(operator: string, tests: Record<string, string | string[]>, context: Context): boolean {
  const ifExists = operator.endsWith("IfExists");
  const base = ifExists ? operator.slice(0, -"IfExists".length) : operator;
  return Object.entries(tests).every(([key, expected]) => {
    const values = [expected].flat();
    const actual = context[key];
    if (base === "Null") return values.includes(String(actual === undefined));
    if (actual === undefined) return ifExists || base.includes("Not");
    switch (base) {
      case "StringEquals":
      case "Bool":
        return values.includes(actual);
      case "StringNotEquals":
        return !values.includes(actual);
      default:
        throw new Error(`operator ${operator} is not modelled by this test: extend it`);
    }
  });
}

function matches(pattern: string | string[], value: string): boolean {
  return [pattern].flat().some((p) => new RegExp(`^${p.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(value));
}

/** Whether any Deny statement of the document applies to the request. */
function denied(statements: readonly Statement[], request: Request): boolean {
  return statements.some(
    (s) =>
      s.Effect === "Deny" &&
      matches(s.Action, request.action) &&
      matches(s.Resource, request.resource) &&
      Object.entries(s.Condition ?? {}).every(([operator, tests]) => operatorHolds(operator, tests, request.context)),
  );
}

const BUCKET = "arn:aws:s3:::seaweedfs-prod-backups-123456789012-us-east-1";
const OBJECT = `${BUCKET}/seaweedfs-prod/2026-12-02/20261202T020000Z/raft/logs.dat`;
const TLS = { "aws:SecureTransport": "true" };
const KMS = { ...TLS, "s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:123456789012:key/backup" };

/** What the agent sends: S3 authorizes CreateMultipartUpload, UploadPart and CompleteMultipartUpload as s3:PutObject. */
const AGENT_REQUESTS: Request[] = [
  { what: "single PUT with --sse aws:kms (a file under 8 MiB)", action: "s3:PutObject", resource: OBJECT, context: KMS },
  { what: "CreateMultipartUpload with --sse aws:kms", action: "s3:PutObject", resource: OBJECT, context: KMS },
  { what: "UploadPart (carries no SSE header)", action: "s3:PutObject", resource: OBJECT, context: TLS },
  { what: "CompleteMultipartUpload", action: "s3:PutObject", resource: OBJECT, context: TLS },
  { what: "GetObject of a backup (restore)", action: "s3:GetObject", resource: OBJECT, context: TLS },
];

const REFUSED_REQUESTS: Request[] = [
  { what: "PUT asking for SSE-S3 (AES256)", action: "s3:PutObject", resource: OBJECT, context: { ...TLS, "s3:x-amz-server-side-encryption": "AES256" } },
  { what: "PUT over plain HTTP", action: "s3:PutObject", resource: OBJECT, context: { ...KMS, "aws:SecureTransport": "false" } },
  { what: "ListBucket over plain HTTP", action: "s3:ListBucket", resource: BUCKET, context: { "aws:SecureTransport": "false" } },
];

describe("the backup bucket policy", () => {
  const statements = bucketPolicyDocument(BUCKET).Statement as unknown as Statement[];

  for (const request of AGENT_REQUESTS) {
    it(`lets the agent's ${request.what} through`, () => {
      assert.equal(denied(statements, request), false);
    });
  }

  for (const request of REFUSED_REQUESTS) {
    it(`denies ${request.what}`, () => {
      assert.equal(denied(statements, request), true);
    });
  }

  it("the evaluator itself: a missing key makes negated and IfExists operators true, plain ones false", () => {
    // Negative controls, so that a wrong evaluator cannot make the policy look right.
    assert.equal(operatorHolds("StringNotEquals", { k: "v" }, {}), true);
    assert.equal(operatorHolds("StringNotEqualsIfExists", { k: "v" }, {}), true);
    assert.equal(operatorHolds("StringEquals", { k: "v" }, {}), false);
    assert.equal(operatorHolds("Null", { k: "true" }, {}), true);
    assert.equal(operatorHolds("Null", { k: "false" }, { k: "x" }), true);
    const requireHeader: Statement = { Effect: "Deny", Action: "s3:PutObject", Resource: `${BUCKET}/*`, Condition: { Null: { "s3:x-amz-server-side-encryption": "true" } } };
    assert.equal(denied([requireHeader], AGENT_REQUESTS[2]), true, "a policy demanding the header denies UploadPart");
  });
});
