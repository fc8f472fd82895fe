/**
 * What real AWS would quietly break and the mocks never showed (issues #10, #25): the order in which the slots'
 * Auto Scaling groups may launch, the order in which interfaces take addresses (reservations, then the slots' own
 * interfaces, then the load balancer's nodes), and the size of each slot's user data.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runStack } from "../../tools/lib/plan";
import { userDataBytes } from "../../infra/aws/userData";
import { renderMasterUnit } from "../../infra/aws/host/systemd";
import { renderWatchdogUnit } from "../../infra/aws/host/watchdogUnit";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { allowedBy } from "../../tools/lib/restore/bucketPolicy";
import { clientTlsParameterNames } from "../../infra/aws/naming";
import { CLIENT_ROLES } from "../../infra/seaweed/tls";

type Run = Awaited<ReturnType<typeof runStack>>;

describe("the prod stack's boot order and user data", () => {
  let run: Run;
  before(async () => {
    run = await runStack("prod");
  });
  const ofType = (type: string) => run.resources.filter((r) => r.type === type);

  it("launches no slot before the SSM parameters and role policies its boot reads exist", () => {
    const [instanceRole] = ofType("aws:iam/role:Role").filter((r) => String(r.inputs.assumeRolePolicy).includes("ec2.amazonaws.com"));
    const onInstanceRole = [...ofType("aws:iam/rolePolicy:RolePolicy"), ...ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")].filter((p) => p.propertyDependencies.role?.includes(instanceRole.urn));
    assert.equal(onInstanceRole.length, 3, "boot (inline), monitoring agent and backup agent (managed, attached)");
    const attached = ofType("aws:iam/policy:Policy").filter((p) => onInstanceRole.some((a) => a.inputs.policyArn === p.state.arn));
    assert.equal(attached.length, 2);
    // The clients' certificates and keys are not the masters' to read (their path is outside the masters' role).
    const clientTls = CLIENT_ROLES.flatMap((role) => Object.values(clientTlsParameterNames(run.config.clusterName, role)));
    const masterParameters = ofType("aws:ssm/parameter:Parameter").filter((p) => !clientTls.includes(String(p.inputs.name)));
    assert.equal(masterParameters.length, ofType("aws:ssm/parameter:Parameter").length - 6, "3 client roles' certificate and key");
    const needed = [...masterParameters, ...onInstanceRole, ...attached];
    assert.ok(needed.some((r) => r.name.includes("monitoring")) && needed.some((r) => r.name.includes("backups")), "monitoring and backup resources are planned");
    const groups = ofType("aws:autoscaling/group:Group");
    assert.equal(groups.length, 5);
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const descendants = (urn: string): string[] => [urn, ...run.resources.filter((r) => r.parentUrn === urn).flatMap((r) => descendants(r.urn))];
    for (const group of groups) {
      const waitsFor = new Set(group.dependencies.flatMap(descendants));
      const missing = needed.filter((r: RecordedResource) => !waitsFor.has(r.urn)).map((r) => r.name);
      assert.deepEqual(missing, [], `${group.name} may launch before these exist (${[...waitsFor].map((u) => byUrn.get(u)?.name).join(", ")})`);
    }
  });

  it("exports the masters' security group, the one on every master's primary and slot interface", () => {
    const id = run.outputs.mastersSecurityGroupId;
    assert.equal(typeof id, "string", JSON.stringify(Object.keys(run.outputs)));
    for (const eni of ofType("aws:ec2/networkInterface:NetworkInterface")) assert.deepEqual(eni.inputs.securityGroups, [id], eni.name);
    for (const lt of ofType("aws:ec2/launchTemplate:LaunchTemplate")) {
      assert.deepEqual((lt.inputs.networkInterfaces as { securityGroups: string[] }[])[0].securityGroups, [id], lt.name);
    }
  });

  it("creates the load balancer only after every slot's interface holds its fixed IP (an existing VPC reserves nothing)", () => {
    const [lb] = ofType("aws:lb/loadBalancer:LoadBalancer");
    const interfaces = ofType("aws:ec2/networkInterface:NetworkInterface");
    assert.equal(interfaces.length, 5);
    assert.deepEqual(interfaces.filter((eni) => !lb.dependencies.includes(eni.urn)).map((eni) => eni.name), [], "the NLB's per-subnet addresses could take a slot's .10/.11 first");
  });

  it("lets the boot decrypt the weed artifact of an SSE-KMS bucket through S3, and no other object", () => {
    const [boot] = ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => String(p.inputs.policy).includes("FetchWeedBinary"));
    const policy = JSON.parse(String(boot.inputs.policy)) as { Statement: Record<string, unknown>[] };
    const object = `arn:aws:s3:::${run.config.seaweedBinaryUrl.slice("s3://".length)}`;
    const bucket = object.slice(0, object.indexOf("/"));
    // Whatever key the bucket uses: the role cannot know it, S3 names the object (or the bucket, with Bucket Keys).
    const decrypt = (context: Record<string, string>) => allowedBy(policy, { action: "kms:Decrypt", resource: "arn:aws:kms:us-east-1:210987654321:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", context, summary: "" });
    const viaS3 = { "kms:ViaService": "s3.us-east-1.amazonaws.com" };
    assert.deepEqual(decrypt({ ...viaS3, "kms:EncryptionContext:aws:s3:arn": object }), ["DecryptWeedBinary"]);
    assert.deepEqual(decrypt({ ...viaS3, "kms:EncryptionContext:aws:s3:arn": bucket }), ["DecryptWeedBinary"], "with S3 Bucket Keys");
    assert.deepEqual(decrypt({ ...viaS3, "kms:EncryptionContext:aws:s3:arn": `${bucket}/other-object` }), [], "another object");
    assert.deepEqual(decrypt({ "kms:ViaService": "ssm.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": object }), [], "not through S3");
    assert.deepEqual(allowedBy(policy, { action: "s3:GetObject", resource: object, context: {}, summary: "" }), ["FetchWeedBinary"], "negative control: the evaluator grants the download itself");
  });

  it("keeps every slot's user data under 16 KiB with room to spare, the agent setup living in SSM", () => {
    // What EC2 receives and caps: the compressed script (infra/aws/userData.ts).
    const sizes = ofType("aws:ec2/launchTemplate:LaunchTemplate").map((lt) => userDataBytes(String(lt.inputs.userData)));
    console.log(`user data bytes per slot: ${sizes.join(" ")}`);
    assert.ok(Math.max(...sizes) < 16 * 1024, String(sizes));
  });
});

describe("the dev stack's created VPC", () => {
  let run: Run;
  before(async () => {
    run = await runStack("dev");
  });

  it("reserves every slot's fixed IP before anything else takes addresses in the subnets", () => {
    const reservations = run.resources.filter((r) => r.type === "aws:ec2/subnetCidrReservation:SubnetCidrReservation");
    assert.deepEqual(reservations.map((r) => r.inputs.cidrBlock).sort(), run.config.topology.slots.map((s) => `${s.ip}/32`).sort());
    assert.ok(reservations.every((r) => r.inputs.reservationType === "explicit"));
    const takers = run.resources.filter(
      (r) =>
        r.type === "aws:lb/loadBalancer:LoadBalancer" ||
        r.type === "aws:ec2/networkInterface:NetworkInterface" ||
        (r.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && r.inputs.vpcEndpointType === "Interface"),
    );
    assert.equal(takers.filter((t) => t.type === "aws:ec2/networkInterface:NetworkInterface").length, 3, "the slots' own interfaces wait too");
    for (const taker of takers) assert.deepEqual(reservations.filter((r) => !taker.dependencies.includes(r.urn)).map((r) => r.name), [], `${taker.name} waits for the reservations`);
  });
});

describe("the master and watchdog units", () => {
  it("never stop restarting weed or its watchdog (no start limit)", () => {
    assert.match(renderMasterUnit(["-mdir=/var/lib/seaweedfs/master"]), /^\[Unit\][^[]*\nStartLimitIntervalSec=0\n/);
    assert.match(renderWatchdogUnit({ user: "seaweedfs", masterUnit: "seaweedfs-master.service" }), /^\[Unit\][^[]*\nStartLimitIntervalSec=0\n/);
  });
});
