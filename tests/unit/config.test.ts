/**
 * Bad stack config is refused before anything is registered, with a message that names the key, the bad value and
 * the fix, and every problem is reported at once.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { parseConfig } from "../../infra/platforms";
import { refusal } from "../support/configRefusal";

/** A valid prod-like config in the engine's string form. */
const valid: Record<string, string> = {
  environment: "prod",
  clusterName: "seaweedfs-test",
  masterCount: "5",
  availabilityZones: JSON.stringify(["us-east-1a", "us-east-1b", "us-east-1c"]),
  vpcId: "vpc-0f3a9c5e1d7b24680",
  subnetIds: JSON.stringify(["subnet-0a7c3e9f5b1d24680", "subnet-0e2b8d4f6a1c35791", "subnet-06d4f2a8c0e1b3579"]),
  subnetCidrs: JSON.stringify(["10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"]),
  seaweedBinaryUrl: "s3://acme-artifacts/seaweedfs/4.44/weed-linux-amd64",
  seaweedBinarySha256: "b392474c1d1f0ee35fbf2a9afe0de367a0fcc907f21bba88483a4a5f31d89ed3",
};


const cases: { name: string; overrides: Record<string, string | undefined>; key: string; mentions?: RegExp }[] = [
  { name: "an even master count", overrides: { masterCount: "4" }, key: "masterCount", mentions: /odd/ },
  { name: "one master in prod", overrides: { masterCount: "1" }, key: "masterCount", mentions: /at least 3/ },
  { name: "a fractional master count", overrides: { masterCount: "3.5" }, key: "masterCount", mentions: /whole number/ },
  { name: "a master count that is not a number", overrides: { masterCount: "three" }, key: "masterCount" },
  { name: "too few zones to survive a zone loss", overrides: { availabilityZones: JSON.stringify(["us-east-1a", "us-east-1b"]), subnetIds: JSON.stringify(["subnet-0a7c3e9f5b1d24680", "subnet-0e2b8d4f6a1c35791"]), subnetCidrs: JSON.stringify(["10.20.0.0/20", "10.20.16.0/20"]) }, key: "availabilityZones", mentions: /quorum/ },
  { name: "a zone listed twice", overrides: { availabilityZones: JSON.stringify(["us-east-1a", "us-east-1a", "us-east-1c"]) }, key: "availabilityZones", mentions: /more than once/ },
  { name: "a zone that is not a zone", overrides: { availabilityZones: JSON.stringify(["us-east-1", "us-east-1b", "us-east-1c"]) }, key: "availabilityZones" },
  { name: "duplicate master IPs", overrides: { masterIps: JSON.stringify(["10.20.0.10", "10.20.16.10", "10.20.32.10", "10.20.0.10", "10.20.16.11"]) }, key: "masterIps[3]", mentions: /another slot/ },
  { name: "an IP outside every subnet", overrides: { masterIps: JSON.stringify(["10.20.0.10", "10.20.16.10", "10.99.32.10", "10.20.0.11", "10.20.16.11"]) }, key: "masterIps[2]", mentions: /none of the master subnets/ },
  { name: "an IP on an AWS-reserved address", overrides: { masterIps: JSON.stringify(["10.20.0.2", "10.20.16.10", "10.20.32.10", "10.20.0.11", "10.20.16.11"]) }, key: "masterIps[0]", mentions: /reserved/ },
  { name: "the broadcast address of a subnet", overrides: { masterIps: JSON.stringify(["10.20.15.255", "10.20.16.10", "10.20.32.10", "10.20.0.11", "10.20.16.11"]) }, key: "masterIps[0]", mentions: /reserved/ },
  { name: "fewer IPs than masters", overrides: { masterIps: JSON.stringify(["10.20.0.10", "10.20.16.10", "10.20.32.10"]) }, key: "masterIps", mentions: /3 addresses for 5 masters/ },
  { name: "a typo'd key", overrides: { mastrCount: "5" }, key: "mastrCount", mentions: /did you mean masterCount/ },
  { name: "a wrong type for a boolean", overrides: { allowQuorumLossOnAzFailure: "yes" }, key: "allowQuorumLossOnAzFailure", mentions: /true or false/ },
  { name: "a list given as a plain string", overrides: { availabilityZones: "us-east-1a" }, key: "availabilityZones", mentions: /list/ },
  { name: "a zero-sized data volume", overrides: { dataVolumeSizeGiB: "0" }, key: "dataVolumeSizeGiB", mentions: /at least 1/ },
  { name: "a negative data volume", overrides: { dataVolumeSizeGiB: "-5" }, key: "dataVolumeSizeGiB" },
  { name: "a malformed SeaweedFS version", overrides: { seaweedVersion: "v4.44.0" }, key: "seaweedVersion" },
  { name: "a malformed sha256", overrides: { seaweedBinarySha256: "B392474C" }, key: "seaweedBinarySha256", mentions: /64/ },
  { name: "a URL of another release than seaweedVersion", overrides: { seaweedVersion: "4.43" }, key: "seaweedBinaryUrl", mentions: /release 4.44/ },
  { name: "heartbeat not shorter than the election timeout", overrides: { heartbeatInterval: "2s", electionTimeout: "2s" }, key: "heartbeatInterval", mentions: /shorter than electionTimeout/ },
  { name: "a duration that is not a Go duration", overrides: { electionTimeout: "2 seconds" }, key: "electionTimeout" },
  { name: "the metrics port on the HTTP port", overrides: { metricsPort: "9333" }, key: "metricsPort", mentions: /collides/ },
  { name: "a gRPC port SeaweedFS clients cannot derive", overrides: { grpcPort: "19400" }, key: "grpcPort", mentions: /httpPort \+ 10000/ },
  { name: "a privileged port", overrides: { httpPort: "80", grpcPort: "10080" }, key: "httpPort" },
  { name: "a client CIDR open to the world", overrides: { clientCidrs: JSON.stringify(["0.0.0.0/0"]) }, key: "clientCidrs[0]", mentions: /internet/ },
  { name: "an arm64 instance type on x86_64", overrides: { instanceType: "t4g.small" }, key: "instanceType", mentions: /arm64/ },
  { name: "both a pinned AMI and an SSM parameter", overrides: { amiId: "ami-0123456789abcdef0", amiSsmParameter: "/my/ami" }, key: "amiSsmParameter" },
  { name: "subnet ids without a VPC", overrides: { vpcId: undefined, subnetCidrs: undefined }, key: "subnetIds", mentions: /without vpcId/ },
  { name: "a subnet per zone missing", overrides: { subnetIds: JSON.stringify(["subnet-0a7c3e9f5b1d24680"]) }, key: "subnetIds", mentions: /1 entries for 3/ },
  { name: "overlapping subnets", overrides: { subnetCidrs: JSON.stringify(["10.20.0.0/20", "10.20.0.0/21", "10.20.32.0/20"]) }, key: "subnetCidrs[1]", mentions: /overlaps/ },
  { name: "a missing required key", overrides: { seaweedBinarySha256: undefined }, key: "seaweedBinarySha256", mentions: /required/ },
  { name: "an unknown environment", overrides: { environment: "production" }, key: "environment" },
  { name: "a tag without a value separator", overrides: { tags: JSON.stringify(["team"]) }, key: "tags" },
  { name: "an invalid replication code", overrides: { defaultReplication: "01" }, key: "defaultReplication" },
  { name: "a volume size limit SeaweedFS refuses", overrides: { volumeSizeLimitMB: "40000" }, key: "volumeSizeLimitMB", mentions: /30720/ },
];

