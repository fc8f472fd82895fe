/**
 * Hand-built resource graphs for the policy tests, independent of what the program registers today: `healthyStack()`
 * is a complete, compliant master tier (3 slots over 3 zones, NLB, security, alarms, backups) and each rule's failing
 * fixture mutates one thing in it. `runOne` runs a single policy through the same runner as `npm run plan`.
 */
import type { PolicyResource } from "@pulumi/policy";
import { HEALTH_CHECK, JWT_SIGNING_KEY_ENV, METRICS } from "../../infra/seaweed/constants";
import { renderClusterMasters } from "../../infra/seaweed/cluster";
import { renderHostSecurityToml, renderMasterUnit } from "../../infra/aws/host/systemd";
import { SECURITY_TOML_HEREDOC } from "../../infra/aws/naming";
import { GATEWAY_ENDPOINT, INTERFACE_ENDPOINTS } from "../../infra/aws/endpoints";
import { Policy, PolicyViolation, runPolicies } from "../../tools/lib/policyRun";
import { encodeUserData } from "../../infra/aws/userData";

const STACK_URN = "urn:pulumi:test::seaweed-infra::pulumi:pulumi:Stack::seaweed-infra-test";

/** Builds linked PolicyResources the way the engine hands them over. */
export class Graph {
  readonly resources: PolicyResource[] = [];

  constructor() {
    this.add("pulumi:pulumi:Stack", "seaweed-infra-test", {});
  }

  add(type: string, name: string, props: Record<string, unknown>, links: { parent?: PolicyResource; refs?: Record<string, PolicyResource> } = {}): PolicyResource {
    const urn = type === "pulumi:pulumi:Stack" ? STACK_URN : `urn:pulumi:test::seaweed-infra::${type}::${name}`;
    const refs = Object.entries(links.refs ?? {});
    const resource: PolicyResource = {
      type,
      name,
      urn,
      props,
      opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
      parent: links.parent ?? this.resources[0],
      dependencies: refs.map(([, r]) => r),
      propertyDependencies: Object.fromEntries(refs.map(([k, r]) => [k, [r]])),
      isType: () => false,
      asType: () => undefined,
    };
    this.resources.push(resource);
    return resource;
  }

  one(type: string, name?: string): PolicyResource {
    const found = this.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) throw new Error(`expected one ${type} ${name ?? ""}, found ${found.length}`);
    return found[0];
  }

  all(type: string): PolicyResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  remove(r: PolicyResource): void {
    this.resources.splice(this.resources.indexOf(r), 1);
  }
}

export const CLUSTER = "seaweedfs-test";
export const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
export const SLOT_IPS = ["10.40.0.10", "10.40.16.10", "10.40.32.10"];

/**
 * A boot script in the shape the master tier renders: the key comes from SSM at boot, the unit from infra/seaweed,
 * and with `securityToml` the file written from a heredoc as the real boot script does.
 */
export function bootScript(unit: string, securityToml?: string): string {
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    `key=$(aws ssm get-parameter --with-decryption --name /${CLUSTER}/jwt-signing-key --query Parameter.Value --output text)`,
    `printf '${JWT_SIGNING_KEY_ENV}=%s\\n' "$key" > /etc/seaweedfs/master-secrets.env`,
    ...(securityToml === undefined ? [] : [`cat > /etc/seaweedfs/security.toml <<'${SECURITY_TOML_HEREDOC}'`, securityToml.trimEnd(), SECURITY_TOML_HEREDOC]),
    "cat > /etc/systemd/system/seaweedfs-master.service <<'UNIT'",
    unit.trimEnd(),
    "UNIT",
    "systemctl enable --now seaweedfs-master.service",
  ].join("\n");
}

