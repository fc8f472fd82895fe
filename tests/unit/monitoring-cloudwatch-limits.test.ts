/**
 * Every alarm, composite rule and dashboard the program renders stays within CloudWatch's documented limits (the
 * rules in tests/support/cloudwatchLimits.ts, with links), for every stack and for the largest cluster the config
 * allows (7 masters: the most metrics one alarm's math reads); the masters' instance role stays within IAM's quotas
 * (tests/support/iamLimits.ts) at 7 masters and at 9, beyond what the config allows today. Each limit has a failing
 * fixture, so a rule that could never fire would show here.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type { PutMetricAlarmCommandInput } from "@aws-sdk/client-cloudwatch";
import { compositeAlarmProblems, dashboardProblems, metricAlarmProblems, putCompositeAlarmRequest, putMetricAlarmRequest } from "../support/cloudwatchLimits";
import { monitoringGraph, MonitoringRun } from "../support/monitoringGraph";
import { policySize, roleProblems, roleRequest, RoleRequest } from "../support/iamLimits";
import { awsPlatform } from "../../infra/aws/platform";
import { planTopology } from "../../infra/aws/placement";
import { projectKeys, PROJECT } from "../../infra/config";
import { parseConfig } from "../../infra/platforms";
import { ProgramRun, RecordedResource, runUnderMocks } from "../../tools/lib/mockGraph";
import { readStackConfig } from "../../tools/lib/stackFiles";

const METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm";
const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";

const variants: [string, string, Record<string, string>][] = [
  ["dev", "dev", {}],
  ["staging", "staging", {}],
  ["prod", "prod", {}],
  ["dev with 7 masters", "dev", { masterCount: "7" }],
];

/** Every metric alarm of the stack (the backups' age alarm too), as PutMetricAlarm requests. */
const metricAlarms = (run: MonitoringRun) => run.of(METRIC_ALARM).map((a) => putMetricAlarmRequest(a.inputs));

describe("what the program renders is within CloudWatch's documented limits", () => {
  for (const [label, stack, overrides] of variants) {
    it(`${label}: every metric alarm, composite alarm and the dashboard`, async () => {
      const run = await monitoringGraph(stack, overrides);
      const alarms = metricAlarms(run);
      const composites = run.of(COMPOSITE).map((c) => putCompositeAlarmRequest(c.inputs));
      const dashboards = run.of(DASHBOARD);
      // Not vacuous: the stack renders each kind.
      assert.ok(alarms.length >= 10 && composites.length >= 1 && dashboards.length === 1, `${alarms.length} alarms, ${composites.length} composites, ${dashboards.length} dashboards`);
      assert.ok(alarms.some((a) => a.Metrics !== undefined) && alarms.some((a) => a.MetricName !== undefined), "both single-metric and metric-math alarms are checked");
      const known = new Set([...alarms.map((a) => a.AlarmName!), ...composites.map((c) => c.AlarmName!)]);
      const problems = [
        ...alarms.flatMap((a) => metricAlarmProblems(a).map((p) => `${a.AlarmName}: ${p}`)),
        ...composites.flatMap((c) => compositeAlarmProblems(c, known).map((p) => `${c.AlarmName}: ${p}`)),
        ...dashboards.flatMap((d) => dashboardProblems(String(d.inputs.dashboardBody)).map((p) => `dashboard: ${p}`)),
      ];
      assert.deepEqual(problems, []);
    });
  }
});

