/**
 * The AWS master tier of every stack, as the engine would see it (the real program under mocks, from the stack
 * files): each slot's interface, volume, launch template and Auto Scaling group where the plan put the slot; the
 * user data carrying exactly the argv of infra/seaweed and no secret; an internal NLB checking /cluster/healthz;
 * nothing open to the world; IAM scoped by tag and path; prod state protected.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { HEALTH_CHECK } from "../../infra/seaweed/constants";
import { HOST_PATHS } from "../../infra/aws/host/paths";
import { renderClusterMasters } from "../../infra/seaweed/cluster";
import { slotAddresses } from "../../infra/aws/placement";
import { execStart } from "../../infra/aws/host/systemd";
import { clusterSettingsOf } from "../../infra/seaweed/cluster";
import { ROLES, TAG_KEYS } from "../../infra/aws/naming";
import type { SeaweedConfig } from "../../infra/platforms";
import { MOCK_SECRET_VALUE } from "../../tools/lib/mockCloud";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import type { Plan } from "../../tools/lib/plan";
import { runStack } from "../../tools/lib/plan";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { TSX } from "../support/runTool";
import { decodeUserData, userDataBytes } from "../../infra/aws/userData";

/** Bytes every slot's user data keeps free below EC2's 16 KiB cap (1.5 KiB), so the next feature does not hit it. */
const ROOM_TO_SPARE = 1536;

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** A recorded resource whose inputs and state the assertions may index freely. */
type Res = RecordedResource & { inputs: Inputs; state: Inputs };
interface StackRun {
  resources: Res[];
  outputs: Record<string, unknown>;
  secretOutputs: string[];
  config: SeaweedConfig;
}

const STACKS = ["dev", "staging", "prod"] as const;
const runs: Record<string, StackRun> = {};
// Pulumi's mocks are process-global: record the stacks one after the other, up front.
before(async () => {
  for (const stack of STACKS) runs[stack] = (await runStack(stack)) as StackRun;
});

const ofType = (run: StackRun, type: string) => run.resources.filter((r) => r.type === type);
const idOf = (r: Res) => `${r.name}-id`;
const childrenOf = (run: StackRun, parent: Res) => run.resources.filter((r) => r.parentUrn === parent.urn);
const userDataOf = (lt: Res) => decodeUserData(lt.inputs.userData);

/** The children of the stack's one component of a type (other components, e.g. monitoring, have keys and policies too). */
function childrenOfComponent(run: StackRun, componentType: string): Res[] {
  return childrenOf(run, only(run.resources, componentType));
}

function only(resources: Res[], type: string): Res {
  const found = resources.filter((r) => r.type === type);
  assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
  return found[0];
}

/** The subnet id the program must use for a zone: the config's existing subnet or the subnet it created there. */
function subnetIdFor(run: StackRun, az: string): string {
  const existing = run.config.subnets.find((s) => s.az === az)?.id;
  if (existing) return existing;
  return idOf(ofType(run, "aws:ec2/subnet:Subnet").find((s) => s.inputs.availabilityZone === az)!);
}

