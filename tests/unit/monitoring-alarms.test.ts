/**
 * Every stack's monitoring, run under mocks: the alarm set, its actions and thresholds (from config), the composite
 * "master tier at risk", the encrypted alarm topic and its subscriptions, and a dashboard that only charts metrics
 * the pipeline or AWS publishes.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { PUBLISHED_METRICS } from "../../infra/aws/monitoring/metrics";
import { METRICS } from "../../infra/seaweed/constants";
import { alarmMetrics, dashboardMetrics, dashboardOf, monitoringGraph, MonitoringRun, RecordedQuery, TARGET_GROUPS } from "../support/monitoringGraph";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm";

function alarmNamed(run: MonitoringRun, name: string) {
  const alarm = run.mine(ALARM).find((a) => a.inputs.name === name);
  assert.ok(alarm, `no alarm named ${name}; alarms: ${run.mine(ALARM).map((a) => a.inputs.name).join(", ")}`);
  return alarm;
}

for (const stack of ["dev", "staging", "prod"]) {
  describe(`${stack} monitoring`, () => {
    let run: MonitoringRun;
    before(async () => {
      run = await monitoringGraph(stack);
    });

    it("has the cluster alarms, two per target group and eight per slot (nine with TLS)", () => {
      const { clusterName, topology } = run.config;
      const expected = [
        "leader-count",
        "leader-flapping",
        ...TARGET_GROUPS.flatMap((g) => [`${g}-unhealthy-hosts`, `${g}-healthy-hosts-low`]),
        ...topology.slots.flatMap((s) => [`slot-${s.slot}-master-silent`, `slot-${s.slot}-status-check`, `slot-${s.slot}-no-instance`, `slot-${s.slot}-data-disk`, `slot-${s.slot}-memory`]),
        ...topology.slots.flatMap((s) => [`slot-${s.slot}-watchdog-not-running`, `slot-${s.slot}-backup-timer-not-running`, `slot-${s.slot}-backup-watch-not-running`]),
        // With mutual TLS, one certificate-expiry alarm per slot (infra/aws/monitoring/tlsExpiry.ts).
        ...(run.config.tlsEnabled ? topology.slots.map((s) => `slot-${s.slot}-tls-expiry`) : []),
      ].map((id) => `${clusterName}-${id}`);
      assert.deepEqual(run.mine(ALARM).map((a) => a.inputs.name).sort(), expected.sort());
    });

    it("alarms when a slot's watchdog, backup timer or backup change watcher is not running, its heartbeat silent included", () => {
      const { clusterName, topology } = run.config;
      for (const slot of topology.slots) {
        for (const unit of ["watchdog", "backup-timer", "backup-watch"]) {
          const alarm = alarmNamed(run, `${clusterName}-slot-${slot.slot}-${unit}-not-running`).inputs;
          assert.deepEqual([alarm.namespace, alarm.metricName, alarm.dimensions], ["SeaweedFS/Master", "UnitRunning", { ClusterName: clusterName, Slot: String(slot.slot), Unit: unit }]);
          assert.deepEqual([alarm.statistic, alarm.comparisonOperator, alarm.threshold], ["Minimum", "LessThanThreshold", 1], "fires on a 0");
          assert.equal(alarm.treatMissingData, "breaching", "and on silence: a heartbeat that never got installed");
        }
      }
    });

    it("notifies the encrypted alarm topic on ALARM and OK for every alarm and for 'master tier at risk'", () => {
      const [topic] = run.mine("aws:sns/topic:Topic");
      const topicArn = topic.state.arn;
      assert.ok(topic.inputs.kmsMasterKeyId, "the topic is KMS-encrypted");
      const notifying = [...run.mine(ALARM), ...run.mine(COMPOSITE)];
      assert.ok(notifying.some((c) => String(c.inputs.alarmName).endsWith("master-tier-at-risk")));
      for (const alarm of notifying) {
        const name = alarm.inputs.name ?? alarm.inputs.alarmName;
        assert.deepEqual(alarm.inputs.alarmActions, [topicArn], `${name} alarm actions`);
        assert.deepEqual(alarm.inputs.okActions, [topicArn], `${name} OK actions`);
        assert.match(String(alarm.inputs.alarmDescription), /Runbook: docs\/(runbooks\/(lost-quorum|replace-master)|security)\.md/, `${name} links its runbook`);
      }
    });

    it("watches the tier's own Auto Scaling groups, load balancer and target groups", () => {
      const { clusterName, topology, httpPort } = run.config;
      const groups = run.of("aws:autoscaling/group:Group");
      for (const slot of topology.slots) {
        const group = groups.find((g) => g.inputs.vpcZoneIdentifiers && g.name === `${slot.name}-asg`);
        assert.ok(group, `slot ${slot.slot}'s group`);
        for (const id of ["status-check", "no-instance"]) {
          assert.deepEqual(alarmNamed(run, `${clusterName}-slot-${slot.slot}-${id}`).inputs.dimensions, { AutoScalingGroupName: group.inputs.name });
        }
      }
      const [lb] = run.of("aws:lb/loadBalancer:LoadBalancer");
      for (const tg of run.of("aws:lb/targetGroup:TargetGroup")) {
        const name = tg.inputs.port === httpPort ? "http" : "grpc";
        const dims = { LoadBalancer: lb.state.arnSuffix, TargetGroup: tg.state.arnSuffix };
        assert.deepEqual(alarmNamed(run, `${clusterName}-${name}-healthy-hosts-low`).inputs.dimensions, dims);
        assert.deepEqual(alarmNamed(run, `${clusterName}-${name}-unhealthy-hosts`).inputs.dimensions, dims);
      }
    });

    it("chooses missing-data handling and periods deliberately on every alarm", () => {
      for (const alarm of run.mine(ALARM)) {
        assert.ok(["breaching", "notBreaching", "missing"].includes(String(alarm.inputs.treatMissingData)), `${alarm.inputs.name}`);
        const periods = alarm.inputs.metricQueries ? (alarm.inputs.metricQueries as RecordedQuery[]).flatMap((q) => (q.metric ? [q.metric.period] : [])) : [alarm.inputs.period as number];
        for (const period of periods) assert.equal(period % 60, 0, `${alarm.inputs.name} period ${period}`);
        assert.ok(Number(alarm.inputs.datapointsToAlarm) <= Number(alarm.inputs.evaluationPeriods), `${alarm.inputs.name}`);
      }
      assert.equal(alarmNamed(run, `${run.config.clusterName}-leader-count`).inputs.treatMissingData, "breaching", "no is_leader from anyone counts as no leader");
    });

    it("counts leaders as the SUM of every slot's is_leader and alarms when it is not exactly 1", () => {
      const alarm = alarmNamed(run, `${run.config.clusterName}-leader-count`);
      const queries = alarm.inputs.metricQueries as RecordedQuery[];
      const perSlot = queries.filter((q) => q.metric);
      assert.deepEqual(perSlot.map((q) => q.metric!.dimensions!.Slot), run.config.topology.slots.map((s) => String(s.slot)));
      assert.ok(perSlot.every((q) => q.metric!.metricName === METRICS.isLeader && q.metric!.stat === "Maximum" && q.returnData === false));
      assert.equal(queries.find((q) => q.id === "leaders")?.expression, `SUM([${perSlot.map((q) => q.id).join(", ")}])`);
      assert.deepEqual(queries.filter((q) => q.returnData).map((q) => q.expression), ["ABS(leaders - 1)"]);
      assert.equal(alarm.inputs.comparisonOperator, "GreaterThanThreshold");
      assert.equal(alarm.inputs.threshold, 0);
    });

    it("fires 'master tier at risk' when one more failure would lose quorum", () => {
      const { clusterName, topology } = run.config;
      const atRisk = run.mine(COMPOSITE).find((c) => c.inputs.alarmName === `${clusterName}-master-tier-at-risk`);
      const rule = String(atRisk?.inputs.alarmRule);
      assert.match(rule, new RegExp(`ALARM\\("${clusterName}-leader-count"\\)`));
      for (const g of TARGET_GROUPS) assert.ok(rule.includes(`ALARM("${clusterName}-${g}-healthy-hosts-low")`));
      const slotTerms = rule.split(" OR ").filter((t) => t.includes("-down"));
      const down = Math.max(1, topology.toleratedFailures);
      assert.ok(slotTerms.every((t) => (t.match(/-down"\)/g) ?? []).length === down), `each term needs ${down} slot(s) down: ${rule}`);
      const n = topology.slots.length;
      const choose = (k: number): number => (k === 0 ? 1 : (choose(k - 1) * (n - k + 1)) / k);
      assert.equal(slotTerms.length, choose(down));
      assert.ok(rule.length <= 10240, "within CloudWatch's rule length");
      const slotDown = run.mine(COMPOSITE).filter((c) => String(c.inputs.alarmName).endsWith("-down"));
      assert.equal(slotDown.length, n);
      for (const c of slotDown) assert.match(String(c.inputs.alarmRule), /^ALARM\("[^"]+-master-silent"\) OR ALARM\("[^"]+-status-check"\) OR ALARM\("[^"]+-no-instance"\)$/);
    });

    it("charts only metrics the pipeline or AWS publishes, on a grid without overlaps", () => {
      const charted = dashboardMetrics(run);
      for (const name of [...charted, ...alarmMetrics(run)]) assert.ok(PUBLISHED_METRICS.has(name), `${name} is not published`);
      for (const name of [METRICS.isLeader, METRICS.leaderChanges, METRICS.receivedHeartbeats, METRICS.volumeLayoutWritable]) {
        assert.ok(charted.has(`SeaweedFS/Master/${name}`), name);
      }
      const { widgets } = dashboardOf(run);
      const cells = new Set<string>();
      for (const w of widgets) {
        for (let x = w.x; x < w.x + w.width; x++) for (let y = w.y; y < w.y + w.height; y++) {
          assert.ok(!cells.has(`${x},${y}`), `widgets overlap at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
        assert.ok(w.x + w.width <= 24);
      }
      const alarmWidget = widgets.find((w) => w.type === "alarm");
      assert.equal((alarmWidget?.properties.alarms as string[]).length, run.mine(ALARM).length + 1);
    });
  });
}

describe("monitoring thresholds and subscriptions come from the stack config", () => {
  it("uses the configured thresholds, windows and endpoints", async () => {
    const run = await monitoringGraph("staging", {
      alarmDiskUsedPercent: "70",
      alarmMemoryUsedPercent: "85",
      alarmLeaderCountMinutes: "5",
      alarmLeaderChangesMax: "4",
      alarmLeaderChangesWindowMinutes: "30",
      alarmHealthyHostsBelow: "3",
      alarmUnhealthyHostsAbove: "1",
      alarmInstanceMissingMinutes: "7",
      alarmEmails: JSON.stringify(["storage-oncall@example.com"]),
      alarmHttpsEndpoints: JSON.stringify(["https://events.example.com/hook"]),
      logRetentionDays: "90",
    });
    const name = (id: string) => alarmNamed(run, `${run.config.clusterName}-${id}`).inputs;
    assert.equal(name("slot-0-data-disk").threshold, 70);
    assert.equal(name("slot-2-memory").threshold, 85);
    assert.equal(name("leader-count").evaluationPeriods, 5);
    assert.equal(name("leader-flapping").threshold, 4);
    assert.ok((name("leader-flapping").metricQueries as RecordedQuery[]).every((q) => !q.metric || q.metric.period === 1800));
    const elections = dashboardOf(run).widgets.find((w) => String(w.properties.title).startsWith("Leader elections"));
    assert.equal(elections?.properties.period, 1800, "the dashboard charts elections over the alarm's window");
    assert.equal(name("http-healthy-hosts-low").threshold, 3);
    assert.equal(name("grpc-unhealthy-hosts").threshold, 1);
    assert.equal(name("slot-1-no-instance").evaluationPeriods, 7);
    const subscriptions = run.mine("aws:sns/topicSubscription:TopicSubscription").map((s) => `${s.inputs.protocol}:${s.inputs.endpoint}`);
    assert.deepEqual(subscriptions.sort(), ["email:storage-oncall@example.com", "https:https://events.example.com/hook"]);
    const journal = run.mine("aws:cloudwatch/logGroup:LogGroup").find((g) => String(g.inputs.name).endsWith("master-journal"));
    assert.equal(journal?.inputs.retentionInDays, 90);
  });

  it("guards no watchdog when it is off, and no change watcher with backupOnChangeSeconds 0", async () => {
    const run = await monitoringGraph("dev", { watchdogEnabled: "false", backupOnChangeSeconds: "0" });
    const units = run.mine(ALARM).map((a) => String(a.inputs.name)).filter((n) => n.endsWith("-not-running"));
    assert.deepEqual(units.sort(), run.config.topology.slots.map((s) => `${run.config.clusterName}-slot-${s.slot}-backup-timer-not-running`).sort());
  });

  it("alarms below the quorum by default", async () => {
    const run = await monitoringGraph("prod");
    assert.equal(alarmNamed(run, "seaweedfs-prod-http-healthy-hosts-low").inputs.threshold, run.config.topology.quorum);
  });
});