describe("the limits, each seen refusing a request", () => {
  let leaderCount: PutMetricAlarmCommandInput;
  let single: PutMetricAlarmCommandInput;
  let run: MonitoringRun;
  before(async () => {
    run = await monitoringGraph("prod");
    const alarms = metricAlarms(run);
    leaderCount = alarms.find((a) => a.AlarmName!.endsWith("leader-count"))!;
    single = alarms.find((a) => a.MetricName !== undefined && a.Period === 60)!;
    assert.deepEqual([metricAlarmProblems(leaderCount), metricAlarmProblems(single)], [[], []], "the fixtures start valid");
  });

  const mathCases: [string, (a: PutMetricAlarmCommandInput) => void, RegExp][] = [
    ["11 metrics", (a) => a.Metrics!.unshift(...Array.from({ length: 6 }, (_, i) => ({ ...a.Metrics![0], Id: `extra${i}` }))), /11 metrics in Metrics, at most 10/],
    ["11 expressions", (a) => a.Metrics!.unshift(...Array.from({ length: 9 }, (_, i) => ({ Id: `e${i}`, Expression: "leaders", ReturnData: false }))), /11 expressions in Metrics, at most 10/],
    ["no ReturnData", (a) => (a.Metrics!.at(-1)!.ReturnData = false), /0 queries with ReturnData true; exactly one/],
    ["two ReturnData", (a) => (a.Metrics![0].ReturnData = true), /2 queries with ReturnData true; exactly one/],
    ["MetricName and Metrics", (a) => (a.MetricName = "SeaweedFS_master_is_leader"), /exactly one of MetricName .* and Metrics/],
    ["Period beside Metrics", (a) => (a.Period = 60), /Period must not be set with Metrics/],
    ["a 90 s query period", (a) => (a.Metrics![0].MetricStat!.Period = 90), /query leader0: Period 90 must be 10, 20, 30 or a multiple of 60/],
    ["an upper-case query id", (a) => (a.Metrics![0].Id = "Leader0"), /query Id "Leader0" must start with a lower-case letter/],
    ["a duplicated query id", (a) => (a.Metrics![1].Id = "leader0"), /query Id "leader0" is used twice/],
    ["an expression naming no query", (a) => (a.Metrics!.at(-1)!.Expression = "ABS(leaderz - 1)"), /Expression names leaderz, which is no query/],
    ["no Threshold", (a) => (a.Threshold = undefined), /Threshold is required unless ThresholdMetricId/],
    ["more than a day of evaluation", (a) => (a.EvaluationPeriods = a.DatapointsToAlarm = 1441), /EvaluationPeriods x Period = 1441 x 60 s exceeds one day/],
    ["DatapointsToAlarm above EvaluationPeriods", (a) => (a.DatapointsToAlarm = 99), /DatapointsToAlarm 99 must be between 1 and EvaluationPeriods/],
    ["6 alarm actions", (a) => (a.AlarmActions = Array.from({ length: 6 }, (_, i) => `arn:aws:sns:us-east-1:1:t${i}`)), /6 AlarmActions, at most 5/],
    ["a 256-character name", (a) => (a.AlarmName = "a".repeat(256)), /AlarmName must have 1-255 characters/],
    ["an unknown TreatMissingData", (a) => (a.TreatMissingData = "zero"), /TreatMissingData zero is not one of/],
  ];
  for (const [what, mutate, expected] of mathCases) {
    it(`refuses the leader-count alarm with ${what}`, () => {
      const alarm = structuredClone(leaderCount);
      mutate(alarm);
      assert.match(metricAlarmProblems(alarm).join("\n"), expected);
    });
  }

  const singleCases: [string, (a: PutMetricAlarmCommandInput) => void, RegExp][] = [
    ["neither MetricName nor Metrics", (a) => (a.MetricName = undefined), /exactly one of MetricName .* and Metrics/],
    ["a 45 s period", (a) => (a.Period = 45), /Period 45 must be 10, 20, 30 or a multiple of 60/],
    ["hourly periods over more than seven days", (a) => ((a.Period = 3600), (a.EvaluationPeriods = a.DatapointsToAlarm = 169)), /EvaluationPeriods x Period = 169 x 3600 s exceeds seven days/],
    ["5-minute periods over more than a day", (a) => ((a.Period = 300), (a.EvaluationPeriods = a.DatapointsToAlarm = 289)), /EvaluationPeriods x Period = 289 x 300 s exceeds one day/],
    ["no statistic", (a) => (a.Statistic = undefined), /exactly one of Statistic and ExtendedStatistic/],
    ["both statistics", (a) => (a.ExtendedStatistic = "p99"), /exactly one of Statistic and ExtendedStatistic/],
    ["Threshold and ThresholdMetricId", (a) => (a.ThresholdMetricId = "band"), /Threshold and ThresholdMetricId are mutually exclusive/],
  ];
  for (const [what, mutate, expected] of singleCases) {
    it(`refuses a single-metric alarm with ${what}`, () => {
      const alarm = structuredClone(single);
      mutate(alarm);
      assert.match(metricAlarmProblems(alarm).join("\n"), expected);
    });
  }

  it("refuses composite rules that do not parse, name unknown alarms, or are too long", () => {
    const [composite] = run.of(COMPOSITE).map((c) => putCompositeAlarmRequest(c.inputs));
    const known = new Set(run.of(METRIC_ALARM).map((a) => String(a.inputs.name)));
    assert.deepEqual(compositeAlarmProblems(composite, known), []);
    const cases: [string, RegExp][] = [
      [`${composite.AlarmRule} AND`, /does not parse: unexpected end/],
      [`(${composite.AlarmRule}`, /does not parse: unbalanced parenthesis/],
      [`ALARM("nope") OR ${composite.AlarmRule}`, /AlarmRule names nope, which is no alarm of the stack/],
      [`ALARM(${composite.AlarmName})`, /does not parse: unexpected A in ALARM\(/],
      [Array.from({ length: 400 }, () => `ALARM("${[...known][0]}")`).join(" OR "), /AlarmRule has \d+ characters, 1-10240 allowed/],
      [`ALARM("${composite.AlarmName}") OR ${composite.AlarmRule}`, /references the composite itself/],
    ];
    for (const [rule, expected] of cases) {
      const all = new Set([...known, composite.AlarmName!]);
      assert.match(compositeAlarmProblems({ ...composite, AlarmRule: rule }, all).join("\n"), expected, rule.slice(0, 80));
    }
  });

  it("refuses dashboard widgets off the grid, without metrics or region, with bad rows or periods", () => {
    const body = JSON.parse(String(run.of(DASHBOARD)[0].inputs.dashboardBody));
    assert.deepEqual(dashboardProblems(JSON.stringify(body)), []);
    const firstMetric = body.widgets.findIndex((w: { type: string }) => w.type === "metric");
    const alarmWidget = body.widgets.findIndex((w: { type: string }) => w.type === "alarm");
    const cases: [string, (b: { widgets: Record<string, any>[] }) => void, RegExp][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
      ["x 20 + width 6", (b) => ((b.widgets[0].x = 20), (b.widgets[0].width = 6)), /x \+ width = 26 runs past the 24-column grid/],
      ["width 25", (b) => (b.widgets[0].width = 25), /width 25 must be 1-24/],
      ["height 0", (b) => (b.widgets[0].height = 0), /height 0 must be 1-1000/],
      ["an unknown type", (b) => (b.widgets[0].type = "graph"), /type graph is not one of/],
      ["no metrics", (b) => (b.widgets[firstMetric].properties.metrics = []), /a metric widget needs a non-empty metrics array/],
      ["no region", (b) => delete b.widgets[firstMetric].properties.region, /a metric widget needs its region/],
      ["a 90 s period", (b) => (b.widgets[firstMetric].properties.period = 90), /period 90 must be 10, 20, 30 or a multiple of 60/],
      ["a dimension without value", (b) => b.widgets[firstMetric].properties.metrics[0].splice(2, 1), /expected namespace, metric name and dimension name\/value pairs/],
      ["an options-only row without expression", (b) => b.widgets[firstMetric].properties.metrics.push([{ label: "x" }]), /an options-only row must carry an expression/],
      ["an alarm widget without alarms", (b) => (b.widgets[alarmWidget].properties.alarms = []), /an alarm widget needs a non-empty alarms array/],
      ["no widgets", (b) => delete (b as { widgets?: unknown }).widgets, /no widgets array/],
      ["periodOverride never", (b) => ((b as Record<string, unknown>).periodOverride = "never"), /periodOverride never is neither auto nor inherit/],
    ];
    for (const [what, mutate, expected] of cases) {
      const broken = structuredClone(body);
      mutate(broken);
      assert.match(dashboardProblems(JSON.stringify(broken)).join("\n"), expected, what);
    }
    assert.match(dashboardProblems("{widgets: []}").join("\n"), /not JSON/);
  });
});

/** The instance role (trusted by EC2) of a recorded program, as IAM would store it. */
function instanceRole(resources: readonly RecordedResource[]): RoleRequest {
  const roles = resources.filter((r) => r.type === "aws:iam/role:Role" && String(r.inputs.assumeRolePolicy).includes("ec2.amazonaws.com"));
  assert.equal(roles.length, 1, "one instance role");
  return roleRequest(resources, roles[0]);
}

/**
 * The dev program with 9 masters (3 per zone). The config refuses more than 7, so the 7-master config is placed
 * again for 9 and handed to the AWS composition root directly: what a raised limit would deploy.
 */
async function nineMasters(): Promise<ProgramRun> {
  const stackConfig = readStackConfig("dev");
  const engineConfig = { ...stackConfig.config, [`${PROJECT}:masterCount`]: "7" };
  const seven = parseConfig(projectKeys(engineConfig), { stack: "dev" });
  const placement = planTopology({ ...seven, masterCount: 9 });
  assert.ok(placement.topology, JSON.stringify(placement.issues));
  const nine = { ...seven, masterCount: 9, topology: placement.topology };
  return runUnderMocks(() => awsPlatform(nine), { project: PROJECT, stack: "dev", config: { ...engineConfig, [`${PROJECT}:masterCount`]: "9" }, secretKeys: stackConfig.secretKeys });
}

describe("the masters' instance role is within IAM's quotas", () => {
  for (const [label, stack, overrides] of variants) {
    it(`${label}`, async () => {
      const role = instanceRole((await monitoringGraph(stack, overrides)).resources);
      assert.ok(role.inline.length >= 1 && role.managed.length >= 2, `${role.inline.length} inline, ${role.managed.length} managed: both kinds are checked`);
      assert.deepEqual(roleProblems(role), []);
    });
  }

  it("dev with 9 masters (beyond today's masterCount limit of 7)", async () => {
    const run = await nineMasters();
    assert.equal(run.resources.filter((r) => r.type === "aws:autoscaling/group:Group").length, 9);
    const role = instanceRole(run.resources);
    const sizes = [...role.inline, ...role.managed].map((p) => `${p.name} ${policySize(p.document)}`);
    console.log(`instance role policies at 9 masters: ${sizes.join(", ")}`);
    assert.deepEqual(roleProblems(role), []);
  });

  it("refuses inline policies over 10,240 characters together, a managed policy over 6,144, too many attachments, a long trust policy", async () => {
    const role = instanceRole((await monitoringGraph("prod")).resources);
    assert.deepEqual(roleProblems(role), [], "the fixture starts valid");
    const padded = (chars: number) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "x".repeat(chars), Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] });
    const cases: [string, (r: RoleRequest) => void, RegExp][] = [
      ["two inline policies of 6,000", (r) => (r.inline = [{ name: "a", document: padded(5900) }, { name: "b", document: padded(5900) }]), /inline policies total 1\d{4} characters \(a 6\d{3}, b 6\d{3}\), at most 10240/],
      ["a managed policy of 7,000", (r) => (r.managed[0].document = padded(7000)), /managed policy \S+ has 7\d{3} characters, at most 6144/],
      ["11 managed policies", (r) => (r.managed = Array.from({ length: 11 }, (_, i) => ({ name: `p${i}`, document: padded(10) }))), /11 managed policies attached, at most 10/],
      ["a 3,000-character trust policy", (r) => (r.trustPolicy = padded(3000)), /trust policy has 3\d{3} characters, at most 2048/],
    ];
    for (const [what, mutate, expected] of cases) {
      const broken = structuredClone(role);
      mutate(broken);
      assert.match(roleProblems(broken).join("\n"), expected, what);
    }
    // White space between tokens does not count; inside strings it does.
    assert.equal(policySize('{ "a" : [ 1 , 2 ] }'), policySize('{"a":[1,2]}'));
  });
});