for (const stack of STACKS) {
  describe(`the ${stack} master tier`, () => {
    const run = () => runs[stack];
    const slotComponents = () => ofType(run(), "seaweed:aws:MasterSlot");

    it("gives every planned slot its interface with the fixed IP, its volume, template and group, in the slot's subnet and zone", () => {
      const { config } = run();
      assert.equal(slotComponents().length, config.masterCount);
      assert.equal(ofType(run(), "aws:autoscaling/group:Group").length, config.masterCount);
      for (const slot of config.topology.slots) {
        const component = slotComponents().find((c) => c.name === slot.name);
        assert.ok(component, `a MasterSlot for ${slot.name}`);
        const children = childrenOf(run(), component);
        const subnetId = subnetIdFor(run(), slot.az);
        const eni = only(children, "aws:ec2/networkInterface:NetworkInterface");
        assert.deepEqual(eni.inputs.privateIps, [slot.ip]);
        assert.equal(eni.inputs.subnetId, subnetId);
        const volume = only(children, "aws:ebs/volume:Volume");
        assert.equal(volume.inputs.availabilityZone, slot.az);
        const lt = only(children, "aws:ec2/launchTemplate:LaunchTemplate");
        const asg = only(children, "aws:autoscaling/group:Group");
        assert.deepEqual(asg.inputs.vpcZoneIdentifiers, [subnetId]);
        assert.deepEqual([asg.inputs.minSize, asg.inputs.maxSize, asg.inputs.desiredCapacity], [1, 1, 1]);
        assert.deepEqual(asg.inputs.enabledMetrics, ["GroupInServiceInstances"], "the no-instance alarm's metric is published");
        assert.equal(asg.inputs.launchTemplate.id, idOf(lt));
        assert.equal(asg.inputs.instanceRefresh, undefined, "no automatic refresh that could replace every master at once");
        assert.match(userDataOf(lt), new RegExp(`SLOT_AZ='${slot.az}'[\\s\\S]*SLOT_IP='${slot.ip.replace(/\./g, "\\.")}'`));
      }
      const ips = config.topology.slots.map((s) => s.ip);
      assert.equal(new Set(ips).size, ips.length, "distinct IPs");
    });

    it("encrypts every data volume with the stack's KMS key and tags it with its cluster and slot", () => {
      const { config } = run();
      const key = only(childrenOfComponent(run(), "seaweed:aws:MasterSecrets"), "aws:kms/key:Key");
      assert.equal(key.inputs.enableKeyRotation, true);
      const volumes = ofType(run(), "aws:ebs/volume:Volume");
      assert.equal(volumes.length, config.masterCount);
      for (const volume of volumes) {
        assert.equal(volume.inputs.encrypted, true);
        assert.equal(volume.inputs.kmsKeyId, key.state.arn);
        assert.equal(volume.inputs.type, config.dataVolumeType);
        assert.equal(volume.inputs.tags[TAG_KEYS.cluster], config.clusterName);
        const slot = config.topology.slots.find((s) => volume.name === `${s.name}-data`)!;
        assert.equal(volume.inputs.tags[TAG_KEYS.slot], String(slot.slot));
        assert.equal(volume.inputs.tags[TAG_KEYS.role], ROLES.dataVolume, "DLM snapshots the volumes by this tag");
      }
      const rootVolumeTags = ofType(run(), "aws:ec2/launchTemplate:LaunchTemplate").map((lt) => lt.inputs.tagSpecifications.find((t: Inputs) => t.resourceType === "volume").tags);
      assert.ok(rootVolumeTags.every((t) => t[TAG_KEYS.role] === undefined), "root volumes are not snapshotted as master data");
    });

    it("launches instances with IMDSv2 only (hop limit 1), a root volume encrypted with the AWS-managed EBS key, the instance profile and no public IP", () => {
      const profile = only(childrenOfComponent(run(), "seaweed:aws:MasterInstanceRole"), "aws:iam/instanceProfile:InstanceProfile");
      for (const lt of ofType(run(), "aws:ec2/launchTemplate:LaunchTemplate")) {
        const inputs: Inputs = lt.inputs;
        assert.deepEqual(inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" });
        assert.equal(inputs.blockDeviceMappings[0].ebs.encrypted, "true");
        assert.equal(inputs.blockDeviceMappings[0].ebs.kmsKeyId, "arn:aws:kms:us-east-1:123456789012:alias/aws/ebs", "the AWS-managed EBS key, not whatever the account's default is");
        assert.equal(inputs.iamInstanceProfile.arn, profile.state.arn);
        assert.equal(inputs.networkInterfaces[0].associatePublicIpAddress, "false");
        const ami = run().config.ami;
        assert.equal(inputs.imageId, "id" in ami ? ami.id : `resolve:ssm:${ami.ssmParameter}`);
      }
    });

    it("renders into each slot's user data exactly the argv of infra/seaweed, and stays under the 16 KiB user-data limit", () => {
      const { config } = run();
      const rendered = renderClusterMasters(slotAddresses(config.topology.slots), clusterSettingsOf(config), () => HOST_PATHS.mdir);
      for (const master of rendered) {
        const slot = config.topology.slots.find((s) => s.slot === master.slot)!;
        const lt = ofType(run(), "aws:ec2/launchTemplate:LaunchTemplate").find((r) => r.name === `${slot.name}-lt`)!;
        const script = userDataOf(lt);
        const unit = script.slice(script.indexOf("<<'SEAWEEDFS_MASTER_UNIT'\n"), script.lastIndexOf("\nSEAWEEDFS_MASTER_UNIT\n"));
        assert.deepEqual(unit.split("\n").filter((l) => l.startsWith("ExecStart=")), [`ExecStart=${execStart(master.args)}`]);
        const masterCommands = script.split("\n").filter((l) => l.includes(`${HOST_PATHS.binary} master `));
        assert.deepEqual(masterCommands, [`ExecStart=${execStart(master.args)}`], "the master is started with that argv and no other");
        // EC2 caps the bytes it receives (the compressed script); the margin keeps room for what the tier still adds.
        const sent = userDataBytes(String(lt.inputs.userData));
        assert.ok(sent < 16384, `user data of ${slot.name} is ${sent} bytes`);
        assert.ok(sent <= 16384 - ROOM_TO_SPARE, `user data of ${slot.name} is ${sent} bytes, less than ${ROOM_TO_SPARE} below the cap`);
      }
    });

    it("keeps the JWT signing key out of every resource input but its SSM SecureString, and out of the outputs", () => {
      const holders = run().resources.filter((r) => JSON.stringify(r.inputs).includes(MOCK_SECRET_VALUE));
      assert.deepEqual(holders.map((r) => r.type), ["aws:ssm/parameter:Parameter"]);
      assert.equal(holders[0].inputs.type, "SecureString");
      assert.equal(holders[0].inputs.name, `/seaweed-infra/${run().config.clusterName}/jwt-signing-key`);
      assert.ok(!JSON.stringify(run().outputs).includes(MOCK_SECRET_VALUE));
      assert.equal(run().outputs.jwtSigningKeyParameterName, holders[0].inputs.name);
    });

    it("puts an internal, cross-zone NLB with TCP listeners on 9333 and 19333 in front of the slots' IPs, checking /cluster/healthz", () => {
      const { config } = run();
      const lb = only(run().resources, "aws:lb/loadBalancer:LoadBalancer");
      assert.equal(lb.inputs.loadBalancerType, "network");
      assert.equal(lb.inputs.internal, true);
      assert.equal(lb.inputs.enableCrossZoneLoadBalancing, true);
      assert.equal(lb.inputs.enableDeletionProtection, stack === "prod");
      const zones = [...new Set(config.topology.slots.map((s) => s.az))];
      assert.deepEqual([...lb.inputs.subnets].sort(), zones.map((az) => subnetIdFor(run(), az)).sort());
      const listeners = ofType(run(), "aws:lb/listener:Listener");
      assert.deepEqual(listeners.map((l) => [l.inputs.port, l.inputs.protocol]).sort(), [[19333, "TCP"], [9333, "TCP"]]);
      const slotIps = config.topology.slots.map((s) => s.ip).sort();
      for (const listener of listeners) {
        const group = ofType(run(), "aws:lb/targetGroup:TargetGroup").find((g) => g.state.arn === listener.inputs.defaultActions[0].targetGroupArn)!;
        assert.equal(group.inputs.targetType, "ip");
        assert.equal(group.inputs.port, listener.inputs.port);
        const hc: Inputs = group.inputs.healthCheck;
        assert.deepEqual([hc.protocol, hc.port, hc.path, hc.matcher], ["HTTP", "9333", HEALTH_CHECK.path, "200"]);
        assert.ok(hc.interval * hc.unhealthyThreshold + hc.timeout <= 15, "a dead master is out within about 15 s");
        assert.ok(group.inputs.deregistrationDelay <= 10);
        const targets = ofType(run(), "aws:lb/targetGroupAttachment:TargetGroupAttachment").filter((a) => a.inputs.targetGroupArn === group.state.arn);
        assert.deepEqual(targets.map((t) => t.inputs.targetId).sort(), slotIps);
      }
      const alias = ofType(run(), "aws:route53/record:Record").find((r) => r.inputs.aliases);
      assert.equal(alias?.inputs.aliases[0].name, lb.state.dnsName);
      assert.equal(run().outputs.loadBalancerDnsName, lb.state.dnsName);
    });

    it("opens no master port to the world and the metrics port only inside the tier", () => {
      const { config } = run();
      const groups = ofType(run(), "aws:ec2/securityGroup:SecurityGroup");
      for (const g of groups) assert.equal(g.inputs.ingress, undefined, `${g.name} has no inline ingress`);
      const ingress = ofType(run(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
      assert.ok(ingress.length > 0);
      for (const rule of ingress) {
        assert.ok(!["0.0.0.0/0"].includes(rule.inputs.cidrIpv4) && rule.inputs.cidrIpv6 === undefined, `${rule.name} is open to the world`);
        const endpointRule = rule.inputs.fromPort === 443 && rule.inputs.cidrIpv4 === config.vpcCidr && !config.vpcId;
        if (rule.inputs.cidrIpv4) assert.ok(config.clientCidrs.includes(rule.inputs.cidrIpv4) || endpointRule, `${rule.name}: ${rule.inputs.cidrIpv4} is not a configured client CIDR`);
      }
      const masters = groups.find((g) => g.name.endsWith("-masters"))!;
      const metrics = ingress.filter((r) => r.inputs.fromPort <= config.metricsPort && r.inputs.toPort >= config.metricsPort);
      assert.deepEqual(metrics.map((r) => [r.inputs.securityGroupId, r.inputs.referencedSecurityGroupId]), [[idOf(masters), idOf(masters)]]);
      const clients = groups.find((g) => g.name.endsWith("-clients"))!;
      assert.equal(run().outputs.clientSecurityGroupId, idOf(clients));
      for (const port of [config.httpPort, config.grpcPort]) {
        const toMasters = ingress.filter((r) => r.inputs.securityGroupId === idOf(masters) && r.inputs.fromPort === port);
        assert.ok(toMasters.some((r) => r.inputs.referencedSecurityGroupId === idOf(clients)), `clients reach the masters on ${port}`);
      }
    });

    it("lets instances attach only interfaces and volumes tagged for this cluster, read only this stack's SSM path, use only this key (and any key only for the weed object through S3)", () => {
      const { config } = run();
      const policy = JSON.parse(only(childrenOfComponent(run(), "seaweed:aws:MasterInstanceRole"), "aws:iam/rolePolicy:RolePolicy").inputs.policy) as { Statement: Inputs[] };
      const key = only(childrenOfComponent(run(), "seaweed:aws:MasterSecrets"), "aws:kms/key:Key");
      const actionsOf = (statement: Inputs): string[] => [statement.Action].flat();
      for (const wanted of ["ec2:AttachNetworkInterface", "ec2:AttachVolume", "ssm:GetParameter", "kms:Decrypt"]) {
        assert.ok(policy.Statement.some((st) => actionsOf(st).includes(wanted)), `the role may ${wanted}`);
      }
      for (const statement of policy.Statement) {
        const actions = actionsOf(statement);
        if (actions.some((a) => /^ec2:(Attach|Detach)/.test(a))) {
          assert.ok([statement.Resource].flat().every((r: string) => r !== "*"), "attach actions name resource types");
          assert.equal(statement.Condition?.StringEquals?.[`aws:ResourceTag/${TAG_KEYS.cluster}`], config.clusterName, `${statement.Sid} is scoped to the cluster's tag`);
          const resources: string[] = [statement.Resource].flat();
          if (resources.some((r) => r.includes(":volume/"))) assert.equal(statement.Condition.StringEquals[`aws:ResourceTag/${TAG_KEYS.role}`], ROLES.dataVolume);
          if (resources.some((r) => r.includes(":network-interface/"))) assert.equal(statement.Condition.StringEquals[`aws:ResourceTag/${TAG_KEYS.role}`], ROLES.networkInterface);
        }
        if (actions.some((a) => /^ssm:GetParameter/.test(a))) assert.match(statement.Resource, new RegExp(`:parameter/seaweed-infra/${config.clusterName}/\\*$`));
        // Any key only to decrypt the weed object through S3 (an SSE-KMS artifact bucket); otherwise the stack's key.
        const artifactOnly = statement.Condition?.StringEquals?.["kms:ViaService"] === "s3.us-east-1.amazonaws.com" && statement.Condition?.StringEquals?.["kms:EncryptionContext:aws:s3:arn"]?.[0] === `arn:aws:s3:::${config.seaweedBinaryUrl.slice("s3://".length)}`;
        if (actions.some((a) => a.startsWith("kms:"))) assert.ok(statement.Resource === key.state.arn || (artifactOnly && actions.join() === "kms:Decrypt"), `${statement.Sid}: kms on the stack's key only`);
        const readsNoData = (a: string) => a.startsWith("ec2:Describe") || a === "ssm:UpdateInstanceInformation" || /^(ssmmessages|ec2messages):/.test(a);
        if (statement.Resource === "*") assert.ok(actions.every(readsNoData) || artifactOnly, `only describe and SSM-agent channel calls on "*": ${actions}`);
      }
    });

    it(`${stack === "prod" ? "protects and retains" : "does not protect"} the data volumes, interfaces and KMS key`, () => {
      const kept = [...ofType(run(), "aws:ebs/volume:Volume"), ...ofType(run(), "aws:ec2/networkInterface:NetworkInterface"), only(childrenOfComponent(run(), "seaweed:aws:MasterSecrets"), "aws:kms/key:Key")];
      for (const r of kept) assert.deepEqual([r.name, r.protect, r.retainOnDelete], [r.name, stack === "prod", stack === "prod"]);
    });

    it("publishes master-<slot> records in a private zone and every master in the outputs", () => {
      const { config } = run();
      const zone = only(run().resources, "aws:route53/zone:Zone");
      assert.equal(zone.inputs.vpcs.length, 1);
      const records = ofType(run(), "aws:route53/record:Record").filter((r) => r.inputs.type === "A" && r.inputs.records);
      const masters = run().outputs.masters as { slot: number; az: string; ip: string; dnsName: string; address: string }[];
      assert.deepEqual(
        records.map((r) => [r.inputs.name, r.inputs.records[0]]).sort(),
        config.topology.slots.map((s) => [`master-${s.slot}.${zone.inputs.name}`, s.ip]).sort(),
      );
      assert.deepEqual(masters.map((m) => [m.slot, m.az, m.ip, m.dnsName, m.address]), config.topology.slots.map((s) => [s.slot, s.az, s.ip, `master-${s.slot}.${zone.inputs.name}`, `${s.ip}:${config.httpPort}`]));
      for (const name of ["slots", "masterAddresses", "quorum", "toleratedFailures", "azLoss", "loadBalancerAlias", "clientSecurityGroupId"]) assert.ok(name in run().outputs, name);
      assert.deepEqual(run().secretOutputs, []);
    });
  });
}

describe("a stack that creates its VPC (dev)", () => {
  it("creates one private subnet per zone and reaches S3, EC2, SSM (with the agent's channels), Auto Scaling and CloudWatch through endpoints, without internet routes", () => {
    const run = runs.dev;
    const subnets = ofType(run, "aws:ec2/subnet:Subnet");
    assert.deepEqual(subnets.map((s) => [s.inputs.availabilityZone, s.inputs.cidrBlock, s.inputs.mapPublicIpOnLaunch]), run.config.subnets.map((s) => [s.az, s.cidr, false]));
    for (const type of ["aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/route:Route"]) assert.equal(ofType(run, type).length, 0, type);
    const endpoints = ofType(run, "aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => [String(e.inputs.serviceName).split(".").pop(), e.inputs.vpcEndpointType]);
    assert.deepEqual(endpoints.sort(), [["autoscaling", "Interface"], ["ec2", "Interface"], ["ec2messages", "Interface"], ["logs", "Interface"], ["monitoring", "Interface"], ["s3", "Gateway"], ["ssm", "Interface"], ["ssmmessages", "Interface"]]);
  });
});

describe("npm run plan -- --stack prod --json", () => {
  it("lists 5 groups, 5 interfaces with 5 distinct IPs over 3 zones, 5 encrypted volumes and an internal NLB checking /cluster/healthz", async () => {
    // Exit 3 means a policy verdict failed (another area's concern); the plan JSON is printed either way.
    const stdout = await promisify(execFile)(TSX, ["tools/plan.ts", "--stack", "prod", "--json"], { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 64 << 20 })
      .then((r) => r.stdout)
      .catch((error: { code?: number; stdout?: string }) => (error.code === 3 && error.stdout ? error.stdout : Promise.reject(error)));
    const awsTier = (JSON.parse(stdout) as Plan).awsTier!;
    assert.equal(awsTier.autoScalingGroups.length, 5);
    assert.ok(awsTier.autoScalingGroups.every((g) => g.minSize === 1 && g.maxSize === 1 && g.subnets.length === 1));
    assert.equal(awsTier.networkInterfaces.length, 5);
    assert.equal(new Set(awsTier.networkInterfaces.flatMap((n) => n.ips)).size, 5);
    assert.equal(new Set(awsTier.networkInterfaces.map((n) => n.az)).size, 3);
    assert.equal(awsTier.dataVolumes.filter((v) => v.encrypted && v.protect).length, 5);
    const [lb] = awsTier.loadBalancers;
    assert.equal(awsTier.loadBalancers.length, 1);
    assert.deepEqual([lb.type, lb.internal, lb.crossZone, lb.deletionProtection], ["network", true, true, true]);
    assert.deepEqual(lb.listeners.map((l) => l.port).sort(), [19333, 9333]);
    const ips = awsTier.networkInterfaces.flatMap((n) => n.ips).sort();
    for (const group of awsTier.targetGroups) {
      assert.equal(group.healthCheck.path, HEALTH_CHECK.path);
      assert.deepEqual([...group.targets].sort(), ips);
    }
  });
});
