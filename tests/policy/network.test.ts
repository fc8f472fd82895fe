/**
 * Policy seaweedfs-vpc-endpoints: a VPC the stack creates (no internet route) must have the S3 gateway endpoint and
 * an interface endpoint with private DNS for every service the masters call. Each missing piece is reported by
 * name; a stack in an existing VPC, or with a NAT gateway, is not judged; the dev stack's created VPC passes.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { vpcEndpoints } from "../../policies/rules/network";
import { runStack } from "../../tools/lib/plan";
import { toPolicyResources } from "../../tools/lib/policyRun";
import { CLUSTER, healthyStack, messages, runOne } from "./fixtures";

const endpoint = (service: string) => `${CLUSTER}-network-${service}`;

describe("policy seaweedfs-vpc-endpoints", () => {
  it("passes a created VPC with every endpoint", async () => {
    const result = await runOne(vpcEndpoints, healthyStack({ createdVpc: true }));
    assert.deepEqual(result.violations, []);
    assert.equal(result.verdict, "pass");
  });

  it("refuses a created VPC without the autoscaling endpoint, naming it", async () => {
    const g = healthyStack({ createdVpc: true });
    g.remove(g.one("aws:ec2/vpcEndpoint:VpcEndpoint", endpoint("autoscaling")));
    assert.match(messages(await runOne(vpcEndpoints, g)), /^VPC seaweedfs-test-network-vpc has no autoscaling interface endpoint: masters there cannot reach it/);
  });

  it("refuses an interface endpoint with private DNS off, and a VPC without the S3 gateway endpoint", async () => {
    const g = healthyStack({ createdVpc: true });
    g.one("aws:ec2/vpcEndpoint:VpcEndpoint", endpoint("ec2")).props.privateDnsEnabled = false;
    g.remove(g.one("aws:ec2/vpcEndpoint:VpcEndpoint", endpoint("s3")));
    const found = messages(await runOne(vpcEndpoints, g));
    assert.match(found, /the ec2 endpoint of VPC seaweedfs-test-network-vpc has private DNS off/);
    assert.match(found, /has no s3 gateway endpoint/);
  });

  it("does not count an endpoint of another VPC", async () => {
    const g = healthyStack({ createdVpc: true });
    const other = g.add("aws:ec2/vpc:Vpc", "other-vpc", {});
    const logs = g.one("aws:ec2/vpcEndpoint:VpcEndpoint", endpoint("logs"));
    logs.propertyDependencies.vpcId = [other];
    assert.match(messages(await runOne(vpcEndpoints, g)), /VPC seaweedfs-test-network-vpc has no logs interface endpoint/);
  });

  it("does not judge a stack in an existing VPC, or one with a NAT gateway", async () => {
    assert.equal((await runOne(vpcEndpoints, healthyStack())).verdict, "not applicable");
    const g = healthyStack({ createdVpc: true });
    g.remove(g.one("aws:ec2/vpcEndpoint:VpcEndpoint", endpoint("autoscaling")));
    g.add("aws:ec2/natGateway:NatGateway", "nat", {});
    assert.equal((await runOne(vpcEndpoints, g)).verdict, "not applicable");
  });

  it("passes the dev stack's created VPC as the program registers it", async () => {
    const run = await runStack("dev");
    const result = await runOne(vpcEndpoints, toPolicyResources(run.resources));
    assert.deepEqual(result.violations, []);
    assert.equal(result.verdict, "pass");
  });
});
