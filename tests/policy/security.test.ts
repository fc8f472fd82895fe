/**
 * Security policies: unencrypted disks, IMDSv1, public IPs, world-open master ports, unscoped attach rights and
 * plaintext secrets in user data are each refused; the compliant tier passes all of them.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { JWT_SIGNING_KEY_ENV } from "../../infra/seaweed/constants";
import { MOCK_SECRET_VALUE, MOCK_TLS_PRIVATE_KEY } from "../../tools/lib/mockCloud";
import { attachActionsScoped, encryptedVolumes, imdsV2Required, noPublicIp, noSecretsInUserData, noWorldIngress } from "../../policies/rules/security";
import { base64, bootScript, healthyStack, messages, runOne } from "./fixtures";
import { encodeUserData } from "../../infra/aws/userData";

const LT = "aws:ec2/launchTemplate:LaunchTemplate";

describe("security policies on the compliant tier", () => {
  for (const policy of [encryptedVolumes, imdsV2Required, noPublicIp, noWorldIngress, attachActionsScoped, noSecretsInUserData]) {
    it(`${policy.name} passes`, async () => {
      const result = await runOne(policy, healthyStack());
      assert.deepEqual(result.violations, []);
      assert.equal(result.verdict, "pass");
    });
  }
});

describe("policy seaweedfs-encrypted-volumes", () => {
  it("refuses an unencrypted data volume and an unencrypted launch-template disk", async () => {
    const g = healthyStack();
    g.one("aws:ebs/volume:Volume", "seaweedfs-test-master-0-data").props.encrypted = false;
    (g.one(LT, "seaweedfs-test-master-2-lt").props.blockDeviceMappings as { ebs: Record<string, unknown> }[])[0].ebs.encrypted = "false";
    const result = await runOne(encryptedVolumes, g);
    assert.deepEqual(result.violations.map((v) => v.message).sort(), ["block device /dev/xvda is not encrypted; set encrypted: true", "the volume is not encrypted; set encrypted: true"]);
  });

  it("asks for a customer KMS key when configured", async () => {
    assert.match(messages(await runOne(encryptedVolumes, healthyStack(), { requireKmsKey: true })), /without a customer KMS key/);
  });
});

describe("policy seaweedfs-imdsv2-required", () => {
  it("refuses optional tokens and a hop limit above 1", async () => {
    const g = healthyStack();
    g.one(LT, "seaweedfs-test-master-0-lt").props.metadataOptions = { httpTokens: "optional", httpPutResponseHopLimit: 2 };
    const result = await runOne(imdsV2Required, g);
    assert.match(messages(result), /httpTokens is optional; set it to "required"/);
    assert.match(messages(result), /httpPutResponseHopLimit is 2, more than 1/);
  });
});

describe("policy seaweedfs-no-public-ip", () => {
  it("refuses a public address on a launch template and a public subnet", async () => {
    const g = healthyStack();
    g.one(LT, "seaweedfs-test-master-0-lt").props.networkInterfaces = [{ associatePublicIpAddress: "true" }];
    g.one("aws:ec2/subnet:Subnet", "seaweedfs-test-us-east-1a").props.mapPublicIpOnLaunch = true;
    const result = await runOne(noPublicIp, g);
    assert.equal(result.violations.length, 2);
    assert.match(messages(result), /network interface 0 associates a public IP address/);
    assert.match(messages(result), /the subnet maps public IPs on launch/);
  });
});

describe("policy seaweedfs-no-world-ingress", () => {
  it("refuses 0.0.0.0/0 on a range covering 9333 and ::/0 on all protocols; allows world egress", async () => {
    const g = healthyStack();
    g.one("aws:ec2/securityGroup:SecurityGroup").props.ingress = [{ protocol: "tcp", fromPort: 9000, toPort: 9999, cidrBlocks: ["0.0.0.0/0"] }];
    g.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").props = { ipProtocol: "-1", cidrIpv6: "::/0" };
    const result = await runOne(noWorldIngress, g);
    assert.match(messages(result), /ingress from 0\.0\.0\.0\/0 reaches master port\(s\) 9333, 9327/);
    assert.match(messages(result), /ingress from ::\/0 reaches master port\(s\) 9333, 19333, 9327/);
  });

  it("allows world ingress to a port no master listens on", async () => {
    const g = healthyStack();
    g.add("aws:ec2/securityGroupRule:SecurityGroupRule", "ssh-bastion", { type: "ingress", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] });
    assert.deepEqual((await runOne(noWorldIngress, g)).violations, []);
  });
});

describe("policy seaweedfs-iam-attach-scoped", () => {
  const policyWith = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

  it("refuses ec2:Attach* on Resource *", async () => {
    const g = healthyStack();
    g.one("aws:iam/rolePolicy:RolePolicy").props.policy = policyWith({ Effect: "Allow", Action: "ec2:Attach*", Resource: "*" });
    assert.match(messages(await runOne(attachActionsScoped, g)), /ec2:AttachVolume, ec2:AttachNetworkInterface allowed on Resource "\*"/);
  });

  it("refuses wildcard ARNs without a tag condition, in a managed policy too", async () => {
    const g = healthyStack();
    g.add("aws:iam/policy:Policy", "loose", { policy: policyWith({ Effect: "Allow", Action: ["ec2:AttachVolume"], Resource: "arn:aws:ec2:*:*:volume/*" }) });
    assert.match(messages(await runOne(attachActionsScoped, g)), /ec2:AttachVolume allowed on wildcard ARNs \(arn:aws:ec2:\*:\*:volume\/\*\) without a tag condition/);
  });
});

describe("policy seaweedfs-no-secrets-in-user-data", () => {
  const withScript = (extra: string) => {
    const g = healthyStack();
    const lt = g.one(LT, "seaweedfs-test-master-0-lt");
    lt.props.userData = encodeUserData(`${bootScript("")}\n${extra}\n`);
    return g;
  };

  it("allows the key read from SSM at boot (the compliant script writes it from a variable)", async () => {
    assert.deepEqual((await runOne(noSecretsInUserData, withScript(`echo "${JWT_SIGNING_KEY_ENV}=$(cat /run/key)" > /x`))).violations, []);
  });

  it("refuses a literal signing key, a JWT and AWS keys", async () => {
    const cases: [string, RegExp][] = [
      [`${JWT_SIGNING_KEY_ENV}=${MOCK_SECRET_VALUE}`, /a literal WEED_JWT_SIGNING_KEY/],
      [`echo '${JWT_SIGNING_KEY_ENV}="${MOCK_SECRET_VALUE}"' > /etc/seaweedfs/master-secrets.env`, /a literal WEED_JWT_SIGNING_KEY/],
      [`TOKEN=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlc2lnbmF0dXJl`, /a JWT/],
      ["export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", /an AWS access key id/],
      ["aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", /an AWS secret access key/],
    ];
    for (const [line, expected] of cases) {
      const result = await runOne(noSecretsInUserData, withScript(line));
      assert.equal(result.violations.length, 1, line);
      assert.match(messages(result), expected);
    }
  });

  it("finds a PEM private key inside the gzip user data, where the compressed bytes do not show it", async () => {
    const g = withScript(`KEY='${MOCK_TLS_PRIVATE_KEY}'`);
    const encoded = String(g.one(LT, "seaweedfs-test-master-0-lt").props.userData);
    assert.ok(!Buffer.from(encoded, "base64").toString("latin1").includes("PRIVATE KEY"), "negative control: compressed, no header to see");
    const result = await runOne(noSecretsInUserData, g);
    assert.deepEqual(result.violations.map((v) => v.message), ["user data contains a PEM private key (TLS keys are read from SSM at boot)"]);
  });

  it("applies extra patterns from the config", async () => {
    assert.match(messages(await runOne(noSecretsInUserData, withScript("PASSWORD=hunter2"), { extraPatterns: ["PASSWORD=\\S+"] })), /a match of PASSWORD/);
  });
});

describe("the same policies on resources the program does not register today (instances, rules, Elastic IPs, roles)", () => {
  /** A hand-launched master: what someone adding an instance outside the launch templates would write. */
  const instance = (props: Record<string, unknown>) => {
    const g = healthyStack();
    g.add("aws:ec2/instance:Instance", "hand-made-master", {
      rootBlockDevice: { encrypted: true },
      metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
      userData: bootScript(""),
      ...props,
    });
    return g;
  };

  it("a compliant instance passes every instance branch (negative control)", async () => {
    for (const policy of [encryptedVolumes, imdsV2Required, noPublicIp, noSecretsInUserData]) {
      assert.deepEqual((await runOne(policy, instance({}))).violations, [], policy.name);
    }
  });

  it("refuses an instance's unencrypted root and EBS devices", async () => {
    const result = await runOne(encryptedVolumes, instance({ rootBlockDevice: { encrypted: false }, ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: "false" }] }));
    assert.deepEqual(result.violations.map((v) => v.message).sort(), ["EBS device /dev/sdf is not encrypted; set encrypted: true", "the root device is not encrypted; set encrypted: true"]);
  });

  it("refuses an instance with IMDSv1, a public address, or a literal signing key in plain user data", async () => {
    assert.match(messages(await runOne(imdsV2Required, instance({ metadataOptions: { httpTokens: "optional" } }))), /httpTokens is optional/);
    assert.equal(messages(await runOne(noPublicIp, instance({ associatePublicIpAddress: true }))), "the instance associates a public IP address");
    const leaky = `${bootScript("")}\n${JWT_SIGNING_KEY_ENV}=${MOCK_SECRET_VALUE}\n`;
    assert.match(messages(await runOne(noSecretsInUserData, instance({ userData: leaky }))), /a literal WEED_JWT_SIGNING_KEY/);
    assert.match(messages(await runOne(noSecretsInUserData, instance({ userData: undefined, userDataBase64: base64(leaky) }))), /a literal WEED_JWT_SIGNING_KEY/);
    assert.match(messages(await runOne(noSecretsInUserData, instance({ userData: undefined, userDataBase64: encodeUserData(leaky) }))), /a literal WEED_JWT_SIGNING_KEY/, "gzip");
  });

  it("refuses an Elastic IP on a master interface, not an unattached one", async () => {
    const g = healthyStack();
    g.add("aws:ec2/eip:Eip", "spare", { domain: "vpc" });
    assert.deepEqual((await runOne(noPublicIp, g)).violations, []);
    g.add("aws:ec2/eip:Eip", "master-0-public", { networkInterface: "eni-0123456789abcdef0" });
    assert.equal(messages(await runOne(noPublicIp, g)), "an Elastic IP is attached to a master instance or interface");
  });

  it("refuses a security-group rule opening gRPC to the world, not an egress rule", async () => {
    const g = healthyStack();
    g.add("aws:ec2/securityGroupRule:SecurityGroupRule", "egress-anywhere", { type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] });
    assert.deepEqual((await runOne(noWorldIngress, g)).violations, []);
    g.add("aws:ec2/securityGroupRule:SecurityGroupRule", "grpc-anywhere", { type: "ingress", protocol: "tcp", fromPort: 19333, toPort: 19333, cidrBlocks: ["10.0.0.0/8"], ipv6CidrBlocks: ["::/0"] });
    assert.equal(messages(await runOne(noWorldIngress, g)), "ingress from ::/0 reaches master port(s) 19333");
  });

  it("refuses a role whose inline policy allows attaching on Resource *", async () => {
    const g = healthyStack();
    const inline = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ec2:AttachNetworkInterface", Resource: "*" }] });
    g.add("aws:iam/role:Role", "hand-made-role", { assumeRolePolicy: "{}", inlinePolicies: [{ name: "attach", policy: inline }] });
    assert.equal(messages(await runOne(attachActionsScoped, g)), 'ec2:AttachNetworkInterface allowed on Resource "*"; scope it to the slot\'s volume and interface ARNs');
  });
});
