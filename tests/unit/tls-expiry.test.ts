/**
 * The certificate-expiry alarms, by their own rule math: on AWS the host's publisher run on a real certificate (its
 * datapoint is the days left), then prod's rendered per-slot CloudWatch alarm replayed on such datapoints
 * (tests/support/alarmMath.ts); on Kubernetes the PrometheusRule's expression evaluated at given times, for the
 * program's CA and for cert-manager's gauge.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderTlsExpiryScript } from "../../infra/aws/host/tlsExpiry";
import { METRIC_NAMESPACE, TLS_EXPIRY_METRIC } from "../../infra/aws/monitoring/metrics";
import { TLS_EXPIRY_PERIOD_SECONDS } from "../../infra/aws/monitoring/tlsExpiry";
import { tlsExpiryRule } from "../../infra/kubernetes/tls";
import { projectKeys, KubernetesConfig } from "../../infra/config";
import { parseStackConfig } from "../../infra/platforms";
import { createCertificateAuthority, issueCertificate } from "../../infra/tls/x509";
import { readStackConfig } from "../../tools/lib/stackFiles";
import { runAnyStack } from "../../tools/lib/plan";
import { evaluateAlarm, RenderedAlarm, Sample } from "../support/alarmMath";
import { monitoringGraph, MonitoringRun } from "../support/monitoringGraph";

const DAY = 86_400;
const HOUR_MS = 3_600_000;

describe("the AWS host's expiry publisher", () => {
  it("publishes the days left on the certificate it serves with, for its slot", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-expiry-"));
    const ca = await createCertificateAuthority({ commonName: "c CA 1", validityDays: 60 });
    const issuedAt = Date.now();
    const cert = await issueCertificate({ ca, commonName: "c-master", usages: ["serverAuth", "clientAuth"], validityDays: 20, now: new Date(issuedAt) });
    fs.writeFileSync(path.join(dir, "master.crt"), cert.certPem);
    fs.mkdirSync(path.join(dir, "bin"));
    // A stand-in `aws` that records its arguments.
    fs.writeFileSync(path.join(dir, "bin", "aws"), `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/aws.args"\n`, { mode: 0o755 });
    const script = path.join(dir, "publish.sh");
    fs.writeFileSync(script, renderTlsExpiryScript({ namespace: METRIC_NAMESPACE, metricName: TLS_EXPIRY_METRIC, dimensions: { ClusterName: "c", Slot: "3" }, certificate: path.join(dir, "master.crt") }), { mode: 0o755 });
    execFileSync("bash", [script], { env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}` } });
    const args = fs.readFileSync(path.join(dir, "aws.args"), "utf8").trim().split("\n");
    assert.deepEqual(args.slice(0, 9), ["cloudwatch", "put-metric-data", "--namespace", METRIC_NAMESPACE, "--metric-name", TLS_EXPIRY_METRIC, "--dimensions", "ClusterName=c,Slot=3", "--value"]);
    const expected = (new Date(cert.notAfter).getTime() - Date.now()) / 1000 / DAY;
    assert.ok(Math.abs(Number(args[9]) - expected) < 0.01, `published ${args[9]} days, the certificate has ${expected.toFixed(3)} left`);
    assert.ok(Math.abs(Number(args[9]) - 20) < 0.02);
  });

  it("fails (no datapoint) when it cannot read the certificate", () => {
    const script = renderTlsExpiryScript({ namespace: METRIC_NAMESPACE, metricName: TLS_EXPIRY_METRIC, dimensions: { Slot: "0" }, certificate: "/nonexistent/master.crt" });
    assert.throws(() => execFileSync("bash", ["-c", script], { stdio: "pipe" }));
  });
});

describe("prod's per-slot expiry alarm (CloudWatch math)", () => {
  let run: MonitoringRun;
  let alarm: RenderedAlarm;
  before(async () => {
    run = await monitoringGraph("prod");
    const found = run.of("aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.inputs.name === "seaweedfs-prod-slot-2-tls-expiry");
    assert.ok(found, "prod has a TLS expiry alarm for slot 2");
    alarm = found.inputs as unknown as RenderedAlarm;
  });
  const hourly = (values: (number | undefined)[], slot = 2): Sample[] =>
    values.flatMap((value, hour) => (value === undefined ? [] : [{ t: hour * HOUR_MS + 60_000, slot, metric: TLS_EXPIRY_METRIC, value }]));

  it("fires once two hourly datapoints are below tlsExpiryAlarmDays (14), not at 14 itself", () => {
    const result = evaluateAlarm(alarm, hourly([15, 14, 14, 13.99, 13.98, 13.97]), 0, TLS_EXPIRY_PERIOD_SECONDS * 1000, 6);
    assert.deepEqual(result.breaching, [false, false, false, true, true, true]);
    assert.equal(result.firstAlarmPeriod, 4);
  });

  it("stays quiet on a healthy certificate, and watches its own slot only", () => {
    assert.equal(evaluateAlarm(alarm, hourly([300, 299.96, 299.92, 299.88]), 0, HOUR_MS, 4).firstAlarmPeriod, -1);
    assert.equal(evaluateAlarm(alarm, [...hourly([300, 300, 300]), ...hourly([1, 1, 1], 0)], 0, HOUR_MS, 3).firstAlarmPeriod, -1);
  });

  it("fires when the host reported nothing for two hours (expiry unknown)", () => {
    assert.equal(evaluateAlarm(alarm, hourly([300, undefined, undefined]), 0, HOUR_MS, 3).firstAlarmPeriod, 2);
  });

  it("exists per slot with the alarm topic, and the host installs the publisher from the agent's setup script", () => {
    const expiry = run.of("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => String(a.inputs.name).endsWith("-tls-expiry"));
    assert.deepEqual(expiry.map((a) => a.inputs.name), [0, 1, 2, 3, 4].map((s) => `seaweedfs-prod-slot-${s}-tls-expiry`));
    for (const a of expiry) assert.ok((a.inputs.alarmActions as unknown[]).length === 1);
    const setup = run.of("aws:ssm/parameter:Parameter").find((p) => String(p.inputs.name).endsWith("/slot-4/setup-script"))!;
    assert.match(String(setup.inputs.insecureValue), /--dimensions 'ClusterName=seaweedfs-prod,Slot=4'/);
    assert.match(String(setup.inputs.insecureValue), /systemctl enable --now seaweedfs-tls-expiry\.timer/);
  });

  it("is absent on dev (TLS off)", async () => {
    const dev = await monitoringGraph("dev");
    assert.equal(dev.of("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => String(a.inputs.name).endsWith("-tls-expiry")).length, 0);
    assert.ok(!dev.of("aws:ssm/parameter:Parameter").some((p) => String(p.inputs.insecureValue ?? "").includes("seaweedfs-tls-expiry")));
  });
});

/** A PromQL alert expression evaluated at `now` (unix seconds), with `series` standing for each aggregation. */
function promql(expr: string, now: number, series?: number): boolean {
  const arithmetic = expr.replace(/min\([^()]*\{[^}]*\}\)/g, () => String(series)).replace(/time\(\)/g, String(now));
  assert.match(arithmetic, /^[\d\s.()+\-*/<]+$/, `not modelled: ${arithmetic}`);
  const [left, right] = arithmetic.split("<");
  return (Function(`return (${left});`)() as number) < Number(right);
}

