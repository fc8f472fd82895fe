/**
 * The master watchdog as rendered by infra/seaweed/watchdog.ts, run as the real bash script against a stub master
 * process (a child that listens where a master would and answers like one): it kills a process that stops answering
 * only after it has answered once, leaves a healthy one alone, SIGTERMs then SIGKILLs a wedged leader (423 from
 * /cluster/healthz, which no real master can be made to answer on demand), and counts what it did. Also: the AWS
 * program installs, per slot, byte for byte the script the drill runs beside that slot's master, and bad watchdog
 * keys are refused with the key, the value and the fix.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderWatchdogScript, watchdogProbes, WatchdogSettings } from "../../infra/seaweed/watchdog";
import { watchdogParameterName } from "../../infra/aws/watchdog";
import { LocalCluster } from "../../tools/lib/localCluster";
import { runStack } from "../../tools/lib/plan";
import { refusal } from "../support/configRefusal";
import { projectKeys } from "../../infra/config";
import { parseConfig } from "../../infra/platforms";
import { readStackConfig } from "../../tools/lib/stackFiles";
import { spawnStubMaster, StubMasterBehaviour } from "../support/stubMaster";
import { decodeUserData, userDataBytes } from "../../infra/aws/userData";

/** Fast settings so each case takes seconds; the wedged probe still waits SeaweedFS's 5 s lock check + 1 s. */
const FAST: WatchdogSettings = { intervalSeconds: 1, timeoutSeconds: 1, misses: 2, wedgedMisses: 2, termGraceSeconds: 1 };

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "watchdog-test-"));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
  fs.rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  stub: ChildProcess;
  stubExit: Promise<NodeJS.Signals | null>;
  log: () => string;
  kills: () => number;
}