export function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** The launch-template user data of every slot, from slots given as `{slot, ip}`; `tls`: the masters' rendered TLS. */
export function masterUserData(slots: { slot: number; ip: string }[], options: { tls?: boolean } = {}): string[] {
  const masters = renderClusterMasters(
    slots.map((s) => ({ slot: s.slot, host: s.ip })),
    { port: 9333, metricsPort: 9327, raft: { heartbeatInterval: "300ms", electionTimeout: "2s" }, defaultReplication: "000", volumeSizeLimitMB: 1000 },
    () => "/var/lib/seaweedfs/master",
  );
  const securityToml = options.tls ? renderHostSecurityToml({ tls: { clusterName: CLUSTER } }) : undefined;
  return masters.map((m) => encodeUserData(bootScript(renderMasterUnit(m.args), securityToml)));
}

/** Adds one master slot: network interface, data volume and launch template, tagged per the shared contract. */
export function addSlot(g: Graph, tier: PolicyResource, slot: number, ip: string, zone: string, userData: string): void {
  const tags = { "seaweedfs:cluster": CLUSTER, "seaweedfs:slot": String(slot) };
  const subnet = g.resources.find((r) => r.type === "aws:ec2/subnet:Subnet" && r.props.availabilityZone === zone);
  g.add("aws:ec2/networkInterface:NetworkInterface", `${CLUSTER}-master-${slot}-eni`, { privateIps: [ip], subnetId: `subnet-${zone}`, tags: { ...tags, "seaweedfs:role": "master-eni" } }, { parent: tier, ...(subnet ? { refs: { subnetId: subnet } } : {}) });
  g.add("aws:ebs/volume:Volume", `${CLUSTER}-master-${slot}-data`, { availabilityZone: zone, size: 10, type: "gp3", encrypted: true, tags: { ...tags, "seaweedfs:role": "master-data", "seaweedfs:snapshots": CLUSTER } }, { parent: tier });
  g.add("aws:ec2/launchTemplate:LaunchTemplate", `${CLUSTER}-master-${slot}-lt`, {
    userData,
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" },
    blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeSize: 8, volumeType: "gp3" } }],
    tags,
  }, { parent: tier });
}

function addLoadBalancer(g: Graph, tier: PolicyResource): void {
  const lb = g.add("aws:lb/loadBalancer:LoadBalancer", `${CLUSTER}-nlb`, {
    loadBalancerType: "network", internal: true, enableCrossZoneLoadBalancing: true, enableDeletionProtection: true, arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/test",
  }, { parent: tier });
  for (const [name, port] of [["http", 9333], ["grpc", 19333]] as const) {
    const tg = g.add("aws:lb/targetGroup:TargetGroup", `${CLUSTER}-${name}`, {
      port, protocol: "TCP", targetType: "ip",
      healthCheck: { enabled: true, protocol: "HTTP", path: HEALTH_CHECK.path, port: name === "http" ? "traffic-port" : "9333", interval: 5, unhealthyThreshold: 2, healthyThreshold: 2 },
    }, { parent: tier });
    g.add("aws:lb/listener:Listener", `${CLUSTER}-${name}-listener`, { loadBalancerArn: lb.props.arn, port, protocol: "TCP" }, { parent: tier, refs: { loadBalancerArn: lb, defaultActions: tg } });
  }
}

function addSecurity(g: Graph, tier: PolicyResource): void {
  g.add("aws:ec2/securityGroup:SecurityGroup", `${CLUSTER}-masters`, {
    ingress: [{ protocol: "tcp", fromPort: 9333, toPort: 9333, cidrBlocks: ["10.40.128.0/17"] }],
    egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
  }, { parent: tier });
  g.add("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", `${CLUSTER}-clients-grpc`, { ipProtocol: "tcp", fromPort: 19333, toPort: 19333, cidrIpv4: "10.40.128.0/17" }, { parent: tier });
  g.add("aws:iam/rolePolicy:RolePolicy", `${CLUSTER}-attach`, {
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["ec2:AttachVolume", "ec2:AttachNetworkInterface"], Resource: ["arn:aws:ec2:us-east-1:123456789012:volume/*", "arn:aws:ec2:us-east-1:123456789012:network-interface/*"], Condition: { StringEquals: { "aws:ResourceTag/seaweedfs:cluster": CLUSTER } } },
        { Effect: "Allow", Action: ["ec2:DescribeVolumes"], Resource: "*" },
      ],
    }),
  }, { parent: tier });
}

