/**
 * What the mocked cloud answers: provider-computed outputs (ids, ARNs, DNS names, random values) for registered
 * resources, and the few invokes the program makes. Any invoke it does not know throws, so a new lookup can never
 * pass silently with an empty answer.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../infra/config/spec";
import { SigningKey } from "../../infra/kubernetes/signingKey";
import { CertificateAuthority, IssuedCertificate } from "../../infra/tls/resources";

export const MOCK_ACCOUNT = "123456789012";
export const MOCK_REGION = "us-east-1";
export const MOCK_ORGANIZATION = "acme";

/**
 * The value every mocked signing key returns: `random.RandomPassword` (AWS) and the Kubernetes stacks' dynamic
 * SigningKey (whose own create never runs under mocks). Tests search the whole resource graph for it to prove the
 * JWT signing key reaches nothing but its SSM parameter.
 */
export const MOCK_SECRET_VALUE = "mock-jwt-signing-key-7f3c9a1e5b2d4c6f8a0e";

/**
 * The private key every mocked CA and certificate returns (their own create never runs under mocks), with a real
 * PEM header: the leak tests scan plans, outputs and user data for PEM private-key headers and must find none.
 */
export const MOCK_TLS_PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nbW9jay10bHMtcHJpdmF0ZS1rZXk=\n-----END PRIVATE KEY-----\n";
/** The certificate every mocked CA and certificate returns. */
export const MOCK_TLS_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nbW9jay10bHMtY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
/** The expiry of every mocked certificate. */
export const MOCK_TLS_NOT_AFTER = "2030-01-01T00:00:00.000Z";

function service(type: string): string {
  return type.split(":")[1]?.split("/")[0] ?? "unknown";
}

/**
 * The ARN AWS gives a resource, in its real shape where policies quote it (so an IAM policy's size under mocks is
 * its size in AWS: tests/support/iamLimits.ts), else `arn:aws:<service>:<region>:<account>:<name>`.
 */
function arnOf(type: string, name: string, inputs: Record<string, unknown>): string {
  const prefix = (svc: string) => `arn:aws:${svc}:${MOCK_REGION}:${MOCK_ACCOUNT}`;
  const named = (key: string) => (typeof inputs[key] === "string" ? String(inputs[key]) : name);
  switch (type) {
    case "aws:ssm/parameter:Parameter":
      return `${prefix("ssm")}:parameter/${named("name").replace(/^\//, "")}`;
    case "aws:cloudwatch/logGroup:LogGroup":
      return `${prefix("logs")}:log-group:${named("name")}`;
    case "aws:kms/key:Key":
      // A key id is a UUID: 36 characters.
      return `${prefix("kms")}:key/${createHash("sha256").update(name).digest("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, "$1-$2-$3-$4-$5")}`;
    case "aws:s3/bucket:Bucket":
      return `arn:aws:s3:::${named("bucket")}`;
    case "aws:iam/role:Role":
    case "aws:iam/policy:Policy":
      return `arn:aws:iam::${MOCK_ACCOUNT}:${type === "aws:iam/role:Role" ? "role" : "policy"}/${named("name")}`;
    case "aws:sns/topic:Topic":
      return `${prefix("sns")}:${named("name")}`;
    default:
      return `${prefix(service(type))}:${name}`;
  }
}

/** Provider outputs for a registered resource, keyed by its type token. */
export function mockState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  stackOutputs: Record<string, Record<string, unknown>>,
): { id: string; state: Record<string, unknown> } {
  const id = `${name}-id`;
  const arn = arnOf(type, name, inputs);
  const state: Record<string, unknown> = { ...inputs, arn };
  switch (type) {
    case "pulumi:pulumi:StackReference": {
      const stack = String(inputs.name ?? "").split("/").pop() ?? "";
      return { id: String(inputs.name), state: { ...inputs, outputs: stackOutputs[stack] ?? {}, secretOutputNames: [] } };
    }
    case "random:index/randomPassword:RandomPassword":
      return { id, state: { ...inputs, result: MOCK_SECRET_VALUE, bcryptHash: "mock-bcrypt" } };
    case SigningKey.type:
      return { id, state: { ...inputs, result: MOCK_SECRET_VALUE } };
    case CertificateAuthority.type:
    case IssuedCertificate.type:
      return { id, state: { ...inputs, certPem: MOCK_TLS_CERTIFICATE, keyPem: MOCK_TLS_PRIVATE_KEY, notAfter: MOCK_TLS_NOT_AFTER, fingerprint: `${name}-fingerprint` } };
    case "aws:lb/loadBalancer:LoadBalancer":
      Object.assign(state, { dnsName: `${name}-0123456789.elb.${MOCK_REGION}.amazonaws.com`, zoneId: "Z26RNL4JYFTOTI", arnSuffix: `net/${name}/0123456789abcdef` });
      break;
    case "aws:lb/targetGroup:TargetGroup":
      Object.assign(state, { arnSuffix: `targetgroup/${name}/0123456789abcdef` });
      break;
    case "aws:route53/zone:Zone":
      Object.assign(state, { zoneId: "Z0123456789MOCKZONE" });
      break;
    case "aws:ec2/launchTemplate:LaunchTemplate":
      Object.assign(state, { latestVersion: 1 });
      break;
    case "aws:ec2/vpc:Vpc":
      Object.assign(state, { mainRouteTableId: `${name}-rtb` });
      break;
    case "aws:ssm/parameter:Parameter":
      Object.assign(state, { version: 1 });
      break;
    case "aws:s3/bucket:Bucket":
      Object.assign(state, { bucket: inputs.bucket ?? `${name}-mock`, bucketRegionalDomainName: `${name}.s3.${MOCK_REGION}.amazonaws.com` });
      break;
    case "aws:sns/topic:Topic":
      Object.assign(state, { name: inputs.name ?? name });
      break;
  }
  return { id, state };
}

/**
 * What the mocked EC2 says about an existing subnet, by id; a test sets an entry to play a subnet that is not
 * where the stack's config says.
 */
export const mockSubnetOverrides: Record<string, { vpcId?: string; availabilityZone?: string; cidrBlock?: string }> = {};

/** An existing subnet as described by the running stack's config (vpcId, subnetIds, availabilityZones, subnetCidrs). */
function describeSubnet(id: string): Record<string, unknown> {
  const config = pulumi.runtime.allConfig();
  const list = (key: string): string[] => JSON.parse(config[`${PROJECT}:${key}`] ?? "[]") as string[];
  const index = list("subnetIds").indexOf(id);
  if (index < 0) throw new Error(`Mock: subnet ${id} is not in the stack's subnetIds`);
  const described = { vpcId: config[`${PROJECT}:vpcId`], availabilityZone: list("availabilityZones")[index], cidrBlock: list("subnetCidrs")[index] };
  return { id, arn: `arn:aws:ec2:${MOCK_REGION}:${MOCK_ACCOUNT}:subnet/${id}`, ...described, ...mockSubnetOverrides[id] };
}

/** Answers to invokes; throws for any token not listed. */
export function mockCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`, id: MOCK_ACCOUNT, userId: "AIDAMOCK" };
    case "aws:index/getRegion:getRegion":
      return { region: MOCK_REGION, name: MOCK_REGION, id: MOCK_REGION, description: "mock", endpoint: `ec2.${MOCK_REGION}.amazonaws.com` };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws", reverseDnsPrefix: "com.amazonaws" };
    case "aws:ec2/getSubnet:getSubnet":
      return describeSubnet(String(inputs.id));
    default:
      throw new Error(`Mock not implemented: ${token} (inputs ${JSON.stringify(inputs)})`);
  }
}