describe("stack config validation", () => {
  it("accepts the valid base config", () => {
    const config = parseConfig(valid);
    assert.equal(config.topology.slots.length, 5);
  });

  for (const c of cases) {
    it(`refuses ${c.name}, naming ${c.key}`, () => {
      const error = refusal(c.overrides, valid);
      const issue = error.issues.find((i) => i.key === c.key);
      assert.ok(issue, `no problem reported for ${c.key}; got: ${error.message}`);
      assert.ok(issue.fix.length > 0, "a fix is suggested");
      assert.match(error.message, new RegExp(`seaweed-infra:${c.key.replace(/[[\]]/g, "\\$&")} = `), "the message names the key and the bad value");
      if (c.mentions) assert.match(`${issue.message} ${issue.fix}`, c.mentions);
    });
  }

  it("reports every problem at once", () => {
    const error = refusal({ masterCount: "4", dataVolumeSizeGiB: "0", mastrCount: "5", seaweedVersion: "x" });
    assert.deepEqual(
      error.issues.map((i) => i.key).sort(),
      ["dataVolumeSizeGiB", "masterCount", "mastrCount", "seaweedVersion"],
    );
  });

  it("lets a dev stack trade zone-loss survival for cost only through allowQuorumLossOnAzFailure", () => {
    const twoZones = {
      environment: "dev",
      masterCount: "3",
      availabilityZones: JSON.stringify(["us-east-1a", "us-east-1b"]),
      vpcId: undefined,
      subnetIds: undefined,
      subnetCidrs: undefined,
    };
    assert.equal(refusal(twoZones, valid).issues[0].key, "availabilityZones");
    const config = parseConfig(Object.fromEntries(Object.entries({ ...valid, ...twoZones, allowQuorumLossOnAzFailure: "true" }).filter(([, v]) => v !== undefined)) as Record<string, string>);
    assert.deepEqual(config.topology.azLoss.map((r) => r.quorumKept), [false, true]);
  });
});
