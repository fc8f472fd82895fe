/**
 * The boot steps that run after the master has started, run for real on a stand-in host (tests/support/bootHost.ts:
 * the AWS CLI against a local moto server, host commands as recorded stubs, `logger` writing the journal). Each step
 * runs strictly and on its own: a step that fails in the middle and a step that fails once are both seen in the
 * journal and retried, the later steps still run, and the boot ends non-zero naming the step that kept failing.
 * Then the dev stack's own slot-0 user data and SSM parameters, as the program registers them, install the watchdog,
 * the backup timer and the unit heartbeat before the CloudWatch agent, keep them when the agent's `dnf install`
 * fails, install the agent only while it is missing, and the heartbeat's PutMetricData (1 per running unit, 0 for a
 * stopped one) is accepted by moto and read back. moto checks no IAM and no CloudWatch alarm evaluation.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderBootScript } from "../../infra/aws/bootScript";
import { HOST_PATHS } from "../../infra/aws/host/paths";
import { WATCHDOG_HOST } from "../../infra/aws/host/watchdogUnit";
import { BACKUP_UNITS } from "../../infra/aws/host/backupNames";
import { HEARTBEAT_HOST } from "../../infra/aws/monitoring/heartbeat";
import { AGENT_PATHS } from "../../infra/aws/monitoring/agentConfig";
import { slotAddresses } from "../../infra/aws/placement";
import { clusterSettingsOf, renderClusterMasters } from "../../infra/seaweed/cluster";
import type { SeaweedConfig } from "../../infra/platforms";
import { MOCK_SECRET_VALUE } from "../../tools/lib/mockCloud";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { runStack } from "../../tools/lib/plan";
import { BootHost } from "../support/bootHost";
import { BootSlot, startBootSlot } from "../support/bootSlot";
import { plain } from "../support/monitoringGraph";
import { decodeUserData } from "../../infra/aws/userData";

const FAKE_WEED = "#!/bin/sh\necho 'version 8000GB 4.44 fake linux amd64'\n";
const SHA = crypto.createHash("sha256").update(FAKE_WEED).digest("hex");

let config: SeaweedConfig;
let resources: RecordedResource[];
let slot: BootSlot;
let host: BootHost;

before(async () => {
  const run = await runStack("dev");
  config = run.config;
  resources = run.resources;
  const [slot0] = config.topology.slots;
  slot = await startBootSlot({ clusterName: config.clusterName, slot: 0, az: slot0.az, ip: slot0.ip, subnetCidr: slot0.subnet.cidr });
  // Every SSM parameter of the stack, as the program registers it (the JWT key's is the mocked secret).
  for (const p of resources.filter((r) => r.type === "aws:ssm/parameter:Parameter")) {
    const value = plain<string>(p.inputs.value) ?? String(p.inputs.insecureValue);
    await slot.moto.call("ssm", "put_parameter", { Name: String(p.inputs.name), Type: String(p.inputs.type), Value: value });
  }
  const artifact = /^s3:\/\/([^/]+)\/(.+)$/.exec(config.seaweedBinaryUrl)!;
  await slot.moto.call("s3", "create_bucket", { Bucket: artifact[1] });
  await slot.moto.call("s3", "put_object", { Bucket: artifact[1], Key: artifact[2], Body: FAKE_WEED });
  host = await slot.launch("a");
});

after(async () => {
  await slot?.stop();
});

/** A boot script of dev's slot 0 (the fake weed's checksum) whose steps are `steps`, retried without waiting. */
function scriptWith(steps: { name: string; parameter: string }[]): string {
  const [slot0] = config.topology.slots;
  return renderBootScript({
    clusterName: config.clusterName,
    slot: { slot: 0, az: slot0.az, ip: slot0.ip, subnetCidr: slot0.subnet.cidr },
    masterArgs: renderClusterMasters(slotAddresses(config.topology.slots), clusterSettingsOf(config), () => HOST_PATHS.mdir)[0].args,
    weed: { url: config.seaweedBinaryUrl, sha256: SHA, version: config.seaweedVersion },
    jwtParameterName: `/seaweed-infra/${config.clusterName}/jwt-signing-key`,
    recoveryHoldParameter: `/seaweed-infra/${config.clusterName}/slots/0/recovery-hold`,
    attachTimeoutSeconds: 60,
    pollSeconds: 0.5,
    steps,
    stepRetrySeconds: 0,
  });
}

/** The journal lines of the boot (`logger -t seaweedfs-boot`), without the tag. */
function bootJournal(): string[] {
  return host.journal().split("\n").filter((l) => l.startsWith("seaweedfs-boot: slot 0: ")).map((l) => l.slice("seaweedfs-boot: slot 0: ".length));
}

