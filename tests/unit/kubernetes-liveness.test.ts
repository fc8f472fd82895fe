/**
 * The Kubernetes masters' liveness as rendered (the StatefulSet's startup and exec liveness probes), run by the
 * drills' kubelet stand-in (tools/lib/cluster/prober.ts) against a stub master, a child that listens where a master
 * would and answers like one, since no real master can be made to answer 423 on demand: a wedged leader (423 from
 * /cluster/healthz) is SIGTERMed by the probe itself, and killed by the kubelet when it ignores SIGTERM; a frozen
 * master is killed (a SIGSTOPped process gets no SIGCONT: the SIGKILL ends it); a master in an election (503) and a
 * booting one (no answer yet) are left alone. The same parity the AWS watchdog has (tests/unit/watchdog.test.ts).
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KubernetesConfig, projectKeys } from "../../infra/config";
import { parseStackConfig } from "../../infra/platforms";
import { masterPodSpec } from "../../infra/kubernetes/manifests";
import { ExecProbeSpec, HttpProbeSpec, KubeletProber, ProbedCluster } from "../../tools/lib/cluster/prober";
import { readStackConfig } from "../../tools/lib/stackFiles";
import { spawnStubMaster, StubMasterBehaviour } from "../support/stubMaster";

/** k8s-prod with a wedged-leader rule fast enough for a test: 2 x 423, 2 s after SIGTERM. */
const config = parseStackConfig({ ...projectKeys(readStackConfig("k8s-prod").config), watchdogWedgedMisses: "2", watchdogTermGraceSeconds: "2" }, { stack: "k8s-prod" }) as KubernetesConfig;
const pod = masterPodSpec(config) as { terminationGracePeriodSeconds: number; containers: { startupProbe: HttpProbeSpec; livenessProbe: HttpProbeSpec | ExecProbeSpec }[] };
const [master] = pod.containers;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-liveness-"));
const cleanups: (() => void)[] = [];
after(() => {
  for (const cleanup of cleanups) cleanup();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
let nextHost = 0;

interface Watched {
  stub: ChildProcess;
  /** How the stub ended (its signal), or "alive" after `ms`. */
  endWithin(ms: number): Promise<NodeJS.Signals | null | "alive">;
  prober: KubeletProber;
  log: string[];
}

/** Starts a stub on its own loopback address and the kubelet stand-in probing it as the StatefulSet says. */
async function watch(stub: StubMasterBehaviour): Promise<Watched> {
  // 127.251.*: outside the networks drill clusters pick (32-231, tools/lib/cluster/loopback.ts), which may run beside.
  const ip = `127.251.${process.pid % 200}.${10 + nextHost++}`;
  const child = spawnStubMaster(ip, config.httpPort, stub, { stdio: "ignore", detached: true });
  const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  for (let i = 0; i < 50 && !execFileSync("ss", ["-Hltn", `src ${ip}:${config.httpPort}`], { encoding: "utf8" }).trim(); i++) await sleep(100);
  let running = true;
  void ended.then(() => (running = false));
  const dir = fs.mkdtempSync(path.join(scratch, "pod-"));
  const log: string[] = [];
  const cluster: ProbedCluster = {
    masters: [{ slot: 0, ip, dir, process: { get running() { return running; }, get pgid() { return running ? child.pid : undefined; } } }],
    terminate: async (_slot, graceMs) => {
      log.push(`terminate (grace ${graceMs} ms)`);
      child.kill("SIGTERM");
      if ((await Promise.race([ended.then(() => "gone"), sleep(graceMs)])) !== "gone") child.kill("SIGKILL");
      await ended;
    },
    // The stand-in's restart is not under test here: the stub stays down, so how it ended is what is judged.
    start: async () => void log.push("start"),
    log: (line) => log.push(line),
  };
  const prober = new KubeletProber(cluster, { startup: master.startupProbe, liveness: master.livenessProbe, podGraceSeconds: pod.terminationGracePeriodSeconds });
  prober.start();
  cleanups.push(() => {
    prober.stop();
    if (running) child.kill("SIGKILL");
  });
  return { stub: child, endWithin: (ms) => Promise.race([ended, sleep(ms).then(() => "alive" as const)]), prober, log };
}

/**
 * How long a stub gets to end. What is judged is which signal ends it; the probes need about 4 s (SIGTERM) and 8-10 s
 * (SIGKILL), and the window only has to outlast them on a loaded machine: the unit lane runs at nice 10 beside the
 * drills, and at a load of 9 a 15 s window once ended before the prober had logged anything.
 */
const END_WINDOW_MS = 30_000;
const logOf = (run: { log: string[] }) => run.log.join("\n") || "(the prober logged nothing)";

describe("the masters' liveness on Kubernetes (rendered probes, kubelet stand-in, stub master)", { timeout: 90_000, concurrency: true }, () => {
  it("SIGTERMs a leader answering 423 (wedged) from the probe itself; the kubelet has nothing to kill", async () => {
    const run = await watch({ clusterHealth: 423 });
    // Armed by the startup probe at once, then 2 liveness runs (1 s apart) of 423: about 4 s.
    assert.equal(await run.endWithin(END_WINDOW_MS), "SIGTERM", logOf(run));
    // The probe reports its action when it returns, just after the stub ended.
    await sleep(1000);
    assert.match(run.log.join("\n"), /action=terminate signal=TERM pid=\d+ reason=wedged leader: 2 x 423 from \/cluster\/healthz/);
    assert.equal(run.prober.restarts.length, 0);
  });

  it("has the kubelet kill a wedged leader that ignores SIGTERM, once the 2 s after SIGTERM are over", async () => {
    const run = await watch({ clusterHealth: 423, stubborn: true });
    // SIGTERM after ~2 s, failures from 2 s later, 3 of them 1 s apart, then 1 s of grace: about 8 s.
    assert.equal(await run.endWithin(END_WINDOW_MS), "SIGKILL", logOf(run));
    assert.match(run.log.join("\n"), /failed 3 liveness probes \(exec: still running 2s after SIGTERM \(wedged leader\)\); restarting it \(SIGTERM, 1 s grace, SIGKILL\)/);
    assert.equal(run.prober.restarts.length, 1);
  });

  it("has the kubelet kill a master that answered once and then froze: SIGTERM stays pending, the SIGKILL after 1 s ends it", async () => {
    const run = await watch({});
    await sleep(1500);
    run.stub.kill("SIGSTOP");
    assert.equal(await run.endWithin(END_WINDOW_MS), "SIGKILL", logOf(run));
    assert.match(run.log.join("\n"), /failed 3 liveness probes \(exec: no answer from \/healthz within 2s/);
  });

  it("leaves alone a master in an election (503: only 423 counts), a healthy one, and one that never answered yet", async () => {
    const [electing, healthy, booting] = await Promise.all([watch({ clusterHealth: 503 }), watch({}), watch({ silent: true })]);
    assert.equal(await electing.endWithin(6000), "alive", electing.log.join("\n"));
    assert.equal(await healthy.endWithin(1), "alive", healthy.log.join("\n"));
    assert.equal(await booting.endWithin(1), "alive", booting.log.join("\n"));
    assert.equal(electing.prober.restarts.length + healthy.prober.restarts.length + booting.prober.restarts.length, 0);
    assert.doesNotMatch([...electing.log, ...healthy.log, ...booting.log].join("\n"), /action=/);
  });
});
