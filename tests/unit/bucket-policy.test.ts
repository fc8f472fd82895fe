/**
 * The drill judges the backup agent's S3 requests against the bucket's real policy (moto ignores its conditions):
 * the judge refuses what AWS would refuse under that policy (no TLS, an SSE header other than aws:kms) and lets
 * through an upload over TLS that asks for SSE-KMS or for nothing (the bucket's default encryption is SSE-KMS); requests are read as the drill's recording proxy keeps them, each with the transport it arrived on.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { bucketPolicyDocument } from "../../infra/aws/backup/rules";
import { deniedBy, s3Requests } from "../../tools/lib/restore/bucketPolicy";

const policy = bucketPolicyDocument("arn:aws:s3:::backups");
const s3Auth = "AWS4-HMAC-SHA256 Credential=testing/20261202/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x";
const put = (headers: Record<string, string>, secureTransport = true) => ({ method: "PUT", url: "/backups/c/2026-12-02/x/raft/logs.dat", headers: { Authorization: s3Auth, ...headers }, secureTransport });
const judge = (request: ReturnType<typeof put>) => s3Requests([request]).map((r) => deniedBy(policy, r));

describe("the backup bucket policy, applied to recorded S3 requests", () => {
  it("lets an SSE-KMS upload over TLS through", () => {
    assert.deepEqual(judge(put({ "X-Amz-Server-Side-Encryption": "aws:kms", "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "arn:aws:kms:us-east-1:1:key/k" })), [[]]);
  });

  it("lets an upload without the encryption header through: the bucket's default encryption makes it SSE-KMS", () => {
    assert.deepEqual(judge(put({})), [[]]);
  });

  it("refuses an upload asking for AES256, or over plain HTTP", () => {
    assert.deepEqual(judge(put({ "x-amz-server-side-encryption": "AES256" })), [["DenyUploadsAskingForOtherEncryption"]]);
    assert.deepEqual(judge(put({ "x-amz-server-side-encryption": "aws:kms" }, false)), [["DenyInsecureTransport"]]);
  });

  it("maps reads and listings to their actions, skips part uploads and non-S3 calls", () => {
    const requests = s3Requests(
      [
        { method: "GET", url: "/backups?list-type=2&prefix=c/", headers: { authorization: s3Auth }, secureTransport: true },
        { method: "GET", url: "/backups/c/manifest.json", headers: { authorization: s3Auth }, secureTransport: true },
        { method: "PUT", url: "/backups/c/big?partNumber=1&uploadId=u", headers: { authorization: s3Auth }, secureTransport: true },
        { method: "POST", url: "/", headers: { authorization: s3Auth.replace("/s3/", "/ssm/") }, secureTransport: true },
      ],
    );
    assert.deepEqual(requests.map((r) => [r.action, r.resource]), [["s3:ListBucket", "arn:aws:s3:::backups"], ["s3:GetObject", "arn:aws:s3:::backups/c/manifest.json"]]);
    assert.deepEqual(requests.map((r) => deniedBy(policy, r)), [[], []]);
  });

  it("refuses to judge what it does not model instead of passing it", () => {
    const [request] = s3Requests([put({})]);
    assert.throws(() => deniedBy({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }] }, request), /IpAddress is not modelled/);
  });
});