/** Asserts `lines` holds each pattern, in this order (other lines may come between). */
function inOrder(lines: readonly string[], patterns: readonly RegExp[]): void {
  let at = 0;
  for (const pattern of patterns) {
    const found = lines.findIndex((l, i) => i >= at && pattern.test(l));
    assert.ok(found >= 0, `no line matching ${pattern} after line ${at} of:\n${lines.join("\n")}`);
    at = found + 1;
  }
}

describe("boot steps", () => {
  it("run strictly and on their own: a step failing in the middle and one failing once are retried and logged, the later ones still run", async () => {
    const log = '>>"${ROOT:-}/steps.log"';
    const steps: Record<string, string> = {
      first: `echo first ${log}`,
      // Fails in the middle, every time: nothing after `false` may run.
      broken: `echo broken-start ${log}\nfalse\necho broken-after-false ${log}`,
      // Fails on its first try only (a repository or API blip).
      flaky: `n=$(cat "\${ROOT:-}/flaky.tries" 2>/dev/null || echo 0)\necho $((n + 1)) >"\${ROOT:-}/flaky.tries"\n[ "$n" -ge 1 ]\necho flaky-done ${log}`,
      last: `echo last ${log}`,
    };
    const parameter = (name: string) => `/seaweed-infra/${config.clusterName}/test-steps/${name}`;
    for (const [name, text] of Object.entries(steps)) await slot.moto.call("ssm", "put_parameter", { Name: parameter(name), Type: "String", Value: text });
    const run = await host.boot(scriptWith(Object.keys(steps).map((name) => ({ name, parameter: parameter(name) }))));

    assert.equal(run.code, 1, "the boot reports the step that kept failing");
    assert.equal(host.read("/steps.log"), "first\nbroken-start\nbroken-start\nbroken-start\nflaky-done\nlast\n");
    inOrder(bootJournal(), [
      /^step first done$/,
      /^step broken failed \(exit 1, attempt 1 of 3\); retrying in 0 s$/,
      /^step broken failed \(exit 1, attempt 2 of 3\); retrying in 0 s$/,
      /^STEP FAILED: broken \(exit 1, attempt 3 of 3\); going on with the next steps$/,
      /^step flaky failed \(exit 1, attempt 1 of 3\); retrying in 0 s$/,
      /^step flaky done$/,
      /^step last done$/,
      /^FATAL: boot steps failed: broken; the master runs, a reboot retries them$/,
    ]);
    const started = run.calls.findIndex((c) => /^systemctl (re)?start seaweedfs-master\.service$/.test(c));
    const firstFetch = run.calls.findIndex((c) => c.includes(parameter("first")));
    assert.ok(started >= 0 && started < firstFetch, "the steps run after the master has started");
    assert.ok(host.isActive(HOST_PATHS.unitName), "a failed step leaves the master running");
    for (const text of [run.stderr, host.journal(), ...run.calls]) assert.ok(!text.includes(MOCK_SECRET_VALUE), "the JWT key leaks");
  });
});