describe("k8s-prod's expiry alert (PromQL)", () => {
  const config = (overrides: Record<string, string> = {}) =>
    parseStackConfig({ ...projectKeys(readStackConfig("k8s-prod").config), ...overrides }, { stack: "k8s-prod" }) as KubernetesConfig;
  const exprOf = (manifest: Record<string, any>) => manifest.spec.groups[0].rules[0].expr as string; // eslint-disable-line @typescript-eslint/no-explicit-any

  it("with the program's CA: fires from 14 days before the earliest master certificate's expiry", () => {
    const notAfter = 2_000_000_000;
    const expr = exprOf(tlsExpiryRule(config(), notAfter));
    assert.equal(promql(expr, notAfter - 15 * DAY), false);
    assert.equal(promql(expr, notAfter - 14 * DAY), false, "exactly 14 days left is not yet below");
    assert.equal(promql(expr, notAfter - 14 * DAY + 1), true);
    assert.equal(promql(expr, notAfter + DAY), true, "expired");
  });

  it("with cert-manager: reads cert-manager's gauge of the five masters' Certificates", () => {
    const expr = exprOf(tlsExpiryRule(config({ k8sCertManagerIssuer: "ClusterIssuer/ca" })));
    assert.match(expr, /certmanager_certificate_expiration_timestamp_seconds\{namespace="seaweedfs", name=~"seaweedfs-master-0-tls\|.*\|seaweedfs-master-4-tls"\}/);
    assert.equal(promql(expr, 1_000_000, 1_000_000 + 20 * DAY), false);
    assert.equal(promql(expr, 1_000_000, 1_000_000 + 13 * DAY), true);
  });

  it("is registered on k8s-prod (Prometheus Operator) with the earliest master notAfter of the stack", async () => {
    const run = await runAnyStack("k8s-prod");
    const rule = run.resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule" && (r.inputs as { metadata: { name: string } }).metadata.name === "seaweedfs-master-tls-expiry");
    assert.ok(rule);
    // Every mocked certificate expires at MOCK_TLS_NOT_AFTER (2030-01-01).
    assert.match(exprOf(rule.inputs), /^\(1893456000 - time\(\)\) \/ 86400 < 14$/);
  });
});
