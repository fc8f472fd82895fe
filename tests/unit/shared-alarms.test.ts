/**
 * One definition of the alarm kinds and dashboard panels (infra/seaweed/alarms.ts, dashboard.ts) behind both
 * platforms: for every shared kind, the CloudWatch alarm of prod and the PrometheusRule alert of k8s-prod say the
 * same sentence with the same runbook (both stacks use the default thresholds), and both dashboards carry the shared
 * panel titles. Read from the resources each program registers under mocks.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { runAnyStack } from "../../tools/lib/plan";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let aws: RecordedResource[];
let k8s: RecordedResource[];
before(async () => {
  aws = (await runAnyStack("prod")).resources;
  k8s = (await runAnyStack("k8s-prod")).resources;
});

/** The text after the subject (`seaweedfs: `, `Slot 0: `, `seaweedfs {{ $labels.pod }}...: `). */
const sentence = (text: string) => text.slice(text.indexOf(": ") + 2);

describe("alarm kinds and panels shared by CloudWatch and Prometheus", () => {
  it("describes every shared kind with the same sentence and runbook on both platforms", () => {
    const cloudWatch = (suffix: string) => aws.find((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.name.endsWith(suffix))!.inputs as Inputs;
    const rules: Inputs[] = (k8s.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule")!.inputs as Inputs).spec.groups[0].rules;
    const prometheus = (kind: string) => rules.find((r) => r.labels.kind === kind)!.annotations.summary as string;
    const pairs: [string, string, RegExp][] = [
      ["-leader-count", "leader-count", /^the number of masters reporting SeaweedFS_master_is_leader = 1 is not exactly 1 .*lost-quorum\.md$/],
      ["-leader-flapping", "leader-flapping", /^more than 2 leader elections within 15 min .*lost-quorum\.md$/],
      ["-slot-0-master-silent", "slot-down", /^no SeaweedFS_master_is_leader sample for 3 min: .*replace-master\.md$/],
      ["-slot-0-data-disk", "data-disk-used", /^the data volume \(raft state\) is more than 80% full; .*replace-master\.md$/],
    ];
    for (const [suffix, kind, expected] of pairs) {
      const fromCloudWatch = sentence(String(cloudWatch(suffix).alarmDescription));
      assert.match(fromCloudWatch, expected, suffix);
      assert.equal(sentence(prometheus(kind)), fromCloudWatch, kind);
    }
    // The slot-down rule waits as long as the CloudWatch alarm counts silent minutes.
    assert.equal(rules.find((r) => r.labels.kind === "slot-down")!.for, "3m");
    assert.equal(cloudWatch("-slot-0-master-silent").evaluationPeriods, 3);
  });

  it("shows the shared panels on the CloudWatch dashboard and the Grafana dashboard", () => {
    const body = JSON.parse((aws.find((r) => r.type === "aws:cloudwatch/dashboard:Dashboard")!.inputs as Inputs).dashboardBody);
    const cloudWatchTitles: string[] = body.widgets.map((w: Inputs) => w.properties.title);
    const grafana = k8s.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && (r.inputs as Inputs).metadata.labels.grafana_dashboard === "1")!.inputs as Inputs;
    const grafanaTitles: string[] = JSON.parse(grafana.data["seaweedfs-masters.json"]).panels.map((p: Inputs) => p.title);
    const shared = ["Leaders (must be 1)", "Leader elections (per 15 min)", "Volume-server heartbeats received", "Writable volumes (leader's layouts)"];
    assert.deepEqual(grafanaTitles.filter((t) => shared.includes(t)), shared);
    assert.deepEqual(cloudWatchTitles.filter((t) => shared.includes(t)), shared);
  });
});
