/**
 * Monitoring policies apply only when the stack has alarms: then a leader alarm whose math fires on no leader, two
 * leaders or silence (and not on one leader), the load-balancer and instance-status alarms must exist, and every alarm
 * must notify someone.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { alarmActions, masterSilentAlarm, requiredAlarms } from "../../policies/rules/monitoring";
import { healthyStack, leaderCountMath, messages, runOne } from "./fixtures";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

describe("policy seaweedfs-required-alarms", () => {
  it("passes a stack with every kind (the leader alarm through metric math)", async () => {
    assert.equal((await runOne(requiredAlarms, healthyStack())).verdict, "pass");
  });

  it("is not applicable to a stack without alarms", async () => {
    assert.equal((await runOne(requiredAlarms, healthyStack({ monitoring: false }))).verdict, "not applicable");
  });

  it("names the leader kind when the leader-count alarm alone is gone: the silent-master alarms on is_leader do not count", async () => {
    const g = healthyStack();
    g.remove(g.one(ALARM, "seaweedfs-test-leader-count"));
    const result = await runOne(requiredAlarms, g);
    assert.equal(result.violations.length, 1);
    assert.equal(
      messages(result),
      'no alarm for "no or several leaders": no alarm on SeaweedFS_master_is_leader stays OK with one leader and fires with none, two or no master reporting: ' +
        [0, 1, 2].map((slot) => `seaweedfs-test-slot-${slot}-master-silent stays OK for 10 min with no leader`).join("; "),
    );
  });

  it("says so when no alarm watches is_leader at all", async () => {
    const g = healthyStack();
    for (const alarm of g.all(ALARM).filter((a) => a.props.metricName === "SeaweedFS_master_is_leader" || a.name.endsWith("leader-count"))) g.remove(alarm);
    assert.equal(messages(await runOne(requiredAlarms, g)), 'no alarm for "no or several leaders": none watches SeaweedFS_master_is_leader');
  });

  // Each leader alarm below has one thing wrong with its math; the replay names what it gets wrong.
  const wrong: [string, (props: Record<string, unknown>) => void, string][] = [
    ["threshold 1 instead of 0", (p) => (p.threshold = 1), "stays OK for 10 min with no leader"],
    ["leaders - 1 without ABS (no leader reads -1)", (p) => ((p.metricQueries as { id: string; expression?: string }[]).find((q) => q.id === "deviation")!.expression = "leaders - 1"), "stays OK for 10 min with no leader"],
    ["missing data not breaching", (p) => (p.treatMissingData = "notBreaching"), "stays OK for 10 min with no master reporting"],
    ["a window longer than leaderAlarmMaxMinutes", (p) => Object.assign(p, { evaluationPeriods: 15, datapointsToAlarm: 15 }), "stays OK for 10 min with no leader"],
    ["the last slot left out of the sum", (p) => Object.assign(p, leaderCountMath([0, 1])), "fires with one leader (slot 2)"],
    ["2 periods of a 5-minute Sum of 1-minute samples", (p) => {
      (p.metricQueries as { metric?: { stat: string; period: number } }[]).forEach((q) => q.metric && Object.assign(q.metric, { stat: "Sum", period: 300 }));
      Object.assign(p, { evaluationPeriods: 2, datapointsToAlarm: 2 });
    }, "fires with one leader (slot 0)"],
    ["another cluster's series", (p) => (p.metricQueries as { metric?: { dimensions: Record<string, string> } }[]).forEach((q) => q.metric && (q.metric.dimensions.ClusterName = "other")), "fires with one leader (slot 0)"],
    ["two queries returning data", (p) => ((p.metricQueries as { returnData: boolean }[])[0].returnData = true), "cannot be replayed: 2 metric queries return data; CloudWatch needs exactly one"],
    ["a percentile it cannot replay", (p) => ((p.metricQueries as { metric?: { stat: string } }[])[0].metric!.stat = "p99"), "cannot be replayed: statistic p99 is not modelled"],
  ];
  for (const [what, mutate, problem] of wrong) {
    it(`refuses a leader alarm with ${what}`, async () => {
      const g = healthyStack();
      mutate(g.one(ALARM, "seaweedfs-test-leader-count").props);
      const result = await runOne(requiredAlarms, g);
      assert.equal(result.violations.length, 1);
      assert.match(messages(result), new RegExp(`^no alarm for "no or several leaders": .*seaweedfs-test-leader-count ${problem.replace(/[()]/g, "\\$&")}(;|$)`));
    });
  }

  it("judges the math, not its spelling: >= 1 instead of > 0, or 2 of 3 periods, is a leader alarm too", async () => {
    for (const change of [{ comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 1 }, { datapointsToAlarm: 2 }]) {
      const g = healthyStack();
      Object.assign(g.one(ALARM, "seaweedfs-test-leader-count").props, change);
      assert.equal((await runOne(requiredAlarms, g)).verdict, "pass", JSON.stringify(change));
    }
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