let nextHost = 0;
/** Starts a stub on its own loopback address and the rendered watchdog beside it. */
async function watch(stub: StubMasterBehaviour): Promise<Run> {
  // 127.250.*: outside the networks drill clusters pick (32-231, tools/lib/cluster/loopback.ts), which may run beside.
  const host = `127.250.${process.pid % 200}.${10 + nextHost++}`;
  const port = 9333;
  const proc = spawnStubMaster(host, port, stub, { stdio: "ignore" });
  children.push(proc);
  const stubExit = new Promise<NodeJS.Signals | null>((resolve) => proc.once("exit", (_code, signal) => resolve(signal)));
  // Wait until it listens, as a master would before the watchdog can see it.
  for (let i = 0; i < 50 && !execFileSync("ss", ["-Hltn", `src ${host}:${port}`], { encoding: "utf8" }).trim(); i++) await sleep(100);
  const dir = fs.mkdtempSync(path.join(scratch, "run-"));
  const script = path.join(dir, "watchdog.sh");
  fs.writeFileSync(script, renderWatchdogScript({ host, port }, FAST), { mode: 0o755 });
  const logFile = path.join(dir, "log");
  const out = fs.openSync(logFile, "a");
  const watchdog = spawn("bash", [script], { env: { ...process.env, STATE_DIRECTORY: path.join(dir, "state") }, stdio: ["ignore", out, out] });
  children.push(watchdog);
  return {
    stub: proc,
    stubExit,
    log: () => fs.readFileSync(logFile, "utf8"),
    kills: () => Number(fs.existsSync(path.join(dir, "state", "kills")) ? fs.readFileSync(path.join(dir, "state", "kills"), "utf8") : 0),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function exitWithin(run: Run, ms: number): Promise<NodeJS.Signals | null | "alive"> {
  return Promise.race([run.stubExit, sleep(ms).then(() => "alive" as const)]);
}

describe("master watchdog (rendered script, stub master)", { timeout: 60_000 }, () => {
  it("SIGKILLs a master that answered once and then froze, and counts it", async () => {
    const run = await watch({});
    await sleep(1500);
    run.stub.kill("SIGSTOP");
    // 2 misses of 1 s timeout + 1 s interval, after at most one interval: well within 8 s.
    assert.equal(await exitWithin(run, 8000), "SIGKILL", run.log());
    assert.match(run.log(), /action=kill signal=KILL pid=\d+ kills=1 reason=no answer from \/healthz/);
    assert.equal(run.kills(), 1);
  });

  it("never kills a master that has not answered since it started (booting), nor a healthy one", async () => {
    const [booting, healthy] = await Promise.all([watch({ silent: true }), watch({})]);
    assert.equal(await exitWithin(booting, 6000), "alive", booting.log());
    assert.equal(await exitWithin(healthy, 1), "alive", healthy.log());
    assert.match(booting.log(), /disarmed until it answers once/);
    assert.doesNotMatch(booting.log() + healthy.log(), /action=/);
    assert.equal(booting.kills() + healthy.kills(), 0);
  });

  it("SIGTERMs a leader answering 423 (wedged) and SIGKILLs it when it ignores SIGTERM", async () => {
    const [wedged, stubborn] = await Promise.all([watch({ clusterHealth: 423 }), watch({ clusterHealth: 423, stubborn: true })]);
    assert.equal(await exitWithin(wedged, 10_000), "SIGTERM", wedged.log());
    assert.match(wedged.log(), /action=terminate signal=TERM .*reason=wedged leader/);
    assert.equal(await exitWithin(stubborn, 6000), "SIGKILL", stubborn.log());
    assert.match(stubborn.log(), /action=kill signal=KILL .*still running 1s after SIGTERM/);
    assert.equal(stubborn.kills(), 2);
  });

  it("leaves a master alone whose /cluster/healthz answers 503 (an election), only 423 counts", async () => {
    const run = await watch({ clusterHealth: 503 });
    assert.equal(await exitWithin(run, 5000), "alive", run.log());
    assert.equal(run.kills(), 0);
  });
});

describe("the watchdog the AWS tier installs is the one the drill runs", { timeout: 120_000 }, () => {
  it("stores per slot, in the SSM parameter its boot step fetches, byte for byte the drill's script with the slot's address", async () => {
    const plan = await runStack("prod");
    const cluster = await LocalCluster.create({ stack: "prod" });
    try {
      for (const slot of plan.config.topology.slots) {
        const name = watchdogParameterName(plan.config.clusterName, slot.slot);
        const parameter = plan.resources.find((r) => r.type === "aws:ssm/parameter:Parameter" && r.inputs.name === name);
        assert.ok(parameter, `no SSM parameter ${name}`);
        const lt = plan.resources.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.name === `${slot.name}-lt`)!;
        const userData = decodeUserData(lt.inputs.userData);
        const stepName = /^ssm_step watchdog '([^']+)'$/m.exec(userData)?.[1];
        assert.ok(stepName, `the user data of ${slot.name} runs the watchdog step`);
        const step = String(plan.resources.find((r) => r.type === "aws:ssm/parameter:Parameter" && r.inputs.name === stepName)?.inputs.insecureValue);
        assert.match(step, /^w="\$\{ROOT:-\}"\/usr\/local\/lib\/seaweedfs\/watchdog\.sh$/m);
        assert.match(step, new RegExp(`^aws ssm get-parameter --name '${name}' .*>"\\$w\\.new"$`, "m"));
        assert.match(step, /^install -m 0755 "\$w\.new" "\$w"$/m);
        assert.match(step, /^ExecStart=\/usr\/local\/lib\/seaweedfs\/watchdog\.sh$/m);
        const sent = userDataBytes(String(lt.inputs.userData)); // what EC2 receives and caps: the compressed script
        assert.ok(sent < 16384, `user data of ${slot.name}: ${sent} bytes`);
        const master = cluster.master(slot.slot);
        const drilled = fs.readFileSync(path.join(master.dir, "watchdog.sh"), "utf8");
        assert.notEqual(master.ip, slot.ip);
        assert.equal(String(parameter.inputs.insecureValue), drilled.split(`'${master.ip}'`).join(`'${slot.ip}'`));
      }
      // The kill alarm counts what the watchdog really prints, as the journal export ships it (journalctl -o short-iso).
      const filter = plan.resources.find((r) => r.type === "aws:cloudwatch/logMetricFilter:LogMetricFilter")!;
      const line = "2026-12-02T01:50:04+0000 ip-10-0-1-11 seaweedfs-watchdog[812]: action=kill signal=KILL pid=700 kills=1 reason=no answer from /healthz within 2s 3 times in a row";
      const terms = [...String(filter.inputs.pattern).matchAll(/"([^"]+)"/g)].map((m) => m[1]);
      assert.ok(terms.length > 0 && terms.every((t) => line.includes(t)), `pattern ${filter.inputs.pattern} misses ${line}`);
      assert.ok(!terms.every((t) => "2026-12-02T01:50:05+0000 ip-10-0-1-11 seaweedfs-watchdog[812]: master pid 700 answered: armed".includes(t)), "an ordinary watchdog line must not count");
      const transformation = filter.inputs.metricTransformation as { name: string; namespace: string };
      const alarm = plan.resources.find((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && String(r.inputs.name).endsWith("-watchdog-kill"))!;
      assert.deepEqual([alarm.inputs.namespace, alarm.inputs.metricName], [transformation.namespace, transformation.name]);
      const topic = plan.resources.find((r) => r.type === "aws:sns/topic:Topic")!;
      assert.deepEqual(alarm.inputs.alarmActions, [topic.state.arn]);
    } finally {
      await cluster.stop();
    }
  });
});

describe("watchdog config", () => {
  it("refuses a miss count out of range and a watchdog slower than SeaweedFS's own keepalive", () => {
    const range = refusal({ watchdogMisses: "50" });
    assert.match(range.message, /seaweed-infra:watchdogMisses = 50: must be at most 20\n\s+fix: use 2 to 20/);
    const slow = refusal({ watchdogMisses: "10", watchdogTimeoutSeconds: "10" });
    assert.match(slow.message, /watchdogMisses = 10: .*lives up to 126 s, no sooner than SeaweedFS's own gRPC keepalive \(80 s\)/);
    const off = { ...projectKeys(readStackConfig("prod").config), watchdogMisses: "10", watchdogTimeoutSeconds: "10", watchdogEnabled: "false" };
    assert.equal(parseConfig(off, { stack: "prod" }).watchdogMisses, 10, "a watchdog that is off may be slow");
  });

  it("gives Kubernetes probes the same rules: no liveness verdict before the first answer, then the miss count", () => {
    const probe = { httpGet: { path: "/healthz", port: 9333 }, periodSeconds: 2, timeoutSeconds: 3 };
    assert.deepEqual(watchdogProbes({ intervalSeconds: 2, timeoutSeconds: 3, misses: 4 }, 9333), {
      startupProbe: { ...probe, failureThreshold: 300 },
      livenessProbe: { ...probe, failureThreshold: 4 },
    });
  });
});
