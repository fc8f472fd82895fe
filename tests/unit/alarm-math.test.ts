/**
 * The replay of CloudWatch alarm evaluation used by the monitoring drill (tests/support/alarmMath.ts), checked on
 * literal series: per-period statistics per slot, SUM/ABS math, M-of-N windows and missing data treated as breaching.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { evaluateAlarm, RenderedAlarm, Sample } from "../support/alarmMath";

const leaderQuery = (slot: number) => ({ id: `leader${slot}`, returnData: false, metric: { namespace: "N", metricName: "is_leader", dimensions: { ClusterName: "c", Slot: String(slot) }, period: 60, stat: "Maximum" } });
const alarm: RenderedAlarm = {
  metricQueries: [leaderQuery(0), leaderQuery(1), { id: "leaders", expression: "SUM([leader0, leader1])", returnData: false }, { id: "deviation", expression: "ABS(leaders - 1)", returnData: true }],
  comparisonOperator: "GreaterThanThreshold",
  threshold: 0,
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  treatMissingData: "breaching",
};
/** is_leader of slot 0 and slot 1 at second t (periods of 10 s). */
const at = (t: number, slot0: number | undefined, slot1: number | undefined): Sample[] => [
  ...(slot0 === undefined ? [] : [{ t: t * 1000, slot: 0, metric: "is_leader", value: slot0 }]),
  ...(slot1 === undefined ? [] : [{ t: t * 1000, slot: 1, metric: "is_leader", value: slot1 }]),
];

describe("replaying the leader-count alarm", () => {
  it("sums each slot's maximum per period: a failover period reads 2 leaders, a steady one 1", () => {
    const samples = [...at(1, 1, 0), ...at(12, 1, 0), ...at(15, undefined, 1), ...at(25, undefined, 1)];
    const result = evaluateAlarm(alarm, samples, 0, 10_000, 3);
    assert.deepEqual(result.values, [0, 1, 0]);
    assert.deepEqual(result.breaching, [false, true, false]);
    assert.equal(result.firstAlarmPeriod, -1);
  });

  it("fires once every period of the window breaches, counting a period without data as breaching", () => {
    const samples = [...at(1, 1, 1), ...at(12, 0, 0)];
    const result = evaluateAlarm(alarm, samples, 0, 10_000, 4);
    assert.deepEqual(result.values, [1, 1, undefined, undefined]);
    assert.equal(result.firstAlarmPeriod, 2);
    assert.equal(evaluateAlarm({ ...alarm, treatMissingData: "notBreaching" }, samples, 0, 10_000, 4).firstAlarmPeriod, -1);
  });

  it("refuses expressions it does not model instead of guessing", () => {
    const odd = { ...alarm, metricQueries: [...alarm.metricQueries.slice(0, 2), { id: "x", expression: "METRICS()", returnData: true }] };
    assert.throws(() => evaluateAlarm(odd, at(1, 1, 0), 0, 10_000, 1), /METRICS in METRICS\(\) is neither a query id nor a modelled function/);
  });
});
