/**
 * The backup bucket's policy against the requests the backup agent really makes (issue #10, item 6). moto does not
 * evaluate bucket policies' conditions, so this is an evaluator-level check: the restore drill's evaluator of Deny
 * statements (tools/lib/restore/bucketPolicy.ts, IAM's documented condition semantics: a negated operator is true
 * when the key is missing from the request context), run against request contexts of a single PUT, of each step of a multipart upload
 * (`aws s3 cp` above 8 MiB) and of refused requests.
 * Not proven here: AWS's own evaluator (only its documented semantics are modelled), the exact context keys S3 puts
 * in each multipart request beyond what botocore issue 471 and the S3 docs state (UploadPart carries no SSE header),
 * and the interplay with the bucket's default encryption (that objects without the header end up SSE-KMS).
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { bucketPolicyDocument } from "../../infra/aws/backup/rules";
import { deniedBy, S3Request } from "../../tools/lib/restore/bucketPolicy";

const BUCKET = "arn:aws:s3:::seaweedfs-prod-backups-123456789012-us-east-1";
const OBJECT = `${BUCKET}/seaweedfs-prod/2026-12-02/20261202T020000Z/raft/logs.dat`;
const TLS = { "aws:SecureTransport": "true" };
const KMS = { ...TLS, "s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:123456789012:key/backup" };

/** What the agent sends: S3 authorizes CreateMultipartUpload, UploadPart and CompleteMultipartUpload as s3:PutObject. */
type Request = S3Request & { what: string };
const request = (what: string, action: string, resource: string, context: Record<string, string>): Request => ({ what, action, resource, context, summary: what });

const AGENT_REQUESTS: Request[] = [
  request("single PUT with --sse aws:kms (a file under 8 MiB)", "s3:PutObject", OBJECT, KMS),
  request("CreateMultipartUpload with --sse aws:kms", "s3:PutObject", OBJECT, KMS),
  request("UploadPart (carries no SSE header)", "s3:PutObject", OBJECT, TLS),
  request("CompleteMultipartUpload", "s3:PutObject", OBJECT, TLS),
  request("GetObject of a backup (restore)", "s3:GetObject", OBJECT, TLS),
];

const REFUSED_REQUESTS: Request[] = [
  request("PUT asking for SSE-S3 (AES256)", "s3:PutObject", OBJECT, { ...TLS, "s3:x-amz-server-side-encryption": "AES256" }),
  request("PUT over plain HTTP", "s3:PutObject", OBJECT, { ...KMS, "aws:SecureTransport": "false" }),
  request("ListBucket over plain HTTP", "s3:ListBucket", BUCKET, { "aws:SecureTransport": "false" }),
];

describe("the backup bucket policy", () => {
  const policy = bucketPolicyDocument(BUCKET);

  for (const request of AGENT_REQUESTS) {
    it(`lets the agent's ${request.what} through`, () => {
      assert.deepEqual(deniedBy(policy, request), []);
    });
  }

  for (const request of REFUSED_REQUESTS) {
    it(`denies ${request.what}`, () => {
      assert.notDeepEqual(deniedBy(policy, request), []);
    });
  }

  it("the evaluator itself: a missing key makes a negated operator true and a plain one false", () => {
    // Negative controls, so that a wrong evaluator cannot make the policy look right.
    const deny = (condition: Record<string, Record<string, string>>) => ({ Statement: [{ Sid: "x", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `${BUCKET}/*`, Condition: condition }] });
    const bare = request("PUT without headers", "s3:PutObject", OBJECT, {});
    assert.deepEqual(deniedBy(deny({ StringNotEquals: { k: "v" } }), bare), ["x"]);
    assert.deepEqual(deniedBy(deny({ StringEquals: { k: "v" } }), bare), []);
    assert.deepEqual(deniedBy(deny({ Null: { "s3:x-amz-server-side-encryption": "true" } }), AGENT_REQUESTS[2]), ["x"], "a policy demanding the header denies UploadPart");
  });
});
