/**
 * "Master tier at risk" against masters that stop reporting (issue #10, item 4): a boot that failed, a
 * crash-looping weed or a boot waiting on its predecessor leaves an instance that EC2 and the group call healthy,
 * yet its master is gone. Property: for any set of slots whose masters report nothing (no SeaweedFS_master_is_leader
 * sample), the at-risk composite is in ALARM whenever that set has at least max(1, toleratedFailures) slots, and OK
 * below it while everything else is fine. The alarms and composite rules are the ones the real program registers
 * (under mocks); the rule evaluator below implements CloudWatch's composite syntax (ALARM("name"), AND, OR,
 * parentheses; AND binds tighter than OR).
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { METRICS } from "../../infra/seaweed/constants";
import { monitoringGraph, MonitoringRun } from "../support/monitoringGraph";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm";

/** Evaluates a composite alarm rule; `inAlarm` tells the state of a named alarm. */
function evaluate(rule: string, inAlarm: (name: string) => boolean): boolean {
  const tokens = rule.match(/ALARM\("[^"]+"\)|\(|\)|AND|OR/g) ?? [];
  assert.equal(tokens.join(""), rule.replace(/\s+/g, ""), `rule uses syntax this evaluator does not model: ${rule}`);
  let i = 0;
  const atom = (): boolean => {
    const token = tokens[i++];
    if (token === "(") {
      const value = or();
      assert.equal(tokens[i++], ")");
      return value;
    }
    const name = /^ALARM\("([^"]+)"\)$/.exec(token ?? "")?.[1];
    assert.ok(name, `unexpected token ${token} in ${rule}`);
    return inAlarm(name);
  };
  const and = (): boolean => {
    let value = atom();
    while (tokens[i] === "AND") {
      i++;
      value = atom() && value;
    }
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (tokens[i] === "OR") {
      i++;
      value = and() || value;
    }
    return value;
  };
  const result = or();
  assert.equal(i, tokens.length, `trailing tokens in ${rule}`);
  return result;
}

for (const stack of ["dev", "prod"]) {
  describe(`master tier at risk in ${stack}, when masters stop reporting`, () => {
    let run: MonitoringRun;
    before(async () => {
      run = await monitoringGraph(stack);
    });

    /** Per slot, the metric alarms a silent master puts in ALARM: is_leader of that slot, missing data breaching. */
    function silenceAlarms(slot: number): string[] {
      return run
        .mine(ALARM)
        .filter((a) => a.inputs.metricName === METRICS.isLeader && (a.inputs.dimensions as Record<string, string> | undefined)?.Slot === String(slot))
        .map((a) => {
          assert.equal(a.inputs.treatMissingData, "breaching", `${String(a.inputs.name)}: silence must breach`);
          assert.ok(Number(a.inputs.period) * Number(a.inputs.evaluationPeriods) <= 180, `${String(a.inputs.name)} fires within 3 minutes of silence`);
          return String(a.inputs.name);
        });
    }

    /** Whether the at-risk composite is in ALARM when exactly the masters of `silent` report nothing. */
    function atRisk(silent: readonly number[]): boolean {
      const metricAlarms = new Set(silent.flatMap(silenceAlarms));
      const composites = new Map(run.mine(COMPOSITE).map((c) => [String(c.inputs.alarmName), String(c.inputs.alarmRule)]));
      const inAlarm = (name: string): boolean => (composites.has(name) ? evaluate(composites.get(name)!, inAlarm) : metricAlarms.has(name));
      const [riskName] = [...composites.keys()].filter((n) => n.endsWith("-master-tier-at-risk"));
      assert.ok(riskName, "the at-risk composite");
      return inAlarm(riskName);
    }

    it("has a not-reporting alarm for every slot", () => {
      for (const slot of run.config.topology.slots) assert.ok(silenceAlarms(slot.slot).length > 0, `slot ${slot.slot}`);
    });

    it("fires whenever at least max(1, toleratedFailures) masters are silent, and not below (property)", () => {
      const slots = run.config.topology.slots.map((s) => s.slot);
      const threshold = Math.max(1, run.config.topology.toleratedFailures);
      assert.equal(atRisk([]), false, "a healthy tier is not at risk");
      fc.assert(
        fc.property(fc.subarray(slots), (silent) => {
          assert.equal(atRisk(silent), silent.length >= threshold, `silent slots ${JSON.stringify(silent)}, threshold ${threshold}`);
        }),
        { numRuns: 200 },
      );
    });
  });
}
