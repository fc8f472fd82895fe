/**
 * The alarm logic for any legal master count (1 to 7): "master tier at risk" fires exactly when one more failed slot
 * would lose quorum, its rule stays within CloudWatch's 10240 characters, and every metric-math alarm stays within
 * PutMetricAlarm's 10 metrics and 10 expressions.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { AlarmSettings, atRiskRule, masterTierAlarms } from "../../infra/aws/monitoring/alarms";

const LONGEST_CLUSTER = "a".repeat(30);
const settings: AlarmSettings = {
  leaderCountMinutes: 3,
  leaderChangesMax: 2,
  leaderChangesWindowMinutes: 15,
  healthyHostsBelow: 2,
  unhealthyHostsAbove: 0,
  instanceMissingMinutes: 10,
  diskUsedPercent: 80,
  memoryUsedPercent: 90,
};

/** Evaluates a rule made of OR-ed terms, each an AND of ALARM("name") calls, against the set of alarms in ALARM. */
function fires(rule: string, inAlarm: ReadonlySet<string>): boolean {
  return rule.split(" OR ").some((term) => [...term.matchAll(/ALARM\("([^"]+)"\)/g)].every(([, name]) => inAlarm.has(name)));
}

const masterCounts = fc.constantFrom(1, 3, 5, 7);

describe("master tier at risk", () => {
  it("fires exactly when max(1, toleratedFailures) slots are down, or a critical alarm is in ALARM", () => {
    fc.assert(
      fc.property(masterCounts, fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), fc.boolean(), (masters, downFlags, critical) => {
        const tolerated = (masters - 1) / 2;
        const slotDown = Array.from({ length: masters }, (_, i) => `${LONGEST_CLUSTER}-slot-${i}-down`);
        const rule = atRiskRule([`${LONGEST_CLUSTER}-leader-count`], slotDown, tolerated);
        const inAlarm = new Set(slotDown.filter((_, i) => downFlags[i]));
        if (critical) inAlarm.add(`${LONGEST_CLUSTER}-leader-count`);
        assert.equal(fires(rule, inAlarm), critical || inAlarm.size >= Math.max(1, tolerated));
        assert.ok(rule.length <= 10240, `${rule.length} characters for ${masters} masters`);
      }),
    );
  });
});

describe("metric-math alarms", () => {
  it("stay within PutMetricAlarm's limits for every legal master count", () => {
    for (const masters of [1, 3, 5, 7]) {
      const slots = Array.from({ length: masters }, (_, i) => ({ slot: i, ip: `10.0.0.${10 + i}`, autoScalingGroupName: `asg-${i}` }));
      const alarms = masterTierAlarms({ clusterName: LONGEST_CLUSTER, slots, loadBalancerArnSuffix: "net/x/1", targetGroups: [{ name: "http", arnSuffix: "targetgroup/x/1" }], settings });
      for (const alarm of alarms.filter((a) => a.args.metricQueries)) {
        const queries = alarm.args.metricQueries as { metric?: unknown; expression?: string; returnData?: boolean }[];
        assert.ok(queries.filter((q) => q.metric).length <= 10, `${alarm.id}: at most 10 metrics`);
        assert.ok(queries.filter((q) => q.expression).length <= 10, `${alarm.id}: at most 10 expressions`);
        assert.equal(queries.filter((q) => q.returnData).length, 1, `${alarm.id}: one returned series`);
      }
    }
  });
});
