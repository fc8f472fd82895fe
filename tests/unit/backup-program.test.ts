/**
 * Backups inside the whole prod program (under mocks): every master boots with the backup agent pointed at its own
 * address, the instance role may write only the cluster's backup prefix, the DLM policy selects volumes the master
 * tier really tags, and the backup-age alarm notifies the monitoring topic.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runStack } from "../../tools/lib/plan";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { decodeUserData, userDataBytes } from "../../infra/aws/userData";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let run: Awaited<ReturnType<typeof runStack>>;
before(async () => {
  run = await runStack("prod");
});
const ofType = (type: string): RecordedResource[] => run.resources.filter((r) => r.type === type);

describe("backups in the prod program", () => {
  it("install the agent on every master, asking that master's own address", () => {
    const templates = ofType("aws:ec2/launchTemplate:LaunchTemplate");
    assert.equal(templates.length, run.config.topology.slots.length);
    for (const slot of run.config.topology.slots) {
      // The step lives in SSM (user data is limited to 16 KiB); the slot's user data names it, the boot fetches and runs it.
      const steps = ofType("aws:ssm/parameter:Parameter").filter((p) => String(p.inputs.insecureValue).includes(`SEAWEEDFS_MASTER_URL=http://${slot.ip}:${run.config.httpPort}\n`));
      assert.equal(steps.length, 1, `one parameter carries slot ${slot.slot}'s agent setup`);
      const step = String(steps[0].inputs.insecureValue);
      assert.match(step, new RegExp(`SEAWEEDFS_SLOT=${slot.slot}\\n`));
      assert.match(step, /systemctl enable --now seaweedfs-backup\.timer/);
      const launching = templates.filter((t) => decodeUserData(t.inputs.userData).split("\n").includes(`ssm_step backup '${String(steps[0].inputs.name)}'`));
      assert.equal(launching.length, 1, `one user data runs slot ${slot.slot}'s step`);
      // EC2 caps the bytes it receives: the compressed script (infra/aws/userData.ts).
      const sent = userDataBytes(String(launching[0].inputs.userData));
      assert.ok(sent < 16 * 1024, `user data of slot ${slot.slot} is ${sent} bytes`);
    }
  });

  it("let the masters' role write only the cluster's prefix of the backup bucket", () => {
    const role = ofType("aws:iam/role:Role").find((r) => String(r.inputs.assumeRolePolicy).includes("ec2.amazonaws.com"));
    assert.ok(role, "the instance role");
    const agent = ofType("aws:iam/policy:Policy").find((p) => p.name === "seaweedfs-prod-backups-agent");
    assert.ok(agent, "a managed policy");
    const attachment = ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").find((a) => a.inputs.policyArn === agent.state.arn);
    assert.equal(attachment?.inputs.role, role.state.name ?? role.inputs.name);
    const writes = (JSON.parse(String(agent.inputs.policy)).Statement as Inputs[]).filter((s) => [s.Action].flat().includes("s3:PutObject"));
    const bucket = ofType("aws:s3/bucket:Bucket").find((b) => b.name === "seaweedfs-prod-backups-bucket");
    assert.deepEqual(writes.map((s) => s.Resource), [`${String(bucket?.state.arn)}/seaweedfs-prod/*`]);
  });

  it("snapshot volumes the master tier tags as master data, and only those (DLM takes a volume with any target tag)", () => {
    const [dlm] = ofType("aws:dlm/lifecyclePolicy:LifecyclePolicy");
    const selector = Object.entries((dlm.inputs as Inputs).policyDetails.targetTags as Record<string, string>);
    const selects = (tags: Record<string, string> = {}) => selector.some(([k, value]) => tags[k] === value);
    const selected = ofType("aws:ebs/volume:Volume").filter((v) => selects(v.inputs.tags as Record<string, string>));
    assert.equal(selected.length, run.config.topology.slots.length);
    assert.ok(selected.every((v) => (v.inputs.tags as Record<string, string>)["seaweedfs:role"] === "master-data"));
    const rootVolumeTags = ofType("aws:ec2/launchTemplate:LaunchTemplate").flatMap((lt) =>
      (lt.inputs.tagSpecifications as { resourceType: string; tags: Record<string, string> }[]).filter((t) => t.resourceType === "volume").map((t) => t.tags),
    );
    assert.equal(rootVolumeTags.length, run.config.topology.slots.length);
    assert.ok(rootVolumeTags.every((tags) => !selects(tags)), "no instance root volume is snapshotted");
  });

  it("send the backup-age alarm to the monitoring topic", () => {
    const alarm = ofType("aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.inputs.name === "seaweedfs-prod-backup-age");
    assert.ok(alarm);
    assert.deepEqual(alarm.inputs.alarmActions, [run.outputs.alarmTopicArn]);
    assert.equal(run.outputs.backupAgeAlarmName, "seaweedfs-prod-backup-age");
  });
});
