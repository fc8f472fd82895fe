/**
 * k8s-prod's PrometheusRule judged by Prometheus's own rule engine (promtool test rules) on what real SeaweedFS 4.44
 * masters exposed (tests/support/fixtures/master-metrics.json, recorded by tests/support/recordMasterMetrics.ts:
 * 5 masters through three leader kills), scraped every 15 s as the PodMonitor says, beside the 5 backup sidecars'
 * exporters:
 * - every master crash-looping while the exporters answer: fewer masters than quorum, and each slot down;
 * - the exporters down while the masters run: no master alert (only the backup-age one);
 * - three real failovers within the window: leader flapping, although each new leader's leader_changes series
 *   starts at 1 (SeaweedFS counts a term only on the master that wins it), which increase() never counts.
 * Negative controls: the same timelines with the masters all up raise none of it.
 * The Grafana dashboard's elections panel is evaluated on the same failovers: it must show the three elections.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import type { KubernetesConfig } from "../../infra/config";
import { grafanaDashboard, podMonitor, prometheusRule } from "../../infra/kubernetes/monitoring";
import { stackConfig } from "../../tools/lib/cluster/plan";
import { inputSeries, ScrapeStep, TargetLabels } from "../support/promSeries";
import { testRules } from "../support/promtool";
import { MASTER_METRICS_FIXTURE, MasterMetricsFixture } from "../support/recordMasterMetrics";

const fixture = JSON.parse(fs.readFileSync(MASTER_METRICS_FIXTURE, "utf8")) as MasterMetricsFixture;
const config = stackConfig("k8s-prod") as KubernetesConfig;
const groups = (prometheusRule(config) as { spec: { groups: unknown[] } }).spec.groups;

/**
 * The `job` label Prometheus gives an endpoint's series: what the rendered PodMonitor relabels it to. This is the
 * scrape's side of the test (the rules' inputs), not an expected value: the expectations below are written out.
 */
function jobOf(port: string): string {
  const endpoints = (podMonitor(config) as { spec: { podMetricsEndpoints: { port: string; relabelings: { targetLabel: string; replacement: string }[] }[] } }).spec.podMetricsEndpoints;
  return endpoints.find((e) => e.port === port)!.relabelings.find((r) => r.targetLabel === "job")!.replacement;
}

/** The PodMonitor's targets on k8s-prod: namespace, the endpoint's job, the pod and its address. */
const TARGETS: TargetLabels = {
  master: (slot) => ({ namespace: "seaweedfs", job: jobOf("metrics"), pod: `seaweedfs-master-${slot}`, instance: `10.0.0.${slot + 10}:9327` }),
  exporter: (slot) => ({ namespace: "seaweedfs", job: jobOf("backup-metrics"), pod: `seaweedfs-master-${slot}`, instance: `10.0.0.${slot + 10}:9328` }),
};
const PODS = [0, 1, 2, 3, 4];
/** Steps per minute at the PodMonitor's 15 s interval. */
const PER_MINUTE = 4;

const phase = (name: string) => fixture.phases.find((p) => p.name === name)!;
/** `minutes` of scrapes of one recorded phase, the exporters as given. */
const hold = (minutes: number, masters: readonly (string | null)[], exporters: readonly boolean[] = PODS.map(() => true)): ScrapeStep[] =>
  Array.from({ length: minutes * PER_MINUTE }, () => ({ masters, exporters }));
const steady = phase("steady").expositions;
const allDown = PODS.map(() => null);

const firing = (kind: string, severity: string, labels: Record<string, string> = {}) => ({ exp_labels: { ...labels, kind, severity } });
const slotDown = (slot: number) => firing("slot-down", "warning", { namespace: "seaweedfs", job: "seaweedfs-master", pod: `seaweedfs-master-${slot}`, instance: `10.0.0.${slot + 10}:9327` });

function test(name: string, steps: ScrapeStep[], checks: { at: string; alert: string; alerts: { exp_labels: Record<string, string> }[] }[]) {
  return { name, interval: "15s", input_series: inputSeries(steps, TARGETS), alert_rule_test: checks.map((c) => ({ eval_time: c.at, alertname: c.alert, exp_alerts: c.alerts })) };
}