/**
 * A leader-count alarm written out by hand: the largest `is_leader` of each slot per minute, summed over the slots,
 * its distance from 1 above 0 for 3 minutes; no sample at all counts as no leader.
 */
export function leaderCountMath(slots = SLOT_IPS.map((_, slot) => slot)): Record<string, unknown> {
  const leaders = slots.map((slot) => ({
    id: `leader${slot}`,
    returnData: false,
    metric: { namespace: "SeaweedFS/Master", metricName: METRICS.isLeader, dimensions: { ClusterName: CLUSTER, Slot: String(slot) }, period: 60, stat: "Maximum" },
  }));
  return {
    metricQueries: [
      ...leaders,
      { id: "leaders", expression: `SUM([${leaders.map((q) => q.id).join(", ")}])`, returnData: false },
      { id: "deviation", expression: "ABS(leaders - 1)", returnData: true },
    ],
    comparisonOperator: "GreaterThanThreshold",
    threshold: 0,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: "breaching",
  };
}

function addMonitoring(g: Graph): void {
  const monitoring = g.add("seaweed:aws:Monitoring", `${CLUSTER}-monitoring`, {});
  const topic = g.add("aws:sns/topic:Topic", `${CLUSTER}-alarms`, { arn: "arn:aws:sns:us-east-1:123456789012:alarms" }, { parent: monitoring });
  const actions = { alarmActions: [topic.props.arn], okActions: [topic.props.arn] };
  g.add("aws:cloudwatch/metricAlarm:MetricAlarm", `${CLUSTER}-leader-count`, { ...actions, ...leaderCountMath() }, { parent: monitoring, refs: { alarmActions: topic } });
  g.add("aws:cloudwatch/metricAlarm:MetricAlarm", `${CLUSTER}-unhealthy`, { ...actions, namespace: "AWS/NetworkELB", metricName: "UnHealthyHostCount" }, { parent: monitoring, refs: { alarmActions: topic } });
  g.add("aws:cloudwatch/metricAlarm:MetricAlarm", `${CLUSTER}-status`, { ...actions, namespace: "AWS/EC2", metricName: "StatusCheckFailed" }, { parent: monitoring, refs: { alarmActions: topic } });
  SLOT_IPS.forEach((_, slot) =>
    g.add("aws:cloudwatch/metricAlarm:MetricAlarm", `${CLUSTER}-slot-${slot}-master-silent`, {
      ...actions,
      namespace: "SeaweedFS/Master",
      metricName: METRICS.isLeader,
      dimensions: { ClusterName: CLUSTER, Slot: String(slot) },
      statistic: "SampleCount",
      period: 60,
      evaluationPeriods: 3,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      treatMissingData: "breaching",
    }, { parent: monitoring, refs: { alarmActions: topic } }),
  );
  g.add("aws:cloudwatch/compositeAlarm:CompositeAlarm", `${CLUSTER}-at-risk`, { ...actions, alarmRule: "ALARM(leader-count)" }, { parent: monitoring, refs: { alarmActions: topic } });
}

