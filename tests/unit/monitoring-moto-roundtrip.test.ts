/**
 * The alarms and dashboard the prod program registers are real CloudWatch API requests: sent with the AWS SDK to a
 * local moto server (started and stopped here, loopback only), accepted, and read back unchanged. moto 5.2.5 does not
 * implement PutCompositeAlarm; the composite rules are then checked against CloudWatch's documented rule grammar.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  MetricAlarm,
  PutCompositeAlarmCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { monitoringGraph, MonitoringRun, RecordedQuery } from "../support/monitoringGraph";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function startMoto(): Promise<{ endpoint: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(path.join(REPO_ROOT, ".venv/bin/moto_server"), ["-H", "127.0.0.1", "-p", String(port)], { detached: true, stdio: "ignore" });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await fetch(`${endpoint}/moto-api/`).then((r) => r.ok, () => false)) return { endpoint, process: child };
    await new Promise((r) => setTimeout(r, 200));
  }
  stopGroup(child);
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s`);
}

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(-child.pid, "SIGTERM");
  const kill = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, "SIGKILL"), 5000);
  return exited.finally(() => clearTimeout(kill));
}

const dimensionsOf = (d?: Record<string, string>) => (d ? Object.entries(d).map(([Name, Value]) => ({ Name, Value })) : undefined);

/** A recorded aws.cloudwatch.MetricAlarm's inputs as the PutMetricAlarm request the provider would send. */
function putMetricAlarm(inputs: Record<string, unknown>): PutMetricAlarmCommandInput {
  const queries = inputs.metricQueries as RecordedQuery[] | undefined;
  return {
    AlarmName: String(inputs.name),
    AlarmDescription: inputs.alarmDescription as string,
    ComparisonOperator: inputs.comparisonOperator as PutMetricAlarmCommandInput["ComparisonOperator"],
    EvaluationPeriods: inputs.evaluationPeriods as number,
    DatapointsToAlarm: inputs.datapointsToAlarm as number,
    Threshold: inputs.threshold as number,
    TreatMissingData: inputs.treatMissingData as string,
    AlarmActions: inputs.alarmActions as string[],
    OKActions: inputs.okActions as string[],
    Namespace: inputs.namespace as string | undefined,
    MetricName: inputs.metricName as string | undefined,
    Statistic: inputs.statistic as PutMetricAlarmCommandInput["Statistic"],
    Period: inputs.period as number | undefined,
    Dimensions: dimensionsOf(inputs.dimensions as Record<string, string> | undefined),
    Metrics: queries?.map((q) => ({
      Id: q.id,
      Expression: q.expression,
      ReturnData: q.returnData,
      MetricStat: q.metric
        ? { Metric: { Namespace: q.metric.namespace, MetricName: q.metric.metricName, Dimensions: dimensionsOf(q.metric.dimensions) }, Period: q.metric.period, Stat: q.metric.stat }
        : undefined,
    })),
    Tags: Object.entries((inputs.tags ?? {}) as Record<string, string>).map(([Key, Value]) => ({ Key, Value })),
  };
}

/**
 * CloudWatch's composite rule grammar: ALARM/OK/INSUFFICIENT_DATA("name"), TRUE, FALSE, combined with AND, OR, NOT
 * and parentheses; at most 10240 characters. Returns the alarm names the rule references.
 */
function parseAlarmRule(rule: string): string[] {
  assert.ok(rule.length <= 10240, "a rule has at most 10240 characters");
  const tokens = rule.match(/\s+|\(|\)|AND|OR|NOT|TRUE|FALSE|(?:ALARM|OK|INSUFFICIENT_DATA)\("[^"]+"\)|./g)!.filter((t) => t.trim());
  const names: string[] = [];
  let at = 0;
  const operand = (): void => {
    const token = tokens[at++];
    if (token === "NOT") return operand();
    if (token === "(") {
      expression();
      assert.equal(tokens[at++], ")", `unbalanced parenthesis in ${rule}`);
      return;
    }
    const call = /^(?:ALARM|OK|INSUFFICIENT_DATA)\("([^"]+)"\)$/.exec(token ?? "");
    assert.ok(call || token === "TRUE" || token === "FALSE", `unexpected ${token} in ${rule}`);
    if (call) names.push(call[1]);
  };
  const expression = (): void => {
    operand();
    while (tokens[at] === "AND" || tokens[at] === "OR") {
      at++;
      operand();
    }
  };
  expression();
  assert.equal(at, tokens.length, `trailing tokens in ${rule}`);
  return names;
}