describe("k8s-prod's PrometheusRule on real masters' series (promtool test rules)", () => {
  it("the fixture holds what it says: 5 real masters, a new leader per failover whose leader_changes starts at 1", () => {
    assert.equal(fixture.masters, 5);
    for (const name of ["failover-1", "failover-2", "failover-3"]) {
      const { leader, expositions } = phase(name);
      assert.equal(expositions.filter((e) => e === null).length, 1, `${name}: one master down`);
      assert.match(expositions[leader]!, /^SeaweedFS_master_is_leader 1$/m);
    }
    assert.match(phase("failover-1").expositions[phase("failover-1").leader]!, /^SeaweedFS_master_leader_changes\{type="[^"]+"\} 1$/m);
  });

  const allMastersDown = test("every master crash-looping (no scrape answers), the 5 backup exporters up", [...hold(4, steady), ...hold(8, allDown)], [
    { at: "4m45s", alert: "SeaweedFSMasterMastersBelowQuorum", alerts: [] },
    { at: "6m", alert: "SeaweedFSMasterMastersBelowQuorum", alerts: [firing("masters-below-quorum", "critical")] },
    { at: "8m", alert: "SeaweedFSMasterSlotDown", alerts: PODS.map(slotDown) },
    { at: "8m", alert: "SeaweedFSMasterLeaderCount", alerts: [firing("leader-count", "critical")] },
  ]);
  const exportersDown = test("the backup exporters down, every master up", [...hold(4, steady), ...hold(8, steady, PODS.map(() => false))], [
    { at: "11m", alert: "SeaweedFSMasterSlotDown", alerts: [] },
    { at: "11m", alert: "SeaweedFSMasterMastersBelowQuorum", alerts: [] },
    { at: "11m", alert: "SeaweedFSMasterLeaderCount", alerts: [] },
    { at: "11m", alert: "SeaweedFSMasterBackupAge", alerts: [firing("backup-age", "warning", { namespace: "seaweedfs", job: "seaweedfs-master-backup" })] },
  ]);
  // A leader Prometheus first sees counts as one election (it cannot tell when it was elected), so the steady phase
  // lasts longer than the window; then 2 min per recorded phase: new leaders at 16m, 20m and 24m (is_leader rises),
  // one master down 2 min each time.
  const failovers = test("three real failovers, 4 minutes apart", [...hold(16, steady), ...fixture.phases.slice(1).flatMap((p) => hold(2, p.expositions))], [
    { at: "23m45s", alert: "SeaweedFSMasterLeaderFlapping", alerts: [] },
    { at: "24m", alert: "SeaweedFSMasterLeaderFlapping", alerts: [firing("leader-flapping", "warning")] },
    { at: "27m", alert: "SeaweedFSMasterSlotDown", alerts: [] },
    { at: "27m", alert: "SeaweedFSMasterLeaderCount", alerts: [] },
    { at: "27m", alert: "SeaweedFSMasterMastersBelowQuorum", alerts: [] },
  ]);

  it("fires below quorum and per slot with every master down and the exporters up; leaves the masters alone when only the exporters are down; counts every real election", async () => {
    const { code, output } = await testRules(groups, [allMastersDown, exportersDown, failovers]);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS/);
  });

  it("the dashboard's elections panel shows the three real elections of the last 15 minutes", async () => {
    const panels = (grafanaDashboard(config) as { panels: { title: string; targets?: { expr: string }[] }[] }).panels;
    const elections = panels.find((p) => p.title.startsWith("Leader elections"))!.targets![0].expr;
    // At 10m the window holds only the steady leader Prometheus first saw (counted once, on the safe side); at 27m
    // (12-27m) the new leaders of 16m, 20m and 24m.
    const { code, output } = await testRules(groups, [{
      name: "elections panel",
      interval: "15s",
      input_series: failovers.input_series,
      promql_expr_test: [
        { expr: elections, eval_time: "10m", exp_samples: [{ labels: "{}", value: 1 }] },
        { expr: elections, eval_time: "27m", exp_samples: [{ labels: "{}", value: 3 }] },
      ],
    }]);
    assert.equal(code, 0, `${elections}\n${output}`);
  });

  it("negative control: with every master up all along, none of those alerts fires (promtool fails the expectations above)", async () => {
    const { code, output } = await testRules(groups, [{ ...allMastersDown, input_series: inputSeries(hold(12, steady), TARGETS) }]);
    assert.equal(code, 1, output);
    assert.match(output, /alertname: SeaweedFSMasterMastersBelowQuorum, time: 6m/);
    assert.match(output, /got:\[\]/);
  });
});