function addBackups(g: Graph): void {
  const backups = g.add("seaweed:aws:Backups", `${CLUSTER}-backups`, {});
  const bucket = g.add("aws:s3/bucket:Bucket", `${CLUSTER}-backups`, { bucket: `${CLUSTER}-backups-123456789012`, arn: `arn:aws:s3:::${CLUSTER}-backups-123456789012`, objectLockEnabled: true }, { parent: backups });
  const ref = { parent: backups, refs: { bucket } };
  g.add("aws:s3/bucketVersioning:BucketVersioning", `${CLUSTER}-backups-versioning`, { bucket: "unknown-at-preview", versioningConfiguration: { status: "Enabled" } }, ref);
  g.add("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `${CLUSTER}-backups-sse`, {
    bucket: "unknown-at-preview", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/backups" }, bucketKeyEnabled: true }],
  }, ref);
  g.add("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${CLUSTER}-backups-pab`, { bucket: "unknown-at-preview", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, ref);
  g.add("aws:s3/bucketPolicy:BucketPolicy", `${CLUSTER}-backups-policy`, {
    bucket: "unknown-at-preview",
    policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }] }),
  }, ref);
  g.add("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `${CLUSTER}-backups-lifecycle`, {
    bucket: "unknown-at-preview",
    rules: [{ id: "retain", status: "Enabled", expiration: { days: 90 }, noncurrentVersionExpiration: { noncurrentDays: 30 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } }],
  }, ref);
  g.add("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", `${CLUSTER}-backups-object-lock`, { bucket: "unknown-at-preview", rule: { defaultRetention: { mode: "COMPLIANCE", days: 30 } } }, ref);
  g.add("aws:dlm/lifecyclePolicy:LifecyclePolicy", `${CLUSTER}-snapshots`, {
    description: "master data volumes", state: "ENABLED", executionRoleArn: "arn:aws:iam::123456789012:role/dlm",
    policyDetails: { resourceTypes: ["VOLUME"], targetTags: { "seaweedfs:snapshots": CLUSTER }, schedules: [{ name: "daily", retainRule: { count: 14 } }] },
  }, { parent: backups });
}

/** A VPC the tier creates: no internet route, so an S3 gateway endpoint and an interface endpoint per service. */
function addCreatedVpc(g: Graph, tier: PolicyResource): void {
  const network = g.add("seaweed:aws:MasterNetwork", `${CLUSTER}-network`, {}, { parent: tier });
  const vpc = g.add("aws:ec2/vpc:Vpc", `${CLUSTER}-network-vpc`, { cidrBlock: "10.40.0.0/16" }, { parent: network });
  const endpoint = (service: string, props: Record<string, unknown>) =>
    g.add("aws:ec2/vpcEndpoint:VpcEndpoint", `${CLUSTER}-network-${service}`, { serviceName: `com.amazonaws.us-east-1.${service}`, ...props }, { parent: network, refs: { vpcId: vpc } });
  endpoint(GATEWAY_ENDPOINT, { vpcEndpointType: "Gateway" });
  for (const service of INTERFACE_ENDPOINTS) endpoint(service, { vpcEndpointType: "Interface", privateDnsEnabled: true });
}

/** A compliant master tier with every optional part (monitoring, backups, mutual TLS), in an existing VPC unless `createdVpc`. */
export function healthyStack(options: { monitoring?: boolean; backups?: boolean; tls?: boolean; createdVpc?: boolean } = {}): Graph {
  const g = new Graph();
  const tier = g.add("seaweed:aws:MasterTier", CLUSTER, {});
  if (options.createdVpc) addCreatedVpc(g, tier);
  ZONES.forEach((zone, i) => g.add("aws:ec2/subnet:Subnet", `${CLUSTER}-${zone}`, { availabilityZone: zone, cidrBlock: `10.40.${i * 16}.0/20`, mapPublicIpOnLaunch: false }, { parent: tier }));
  const userData = masterUserData(SLOT_IPS.map((ip, slot) => ({ slot, ip })), { tls: options.tls ?? true });
  SLOT_IPS.forEach((ip, slot) => addSlot(g, tier, slot, ip, ZONES[slot], userData[slot]));
  addLoadBalancer(g, tier);
  addSecurity(g, tier);
  if (options.monitoring ?? true) addMonitoring(g);
  if (options.backups ?? true) addBackups(g);
  return g;
}

/** The violations one policy reports on a graph, with `config` over its schema defaults (level mandatory). */
export async function runOne(policy: Policy, g: Graph | PolicyResource[], config: Record<string, unknown> = {}): Promise<{ violations: PolicyViolation[]; verdict: string }> {
  const resources = Array.isArray(g) ? g : g.resources;
  const report = await runPolicies(resources, { [policy.name]: { enforcementLevel: "mandatory", ...config } }, { policies: [policy] });
  return { violations: report.violations, verdict: report.verdicts[0].verdict };
}

/** Messages of a run, for matching. */
export function messages(result: { violations: PolicyViolation[] }): string {
  return result.violations.map((v) => v.message).join("\n");
}