describe("the dev stack's own boot steps on slot 0", () => {
  let userData: string;
  before(() => {
    const lt = resources.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.name === `${config.topology.slots[0].name}-lt`)!;
    userData = decodeUserData(lt.inputs.userData);
    assert.ok(userData.includes(config.seaweedBinarySha256) && userData.includes("STEP_RETRY_SECONDS='10'"));
    // The fake weed's checksum, and retries without waiting; nothing else of the recorded script changes.
    userData = userData.replace(config.seaweedBinarySha256, SHA).replace("STEP_RETRY_SECONDS='10'", "STEP_RETRY_SECONDS='0'");
  });

  it("pass shellcheck, each as the strict bash that runs it, with the scripts they install", () => {
    const steps = [...userData.matchAll(/^ssm_step ([a-z-]+) '([^']+)'$/gm)];
    assert.deepEqual(steps.map((m) => m[1]), ["watchdog", "backup", "verify-restore", "heartbeat", "monitoring"], "slot 0 also installs the restore verifier");
    const stepNames = steps.map((m) => m[2]);
    const texts = stepNames.map((name) => String(resources.find((r) => r.type === "aws:ssm/parameter:Parameter" && r.inputs.name === name)?.inputs.insecureValue));
    const heartbeat = /<<'SEAWEEDFS_HEARTBEAT'\n(#!\/bin\/bash\n[\s\S]*?)SEAWEEDFS_HEARTBEAT/.exec(texts.join("\n"))?.[1];
    assert.ok(heartbeat, "the heartbeat script");
    for (const [i, text] of [...texts.map((t) => `#!/bin/bash\nset -euo pipefail\n${t}`), heartbeat].entries()) {
      const file = path.join(slot.work, `step-${i}.sh`);
      fs.writeFileSync(file, text);
      const result = BootHost.shellcheck(file);
      assert.equal(result.status, 0, `${stepNames[i] ?? "heartbeat script"}:\n${result.output}`);
    }
  });

  it("guard the master first: the watchdog, the backup timer and the heartbeat run even when the agent's dnf install keeps failing", async () => {
    host.failDnf(3);
    const earlier = bootJournal().length;
    const run = await host.boot(userData);
    assert.equal(run.code, 1);
    inOrder(bootJournal().slice(earlier), [
      /^step watchdog done$/,
      /^step backup done$/,
      /^step heartbeat done$/,
      /^step monitoring failed \(exit 1, attempt 1 of 3\)/,
      /^step monitoring failed \(exit 1, attempt 2 of 3\)/,
      /^STEP FAILED: monitoring \(exit 1, attempt 3 of 3\)/,
      /^FATAL: boot steps failed: monitoring;/,
    ]);
    for (const unit of [WATCHDOG_HOST.unitName, BACKUP_UNITS.timer, HEARTBEAT_HOST.timer]) assert.ok(host.isActive(unit), `${unit} is running`);
    assert.equal(run.calls.filter((c) => c.startsWith("dnf ")).length, 3);
    assert.ok(host.exists(WATCHDOG_HOST.script) && host.exists(BACKUP_UNITS.script) && host.exists(HEARTBEAT_HOST.script));
  });

  it("install the CloudWatch agent once, then find it on every later boot", async () => {
    const first = await host.boot(userData);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.calls.filter((c) => c.startsWith("dnf ")), ["dnf install -y amazon-cloudwatch-agent"]);
    assert.ok(first.calls.some((c) => c.startsWith(`amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c ssm:/seaweed-infra/${config.clusterName}/cloudwatch-agent/slot-0/agent-config`)), first.calls.join("\n"));
    assert.ok(host.exists(AGENT_PATHS.ctl));
    const again = await host.boot(userData);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(again.calls.filter((c) => c.startsWith("dnf ")), [], "no repository is needed once the agent is installed");
    assert.equal(bootJournal().at(-1), "boot finished");
  });

  it("publish a heartbeat per guarded unit that moto accepts: 1 while it runs, 0 once it stopped", async () => {
    // What the slot's alarm for each unit reads: its namespace, metric and dimensions, as the program registers them.
    const watched = (unit: string) => {
      const alarm = resources.find((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.inputs.name === `${config.clusterName}-slot-0-${unit}-not-running`);
      assert.ok(alarm, `slot 0's ${unit} alarm`);
      return alarm.inputs as { namespace: string; metricName: string; dimensions: Record<string, string> };
    };
    const sample = async (unit: string, dimensions = watched(unit).dimensions) => {
      const now = Date.now();
      const { Datapoints } = await slot.moto.call("cloudwatch", "get_metric_statistics", {
        Namespace: watched("watchdog").namespace,
        MetricName: watched("watchdog").metricName,
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
        StartTime: new Date(now - 600_000).toISOString(),
        EndTime: new Date(now + 600_000).toISOString(),
        Period: 1200,
        Statistics: ["Minimum", "Maximum", "SampleCount"],
      });
      return Datapoints as { Minimum: number; Maximum: number; SampleCount: number }[];
    };
    const beat = await host.runInstalled(HEARTBEAT_HOST.script);
    assert.equal(beat.code, 0, beat.stderr);
    assert.deepEqual((await sample("watchdog")).map((d) => [d.SampleCount, d.Minimum]), [[1, 1]]);
    assert.deepEqual((await sample("backup-timer")).map((d) => [d.SampleCount, d.Minimum]), [[1, 1]]);
    assert.deepEqual((await sample("backup-watch")).map((d) => [d.SampleCount, d.Minimum]), [[1, 1]]);
    host.stopUnit(WATCHDOG_HOST.unitName);
    const stopped = await host.runInstalled(HEARTBEAT_HOST.script);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.deepEqual((await sample("watchdog")).map((d) => [d.SampleCount, d.Minimum, d.Maximum]), [[2, 0, 1]], "the stopped watchdog reads 0");
    assert.deepEqual((await sample("backup-timer")).map((d) => [d.SampleCount, d.Minimum]), [[2, 1]]);
    assert.deepEqual(await sample("watchdog", { ...watched("watchdog").dimensions, Unit: "nothing" }), [], "moto filters by the dimensions (negative control)");
  });
});