describe("prod alarms and dashboard against the CloudWatch API (moto)", () => {
  let moto: { endpoint: string; process: ChildProcess };
  let client: CloudWatchClient;
  let run: MonitoringRun;

  before(async () => {
    [moto, run] = await Promise.all([startMoto(), monitoringGraph("prod")]);
    client = new CloudWatchClient({ endpoint: moto.endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  });
  after(async () => {
    client?.destroy();
    if (moto) await stopGroup(moto.process);
  });

  it("accepts every metric alarm (PutMetricAlarm) and reads it back", async () => {
    const alarms = run.mine("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => putMetricAlarm(a.inputs));
    for (const alarm of alarms) await client.send(new PutMetricAlarmCommand(alarm));
    const stored: MetricAlarm[] = [];
    for (let i = 0; i < alarms.length; i += 100) {
      const page = await client.send(new DescribeAlarmsCommand({ AlarmNames: alarms.slice(i, i + 100).map((a) => a.AlarmName!), AlarmTypes: ["MetricAlarm"] }));
      stored.push(...(page.MetricAlarms ?? []));
    }
    assert.equal(stored.length, alarms.length);
    for (const sent of alarms) {
      const back = stored.find((a) => a.AlarmName === sent.AlarmName);
      assert.ok(back, sent.AlarmName);
      assert.equal(back.Threshold, sent.Threshold, sent.AlarmName);
      assert.equal(back.ComparisonOperator, sent.ComparisonOperator, sent.AlarmName);
      assert.equal(back.EvaluationPeriods, sent.EvaluationPeriods, sent.AlarmName);
      assert.equal(back.TreatMissingData, sent.TreatMissingData, sent.AlarmName);
      assert.deepEqual(back.AlarmActions, sent.AlarmActions, sent.AlarmName);
      assert.deepEqual(back.OKActions, sent.OKActions, sent.AlarmName);
      assert.deepEqual((back.Metrics ?? []).map((m) => m.Expression ?? m.MetricStat?.Metric?.MetricName), (sent.Metrics ?? []).map((m) => m.Expression ?? m.MetricStat?.Metric?.MetricName), sent.AlarmName);
    }
  });

  it("accepts the dashboard (PutDashboard) and reads back the same body", async () => {
    const [dashboard] = run.mine("aws:cloudwatch/dashboard:Dashboard");
    const name = String(dashboard.inputs.dashboardName);
    const put = await client.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: String(dashboard.inputs.dashboardBody) }));
    assert.deepEqual(put.DashboardValidationMessages ?? [], []);
    const back = await client.send(new GetDashboardCommand({ DashboardName: name }));
    assert.deepEqual(JSON.parse(back.DashboardBody!), JSON.parse(String(dashboard.inputs.dashboardBody)));
  });

  it("sends the composite alarms (PutCompositeAlarm); their rules parse and name only alarms of the stack", async () => {
    const known = new Set([...run.mine("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => String(a.inputs.name))]);
    const composites = run.mine("aws:cloudwatch/compositeAlarm:CompositeAlarm");
    for (const c of composites) known.add(String(c.inputs.alarmName));
    for (const c of composites) {
      for (const name of parseAlarmRule(String(c.inputs.alarmRule))) assert.ok(known.has(name), `${c.inputs.alarmName} names unknown alarm ${name}`);
      const request = { AlarmName: String(c.inputs.alarmName), AlarmRule: String(c.inputs.alarmRule), AlarmDescription: String(c.inputs.alarmDescription), AlarmActions: c.inputs.alarmActions as string[], OKActions: c.inputs.okActions as string[] };
      try {
        await client.send(new PutCompositeAlarmCommand(request));
      } catch (error) {
        // moto 5.2.5 answers HTTP 500 (NotImplementedError) for PutCompositeAlarm; anything else is a real refusal.
        assert.equal((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 500, String(error));
        continue;
      }
      const back = await client.send(new DescribeAlarmsCommand({ AlarmNames: [request.AlarmName], AlarmTypes: ["CompositeAlarm"] }));
      assert.equal(back.CompositeAlarms?.[0]?.AlarmRule, request.AlarmRule);
    }
  });
});
