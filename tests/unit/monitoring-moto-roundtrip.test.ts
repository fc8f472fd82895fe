/**
 * A round trip through moto, not an acceptance test: the prod program's metric alarms and dashboard are sent with
 * the AWS SDK to a local moto server (started and stopped here, loopback only) and read back unchanged. It proves
 * the requests are well-formed SDK calls that survive serialization; it does not prove CloudWatch would accept them.
 * moto 5.2.5 validates almost nothing in PutMetricAlarm and always answers PutDashboard with an empty list of
 * validation messages. It has no PutCompositeAlarm at all (HTTP 500), so composites are not sent here: their rules
 * are parsed against CloudWatch's documented grammar and limits, naming only alarms of the stack
 * (tests/unit/monitoring-cloudwatch-limits.test.ts), and evaluated as CloudWatch would
 * (tests/unit/monitoring-at-risk.test.ts); that CloudWatch accepts the request itself is unproven (docs/monitoring.md).
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { CloudWatchClient, DescribeAlarmsCommand, GetDashboardCommand, MetricAlarm, PutDashboardCommand, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { putMetricAlarmRequest } from "../support/cloudwatchLimits";
import { monitoringGraph, MonitoringRun } from "../support/monitoringGraph";

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

describe("prod alarms and dashboard, round trip through moto", () => {
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

  it("PutMetricAlarm of every metric alarm reads back unchanged", async () => {
    const alarms = run.mine("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => putMetricAlarmRequest(a.inputs));
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

  it("PutDashboard of the dashboard reads back the same body", async () => {
    const [dashboard] = run.mine("aws:cloudwatch/dashboard:Dashboard");
    const name = String(dashboard.inputs.dashboardName);
    // moto's DashboardValidationMessages is always empty: not evidence of anything, so not asserted.
    await client.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: String(dashboard.inputs.dashboardBody) }));
    const back = await client.send(new GetDashboardCommand({ DashboardName: name }));
    assert.deepEqual(JSON.parse(back.DashboardBody!), JSON.parse(String(dashboard.inputs.dashboardBody)));
  });
});
