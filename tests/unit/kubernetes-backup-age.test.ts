/**
 * The Kubernetes backup-age alert and its input: k8s-prod's backup sidecar serves when it started (and, after an
 * upload, when it last uploaded) on its own metrics port, which the PodMonitor scrapes, the NetworkPolicy opens to the
 * monitoring namespace only, and a PrometheusRule judges against twice the backup interval, as the AWS alarm does:
 * its PromQL is evaluated by Prometheus's promtool on written-out timelines, not compared as a string.
 * The sidecar's loop and exporter run here as the ConfigMap holds them (the drill runs the upload script itself).
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { runAnyStack } from "../../tools/lib/plan";
import { testRules } from "../support/promtool";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let prod: RecordedResource[];
let dev: RecordedResource[];
let aws: RecordedResource[];
before(async () => {
  prod = (await runAnyStack("k8s-prod")).resources;
  dev = (await runAnyStack("k8s-dev")).resources;
  aws = (await runAnyStack("prod")).resources;
});

const ofType = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type).map((r) => r.inputs as Inputs);
/** k8s-prod's backup-age rule as rendered. */
const backupRule = (resources: RecordedResource[]): Inputs => {
  const rules: Inputs[] = ofType(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")[0].spec.groups[0].rules;
  const rule = rules.find((r) => r.labels.kind === "backup-age");
  assert.ok(rule, "no backup-age rule");
  return rule;
};

describe("backup age on Kubernetes", () => {
  it("alerts after twice the interval without an upload (or a sidecar start), like the AWS tier's alarm", () => {
    const rule = backupRule(prod);
    assert.equal(rule.for, "5m");
    assert.match(rule.annotations.summary, /no successful metadata backup for 30 min/);
    // The prod stack's CloudWatch alarm has the same 15-minute interval and the same limit.
    const alarm = ofType(aws, "aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => String(a.name).endsWith("-backup-age"))!;
    assert.equal(alarm.period, 1800);
  });

  describe("k8s-prod's rule evaluated by Prometheus (promtool test rules): 15-min interval, so 30 min, then 5 min pending", () => {
    const ALERT = "SeaweedFSMasterBackupAge";
    const firing = [{ exp_labels: { severity: "warning", kind: "backup-age" } }];
    /** A series of k8s-prod's backup sidecars' scrape job, on `pod`. */
    const series = (metric: string, pod: number) => `${metric}{namespace="seaweedfs", job="seaweedfs-master-backup", pod="seaweedfs-${pod}"}`;
    const started = (pod: number) => ({ series: series("seaweedfs_master_backup_sidecar_start_timestamp_seconds", pod), values: "0x120" });
    const uploads = (pod: number, values: string) => ({ series: series("seaweedfs_master_backup_last_success_timestamp_seconds", pod), values });
    const groups = () => ofType(prod, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")[0].spec.groups;
    const scenarios = [
      {
        name: "the leader uploads every 15 min (the others' sidecars run, and an old leader's last upload stays behind): quiet",
        interval: "1m",
        input_series: [started(0), started(1), started(2), uploads(0, "_x14 900x120"), uploads(1, "_x29 1800x14 2700x14 3600x14 4500x14 5400x14 6300x14")],
        alert_rule_test: ["10m", "40m", "75m", "100m"].map((t) => ({ eval_time: t, alertname: ALERT, exp_alerts: [] })),
      },
      {
        name: "no upload since the sidecars started at 0: over 30 min from 31m, firing 5 min later",
        interval: "1m",
        input_series: [started(0), started(1), started(2)],
        alert_rule_test: [
          { eval_time: "35m", alertname: ALERT, exp_alerts: [] },
          { eval_time: "36m", alertname: ALERT, exp_alerts: firing },
        ],
      },
      {
        name: "uploads stop after the one at 15 min: over 30 min from 46m, firing from 51m",
        interval: "1m",
        input_series: [started(0), started(1), started(2), uploads(0, "_x14 900x120")],
        alert_rule_test: [
          { eval_time: "50m", alertname: ALERT, exp_alerts: [] },
          { eval_time: "51m", alertname: ALERT, exp_alerts: firing },
        ],
      },
      {
        name: "no sidecar scraped at all (the masters are): absent, firing after 5 min",
        interval: "1m",
        input_series: [{ series: `SeaweedFS_master_is_leader{namespace="seaweedfs", job="seaweedfs-master", pod="seaweedfs-0"}`, values: "1x120" }],
        alert_rule_test: [
          { eval_time: "4m", alertname: ALERT, exp_alerts: [] },
          { eval_time: "5m", alertname: ALERT, exp_alerts: [{ exp_labels: { ...firing[0].exp_labels, namespace: "seaweedfs", job: "seaweedfs-master-backup" } }] },
        ],
      },
    ];

    it("fires exactly when the written-out timelines say", async () => {
      const { code, output } = await testRules(groups(), scenarios);
      assert.equal(code, 0, output);
      assert.match(output, /SUCCESS/);
    });

    it("negative control: promtool fails the same timelines with one expectation flipped (the alert at 36m called quiet)", async () => {
      const flipped = structuredClone(scenarios);
      flipped[1].alert_rule_test[1].exp_alerts = [];
      const { code, output } = await testRules(groups(), flipped);
      assert.equal(code, 1, output);
      assert.match(output, new RegExp(`alertname: ${ALERT}, time: 36m`));
    });
  });

  it("scrapes the sidecar's port and lets only the monitoring namespace reach it; k8s-dev (no backups) has neither", () => {
    const [monitor] = ofType(prod, "kubernetes:monitoring.coreos.com/v1:PodMonitor");
    assert.deepEqual(monitor.spec.podMetricsEndpoints[1], { port: "backup-metrics", path: "/metrics", interval: "60s", relabelings: [{ targetLabel: "job", replacement: "seaweedfs-master-backup" }] });
    const pod = ofType(prod, "kubernetes:apps/v1:StatefulSet")[0].spec.template.spec;
    assert.deepEqual(pod.containers[1].ports, [{ name: "backup-metrics", containerPort: 9328 }]);
    const monitoringIngress = (resources: RecordedResource[]) =>
      ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")[0].spec.ingress.find((i: Inputs) => i.from[0].namespaceSelector);
    assert.deepEqual(monitoringIngress(prod).ports.map((p: Inputs) => p.port), [9327, 9328]);
    assert.deepEqual(monitoringIngress(dev).ports.map((p: Inputs) => p.port), [9327]);
  });

  describe("the sidecar's loop and exporter, as the ConfigMap holds them", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backup-metrics-"));
    // A loopback address of its own, so the fixed port cannot meet another test's listener; 127.252.* is outside the
    // networks drill clusters pick (32-231, tools/lib/cluster/loopback.ts), which may run beside.
    const ip = `127.252.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
    let loop: ChildProcess | undefined;
    let started: number;
    const metrics = () => fetch(`http://${ip}:9328/metrics`, { signal: AbortSignal.timeout(2000) });

    before(async () => {
      const scripts = ofType(prod, "kubernetes:core/v1:ConfigMap").find((c) => c.metadata.name === "seaweedfs-master-backup")!.data;
      for (const [name, text] of Object.entries(scripts)) fs.writeFileSync(path.join(dir, name), String(text));
      // Only the ConfigMap's mount point changes: the pod mounts it at /etc/seaweedfs-backup.
      fs.writeFileSync(path.join(dir, "loop.sh"), String(scripts["loop.sh"]).replaceAll("/etc/seaweedfs-backup/", `${dir}/`));
      started = Math.floor(Date.now() / 1000);
      loop = spawn("bash", [path.join(dir, "loop.sh")], { env: { PATH: process.env.PATH, POD_IP: ip, SEAWEEDFS_BACKUP_METRICS_DIR: path.join(dir, "metrics") }, detached: true, stdio: "ignore" });
      for (let i = 0; i < 100; i++) {
        if (await metrics().then((r) => r.ok, () => false)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the sidecar's exporter never answered on ${ip}:9328`);
    });
    after(() => {
      if (loop?.pid) process.kill(-loop.pid, "SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("serves the sidecar's start in Prometheus' text format, and no upload before the first one", async () => {
      const answer = await metrics();
      assert.equal(answer.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
      const body = await answer.text();
      const sample = /^seaweedfs_master_backup_sidecar_start_timestamp_seconds (\d+)$/m.exec(body);
      assert.ok(sample, body);
      assert.ok(Number(sample[1]) >= started && Number(sample[1]) <= Date.now() / 1000, `start time ${sample[1]} is not from this run`);
      assert.match(body, /^# TYPE seaweedfs_master_backup_sidecar_start_timestamp_seconds gauge$/m);
      assert.doesNotMatch(body, /last_success/);
    });

    it("adds what the upload script records, and answers 404 off /metrics", async () => {
      fs.writeFileSync(path.join(dir, "metrics", "last_success.prom"), "seaweedfs_master_backup_last_success_timestamp_seconds 1700000000\n");
      assert.match(await (await metrics()).text(), /^seaweedfs_master_backup_last_success_timestamp_seconds 1700000000$/m);
      assert.equal((await fetch(`http://${ip}:9328/`, { signal: AbortSignal.timeout(2000) })).status, 404);
    });
  });
});
