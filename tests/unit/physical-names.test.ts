/**
 * Physical names AWS would refuse (issue #10, item 1). Every stack, and a stack whose clusterName has the schema's
 * maximum of 30 characters, is planned as `npm run plan -- --json` plans it (in-process: faster); every resource's `awsName` is checked against
 * AWS's per-type limits written out below from the AWS API references (not taken from infra/aws/physicalNames.ts).
 * A type the table does not know fails the test, so a new named resource cannot slip past unchecked.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parseDocument } from "yaml";
import { buildPlan } from "../../tools/lib/plan";
import { REPO_ROOT, stackFilePath } from "../../tools/lib/stackFiles";
import { TSX } from "../support/runTool";

const run = promisify(execFile);

/** AWS's limits: maximum length and the characters allowed, per Pulumi type. */
const LIMITS: Record<string, { max: number; chars: RegExp }> = {
  "aws:lb/loadBalancer:LoadBalancer": { max: 32, chars: /^(?!internal-)[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$/ },
  "aws:lb/targetGroup:TargetGroup": { max: 32, chars: /^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$/ },
  "aws:iam/role:Role": { max: 64, chars: /^[\w+=,.@-]+$/ },
  "aws:iam/instanceProfile:InstanceProfile": { max: 128, chars: /^[\w+=,.@-]+$/ },
  "aws:iam/rolePolicy:RolePolicy": { max: 128, chars: /^[\w+=,.@-]+$/ },
  "aws:iam/policy:Policy": { max: 128, chars: /^[\w+=,.@-]+$/ },
  "aws:s3/bucket:Bucket": { max: 63, chars: /^[a-z0-9][a-z0-9.-]+[a-z0-9]$/ },
  "aws:ec2/securityGroup:SecurityGroup": { max: 255, chars: /^(?!sg-)[\w .:/()#,@[\]+=&;{}!$*-]+$/ },
  "aws:ec2/launchTemplate:LaunchTemplate": { max: 128, chars: /^[\w().\-/]{3,}$/ },
  "aws:autoscaling/group:Group": { max: 255, chars: /^\S/ },
  "aws:cloudwatch/metricAlarm:MetricAlarm": { max: 255, chars: /^\S/ },
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": { max: 255, chars: /^\S/ },
  "aws:cloudwatch/dashboard:Dashboard": { max: 255, chars: /^[\w-]+$/ },
  "aws:cloudwatch/logGroup:LogGroup": { max: 512, chars: /^[\w./#-]+$/ },
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": { max: 512, chars: /^[^:*]+$/ },
  "aws:ssm/parameter:Parameter": { max: 1011, chars: /^[\w./-]+$/ },
  "aws:sns/topic:Topic": { max: 256, chars: /^[\w-]+$/ },
  "aws:kms/alias:Alias": { max: 256, chars: /^alias\/[\w/-]+$/ },
  "aws:route53/zone:Zone": { max: 255, chars: /^\S/ },
  "aws:route53/record:Record": { max: 255, chars: /^\S/ },
};

/** Types AWS gives no name to (ids only); their `awsName` must be null. */
const NAMELESS = new Set([
  "aws:ebs/volume:Volume",
  "aws:ec2/networkInterface:NetworkInterface",
  "aws:ec2/vpc:Vpc",
  "aws:ec2/subnet:Subnet",
  "aws:ec2/routeTable:RouteTable",
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:ec2/subnetCidrReservation:SubnetCidrReservation",
  "aws:ec2/vpcEndpoint:VpcEndpoint",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  "aws:lb/listener:Listener",
  "aws:lb/targetGroupAttachment:TargetGroupAttachment",
  "aws:kms/key:Key",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:dlm/lifecyclePolicy:LifecyclePolicy",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
]);

interface PlannedResource {
  type: string;
  name: string;
  awsName: string | null;
}

/** The CLI, for its exit code and message. */
async function planCli(stack: string, stacksDir?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ["tools/plan.ts", "--stack", stack, "--json", ...(stacksDir ? ["--stacks-dir", stacksDir] : [])];
  try {
    const { stdout, stderr } = await run(TSX, args, { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * The staging stack file with `clusterName` set to `name` (and `extra` config keys). Throws when the file has no
 * clusterName to change, so that a renamed key can never leave the test planning staging's own short name.
 */
function stagingWithClusterName(name: string, extra: Record<string, string> = {}): string {
  const doc = parseDocument(fs.readFileSync(stackFilePath("staging"), "utf8"));
  const key = ["config", "seaweed-infra:clusterName"];
  assert.equal(typeof doc.getIn(key), "string", "stacks/Pulumi.staging.yaml has no seaweed-infra:clusterName to change");
  doc.setIn(key, name);
  for (const [k, v] of Object.entries(extra)) doc.setIn(["config", k], v);
  return doc.toString();
}

/** Every way the plan's physical names break AWS's limits, one line each. */
function violations(resources: readonly PlannedResource[]): string[] {
  return resources.flatMap((r) => {
    if (r.type.startsWith("seaweed:") || r.type.startsWith("pulumi:") || r.type.startsWith("random:") || r.type === "pulumi:providers:aws") {
      return r.awsName === null ? [] : [`${r.name}: a ${r.type} has no AWS name, got ${r.awsName}`];
    }
    if (NAMELESS.has(r.type)) return r.awsName === null ? [] : [`${r.name}: ${r.type} is nameless in AWS, got ${r.awsName}`];
    const limit = LIMITS[r.type];
    if (!limit) return [`${r.name}: ${r.type} is in neither table of this test: add its AWS limit`];
    if (typeof r.awsName !== "string") return [`${r.name}: ${r.type} has no awsName`];
    if (r.awsName.length > limit.max) return [`${r.type} ${r.awsName}: ${r.awsName.length} > ${limit.max}`];
    if (!limit.chars.test(r.awsName)) return [`${r.type} ${r.awsName}: characters AWS refuses`];
    return [];
  });
}

describe("physical names within AWS's limits", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "physical-names-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const stack of ["dev", "staging", "prod"]) {
    it(`plans ${stack} with every awsName within its type's limit`, async () => {
      const { resources } = await buildPlan(stack);
      assert.deepEqual(violations(resources), []);
      // The load balancer and target groups were the blocker: they must carry explicit names now.
      for (const type of ["aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"]) {
        const named = resources.filter((r) => r.type === type);
        assert.ok(named.length > 0 && named.every((r) => r.awsName && !r.awsName.startsWith(r.name)), `${type}: ${JSON.stringify(named)}`);
      }
    });
  }

  it("plans a stack with a 30-character clusterName (and a DR bucket) within every limit", async () => {
    const clusterName = "a-very-long-seaweedfs-cluster1";
    assert.equal(clusterName.length, 30);
    fs.writeFileSync(path.join(dir, "Pulumi.long.yaml"), stagingWithClusterName(clusterName, { "seaweed-infra:backupReplicationRegion": "ap-southeast-2" }));
    const { resources } = await buildPlan("long", undefined, { stacksDir: dir, policyConfigFile: path.join(REPO_ROOT, "policies/config.staging.json") });
    // The long name is the one planned: names with room for it (alarms, log groups, ...) carry it whole.
    assert.ok(resources.some((r) => r.awsName?.includes(clusterName)), `no physical name carries ${clusterName}: the plan did not use it`);
    assert.deepEqual(violations(resources), []);
    assert.equal(resources.filter((r) => r.type === "aws:s3/bucket:Bucket").length, 2, "the DR bucket is planned too");
    // Negative control: the same check finds the 33+ character names Pulumi would have made up.
    assert.notDeepEqual(violations([{ type: "aws:lb/targetGroup:TargetGroup", name: "x", awsName: `${clusterName}-lb-9333-xxxxxxx` }]), []);
  });

  it("exits 2 naming clusterName when a derived name is one AWS refuses", async () => {
    // A load balancer name may not start with "internal-", and every physical name starts with the cluster's.
    fs.writeFileSync(path.join(dir, "Pulumi.internal.yaml"), stagingWithClusterName("internal-masters"));
    const { code, stderr } = await planCli("internal", dir);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /seaweed-infra:clusterName = "internal-masters": .*LoadBalancer.*internal-/);
    assert.match(stderr, /fix: /);
  });
});
