/**
 * Monitoring policies apply only when the stack has alarms: then the leadership, load-balancer and instance-status
 * alarms must exist and every alarm must notify someone.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { alarmActions, masterSilentAlarm, requiredAlarms } from "../../policies/rules/monitoring";
import { healthyStack, messages, runOne } from "./fixtures";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

describe("policy seaweedfs-required-alarms", () => {
  it("passes a stack with every kind (the leader alarm through metric math)", async () => {
    assert.equal((await runOne(requiredAlarms, healthyStack())).verdict, "pass");
  });

  it("is not applicable to a stack without alarms", async () => {
    assert.equal((await runOne(requiredAlarms, healthyStack({ monitoring: false }))).verdict, "not applicable");
  });

  it("names the missing kind when the leader alarm is gone", async () => {
    const g = healthyStack();
    // Every alarm on is_leader: the leader count and the per-slot silent-master alarms.
    for (const name of ["seaweedfs-test-leader-count", ...[0, 1, 2].map((slot) => `seaweedfs-test-slot-${slot}-master-silent`)]) g.remove(g.one(ALARM, name));
    const result = await runOne(requiredAlarms, g);
    assert.equal(result.violations.length, 1);
    assert.match(messages(result), /no alarm for "no or several leaders": none watches SeaweedFS_master_is_leader/);
  });

  it("takes the required kinds from the config", async () => {
    const result = await runOne(requiredAlarms, healthyStack(), { requiredAlarmKinds: [{ kind: "backup age", metrics: ["SeaweedFS_backup_age"] }] });
    assert.match(messages(result), /no alarm for "backup age"/);
  });
});

describe("policy seaweedfs-alarm-actions", () => {
  it("passes alarms that notify the topic", async () => {
    assert.equal((await runOne(alarmActions, healthyStack())).verdict, "pass");
    assert.equal((await runOne(alarmActions, healthyStack({ monitoring: false }))).verdict, "not applicable");
  });

  it("refuses an alarm without actions and a composite with actions disabled", async () => {
    const g = healthyStack();
    const silent = g.one(ALARM, "seaweedfs-test-status");
    silent.props.alarmActions = [];
    const composite = g.one("aws:cloudwatch/compositeAlarm:CompositeAlarm");
    composite.props.actionsEnabled = false;
    const result = await runOne(alarmActions, g);
    assert.deepEqual(result.violations.map((v) => [v.resource, v.message]), [
      [silent.urn, "the alarm has no alarmActions"],
      [composite.urn, "the alarm's actions are disabled"],
    ]);
  });
});

describe("policy seaweedfs-master-silent-alarm", () => {
  it("passes a stack with a silent-master alarm per slot, and is not applicable without alarms", async () => {
    assert.equal((await runOne(masterSilentAlarm, healthyStack())).verdict, "pass");
    assert.equal((await runOne(masterSilentAlarm, healthyStack({ monitoring: false }))).verdict, "not applicable");
  });

  it("names the slot whose alarm is gone", async () => {
    const g = healthyStack();
    g.remove(g.one(ALARM, "seaweedfs-test-slot-1-master-silent"));
    const result = await runOne(masterSilentAlarm, g);
    assert.equal(result.violations.length, 1);
    assert.match(messages(result), /slot 1: no alarm fires when its master stops reporting SeaweedFS_master_is_leader/);
  });

  it("refuses an alarm that silence cannot fire (missing data not breaching) or that waits too long", async () => {
    const g = healthyStack();
    g.one(ALARM, "seaweedfs-test-slot-0-master-silent").props.treatMissingData = "notBreaching";
    g.one(ALARM, "seaweedfs-test-slot-2-master-silent").props.evaluationPeriods = 30;
    const result = await runOne(masterSilentAlarm, g);
    assert.match(messages(result), /slot 0: seaweedfs-test-slot-0-master-silent treats missing data as notBreaching/);
    assert.match(messages(result), /slot 2: seaweedfs-test-slot-2-master-silent needs 30 min of silence, more than 10/);
    assert.equal(result.violations.length, 2);
  });

  it("refuses an alarm on the value (Maximum) instead of the sample count", async () => {
    const g = healthyStack();
    g.one(ALARM, "seaweedfs-test-slot-0-master-silent").props.statistic = "Maximum";
    assert.match(messages(await runOne(masterSilentAlarm, g)), /slot 0: .* uses statistic Maximum, not SampleCount/);
  });
});
