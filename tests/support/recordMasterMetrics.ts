/**
 * Records the fixture tests/support/fixtures/master-metrics.json: what real SeaweedFS 4.44 masters expose on
 * `/metrics` (their `SeaweedFS_master_*` samples) in the phases of a failover, for the tests that evaluate the
 * Kubernetes PrometheusRule with promtool (tests/unit/kubernetes-alerts.test.ts). Run it again after a SeaweedFS
 * upgrade and commit the result:
 *
 *   npx tsx tests/support/recordMasterMetrics.ts
 *
 * It starts the prod stack's rendered cluster on loopback (5 masters, the k8s-prod count, 2 volume servers, so
 * `is_leader` is set by the masters' 5 s KeepConnected tick), then scrapes every master: `steady` (one leader, four
 * followers), `failover` (the leader SIGKILLed, a new leader elected, 2 ticks later; the dead master has no sample),
 * `rejoined` (the old leader back on its own -mdir as a follower, 2 ticks later).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SEAWEEDFS_TIMINGS, SEAWEEDFS_VERSION } from "../../infra/seaweed/constants";
import { sleep } from "../../tools/lib/cluster/http";
import { LocalCluster } from "../../tools/lib/localCluster";
import { weedBinary, weedVersionOf } from "../../tools/lib/cluster/weed";

export const MASTER_METRICS_FIXTURE = path.join(__dirname, "fixtures", "master-metrics.json");

/** Leader kills recorded: one more than the leader-flapping alert's default allowance (alarmLeaderChangesMax, 2). */
const FAILOVERS = 3;

/** The fixture: per phase, per master slot, its `SeaweedFS_master_*` exposition lines (null: the master is down). */
export interface MasterMetricsFixture {
  recordedWith: string;
  masters: number;
  phases: { name: string; leader: number; expositions: (string | null)[] }[];
}

/** A master's exposition, only the SeaweedFS master family (the Go runtime's series are irrelevant and churn). */
async function masterLines(cluster: LocalCluster, slot: number): Promise<string> {
  const text = await cluster.metrics(slot);
  return text
    .split("\n")
    .filter((line) => /^(# (HELP|TYPE) )?SeaweedFS_master_/.test(line))
    .join("\n");
}

async function record(): Promise<MasterMetricsFixture> {
  const cluster = await LocalCluster.start({ stack: "prod", watchdog: false, log: (line) => process.stderr.write(`${line}\n`) });
  try {
    const tick = () => sleep(2 * SEAWEEDFS_TIMINGS.volumePulseSeconds * 1000 + 500);
    const phase = async (name: string, leader: number) => ({
      name,
      leader,
      expositions: await Promise.all(cluster.masters.map((m) => (cluster.liveSlots().includes(m.slot) ? masterLines(cluster, m.slot) : null))),
    });
    let leader = await cluster.waitForLeader();
    if (leader === undefined) throw new Error("no leader");
    await cluster.waitWritable();
    await tick();
    const phases = [await phase("steady", leader)];
    for (let failover = 1; failover <= FAILOVERS; failover++) {
      const killed = leader;
      await cluster.kill(killed);
      leader = await cluster.waitForLeader({ exclude: [killed] });
      if (leader === undefined) throw new Error(`no new leader after failover ${failover}`);
      await cluster.waitWritable();
      await tick();
      phases.push(await phase(`failover-${failover}`, leader));
      await cluster.start(killed);
      await cluster.waitForQuorum();
      await tick();
      phases.push(await phase(`rejoined-${failover}`, leader));
    }
    return { recordedWith: `weed ${weedVersionOf(weedBinary())} (pinned ${SEAWEEDFS_VERSION}), prod stack's flags`, masters: cluster.masters.length, phases };
  } finally {
    await cluster.stop();
  }
}

if (require.main === module) {
  void record().then(
    (fixture) => {
      fs.writeFileSync(MASTER_METRICS_FIXTURE, `${JSON.stringify(fixture, null, 1)}\n`);
      process.stderr.write(`written: ${MASTER_METRICS_FIXTURE}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`recording failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
