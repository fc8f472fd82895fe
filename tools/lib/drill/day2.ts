/**
 * Day-2 drills (suite `day2`, opt-in: `npm run drill -- --stack <s> --suite day2` or `--scenario <id>`), each run
 * through the rollout engine (tools/lib/rollout) with a client writing continuously throughout:
 *   rolling-upgrade              every master from the default weed to the pinned upgrade target, leader last after
 *                                a raft leadership transfer; then the downgrade back, reported as allowed or not;
 *   rolling-upgrade-no-transfer  the same without the transfer (the leader is simply restarted), for the ratio;
 *   slot-rebuild                 a follower's `-mdir` wiped and its slot restarted with the same identity, then the
 *                                leader's (lost, not handed over first).
 * Duplicate file ids and MaxVolumeId regressions are checked by the drill runner, as for every scenario.
 */
import { ENDPOINTS, SEAWEEDFS_VERSION } from "../../../infra/seaweed/constants";
import { jsonOf, request, sleep } from "../cluster/http";
import { upgradeTargetBinary, upgradeTargetVersion, weedBinary } from "../cluster/weed";
import type { LocalCluster } from "../localCluster";
import { RolloutReport, runRollout, stabilityWindowMs } from "../rollout/engine";
import { localBackend, localGateTier, restartSlot, SlotChange } from "../rollout/local";
import { oneElectionWriteBoundMs } from "./bounds";
import { ContinuousWrites, WriteSummary } from "./continuousWrites";
import { registerScenario } from "./registry";
import { settledLeader } from "./steps";
import { electionBoundMs, expect, Scenario, ScenarioContext, ScenarioMeasurements } from "./types";

/** Writes before and after each phase, so blobs from before, during and after are all read back at the end. */
const QUIET_MS = 2000;

/** The highest raft term any running master reports (`/raft/stats`, hashicorp): its growth counts elections. */
export async function raftTerm(cluster: LocalCluster): Promise<number> {
  const terms = await Promise.all(
    cluster.liveSlots().map(async (s) => Number(jsonOf<{ term?: string }>(await request(`${cluster.master(s).httpUrl}${ENDPOINTS.raftStats}`))?.term ?? Number.NaN)),
  );
  const known = terms.filter((t) => Number.isFinite(t));
  if (known.length === 0) throw new Error(`no master answered ${ENDPOINTS.raftStats} with a term (hashicorp raft only)`);
  return Math.max(...known);
}

/** The SeaweedFS version each master runs, from its `SeaweedFS_build_info` metric. */
export async function runningVersions(cluster: LocalCluster): Promise<Record<number, string>> {
  const entries = await Promise.all(cluster.masters.map(async (m) => [m.slot, /SeaweedFS_build_info\{[^}]*version="([^"]+)"/.exec(await cluster.metrics(m.slot))?.[1] ?? "?"] as const));
  return Object.fromEntries(entries);
}

interface Phase {
  report: RolloutReport;
  /** Raft term growth over the phase. */
  elections: number;
  writes: WriteSummary;
}

/** One rollout of every slot (or `slots`) through the local back end, with the writes it cost. */
async function rolloutPhase(
  { cluster, step }: ScenarioContext,
  writer: ContinuousWrites,
  label: string,
  change: SlotChange | ((slot: number) => SlotChange),
  options: { transfer: boolean; slots?: number[] },
): Promise<Phase> {
  const termBefore = await raftTerm(cluster);
  writer.resetSummary();
  const report = await runRollout({
    tier: localGateTier(cluster),
    backend: localBackend(cluster, change),
    transferLeadership: options.transfer,
    stableMs: stabilityWindowMs(cluster.plan.settings.raft),
    gateTimeoutMs: electionBoundMs(cluster, 10, 60_000),
    slots: options.slots,
    progress: (line) => step(`${label}: ${line}`),
  });
  await sleep(QUIET_MS);
  const writes = writer.resetSummary();
  const elections = (await raftTerm(cluster)) - termBefore;
  step(`${label}: ${report.passed ? "done" : "STOPPED"} in ${(report.totalMs / 1000).toFixed(1)} s; ${elections} election(s); longest write gap ${writes.longestGapMs} ms; ${writes.failed} write(s) failed after retries`);
  return { report, elections, writes };
}

/** The pass conditions every phase shares: the rollout passed, no write failed, at most `maxElections`. */
function expectPhase(label: string, phase: Phase, maxElections: number): void {
  expect(phase.report.passed, `${label}: ${phase.report.message}`);
  expect(phase.writes.failed === 0, `${label}: ${phase.writes.failed} write(s) still failed after retrying (honouring Retry-After); first reasons: ${phase.writes.reasons.join(" | ")}`);
  expect(phase.elections <= maxElections, `${label}: ${phase.elections} elections (raft term growth), at most ${maxElections} allowed`);
}

function phaseFigures(prefix: string, phase: Phase): Record<string, number> {
  return {
    [`${prefix}Ms`]: phase.report.totalMs,
    [`${prefix}Elections`]: phase.elections,
    [`${prefix}WriteOutageMs`]: phase.writes.longestGapMs,
    [`${prefix}FailedAttempts`]: phase.writes.failedAttempts,
  };
}

/** Starts the writer, runs `body`, stops the writer and reads back every blob it stored. */
async function withWrites(context: ScenarioContext, body: (writer: ContinuousWrites) => Promise<ScenarioMeasurements>): Promise<ScenarioMeasurements> {
  const { cluster, step } = context;
  await settledLeader(cluster);
  const writer = new ContinuousWrites(cluster, oneElectionWriteBoundMs(cluster));
  writer.start();
  let measured: ScenarioMeasurements;
  try {
    await sleep(QUIET_MS);
    measured = await body(writer);
  } finally {
    await writer.stop();
  }
  step(`reading back all ${writer.blobCount} blobs written before, during and after`);
  const lost = await writer.verifyAll();
  expect(lost.length === 0, `${lost.length} of ${writer.blobCount} blobs did not read back: ${lost.slice(0, 3).join(" | ")}`);
  return { ...measured, extra: { ...measured.extra, blobsVerified: writer.blobCount } };
}

function rollingUpgrade(transfer: boolean): Scenario {
  return {
    id: transfer ? "rolling-upgrade" : "rolling-upgrade-no-transfer",
    title: `every master ${SEAWEEDFS_VERSION} -> ${upgradeTargetVersion()} and back, ${transfer ? "leadership handed over before the leader's turn" : "leader restarted without a transfer"}, writes throughout`,
    platforms: ["aws"],
    suite: "day2",
    async run(context) {
      const { cluster, step } = context;
      const target = upgradeTargetVersion();
      return withWrites(context, async (writer) => {
        const { topologyId } = await cluster.dirStatus();
        const up = await rolloutPhase(context, writer, `upgrade to ${target}`, { binary: upgradeTargetBinary() }, { transfer });
        expectPhase(`upgrade to ${target}`, up, transfer ? 1 : 2);
        const versions = await runningVersions(cluster);
        expect(Object.values(versions).every((v) => v === target), `after the upgrade the masters report versions ${JSON.stringify(versions)}, expected ${target} everywhere`);
        expect((await cluster.dirStatus()).topologyId === topologyId, "the upgrade changed the TopologyId");
        step(`every master reports ${target}; downgrading back to ${SEAWEEDFS_VERSION}`);
        const down = await rolloutPhase(context, writer, `downgrade to ${SEAWEEDFS_VERSION}`, { binary: weedBinary() }, { transfer });
        const downVersions = await runningVersions(cluster);
        const downgradeOk = down.report.passed && down.writes.failed === 0 && Object.values(downVersions).every((v) => v === SEAWEEDFS_VERSION) && (await cluster.dirStatus()).topologyId === topologyId;
        const notes = [
          downgradeOk
            ? `downgrade ${target} -> ${SEAWEEDFS_VERSION} allowed: every master back on ${SEAWEEDFS_VERSION}, same TopologyId, ${down.writes.failed} failed writes, ${down.elections} election(s)`
            : `downgrade ${target} -> ${SEAWEEDFS_VERSION} NOT clean: ${down.report.message}; versions ${JSON.stringify(downVersions)}; ${down.writes.failed} failed writes`,
        ];
        return {
          writesBackMs: up.writes.longestGapMs,
          extra: { ...phaseFigures("upgrade", up), ...phaseFigures("downgrade", down), downgradeAllowed: downgradeOk ? 1 : 0 },
          notes,
        };
      });
    },
  };
}

/** Waits until `slot`'s own view names `leader` and its MaxVolumeId has caught up with `maxVolumeId`. */
async function caughtUp(cluster: LocalCluster, slot: number, maxVolumeId: number): Promise<boolean> {
  const deadline = Date.now() + electionBoundMs(cluster);
  while (Date.now() < deadline) {
    const status = await cluster.statusOf(slot);
    if (status.reachable && !status.isLeader && status.leaderSlot !== undefined && (status.maxVolumeId ?? 0) >= maxVolumeId) return true;
    await sleep(250);
  }
  return false;
}

export const slotRebuild: Scenario = {
  id: "slot-rebuild",
  title: "a follower's -mdir lost and its slot restarted blank with the same identity, then the leader's: rejoins, no second cluster",
  platforms: ["aws"],
  suite: "day2",
  async run(context) {
    const { cluster } = context;
    return withWrites(context, async (writer) => {
      const before = await cluster.dirStatus();
      const bootstraps = cluster.masters.filter((m) => m.process.options.args.some((a) => a.startsWith("-raftBootstrap")));
      expect(bootstraps.length === 0, `masters ${bootstraps.map((m) => m.slot).join(", ")} run with -raftBootstrap`);
      const extra: Record<string, number> = {};
      for (const role of ["follower", "leader"] as const) {
        const leader = await settledLeader(cluster);
        const slot = role === "leader" ? leader : cluster.masters.map((m) => m.slot).find((s) => s !== leader)!;
        const { maxVolumeId } = await cluster.dirStatus();
        // A lost volume is not a planned step: the leader is not asked to hand over first.
        const phase = await rolloutPhase(context, writer, `${role} master-${slot} rebuilt blank`, { wipeMdir: true }, { transfer: false, slots: [slot] });
        expectPhase(`${role} rebuild`, phase, 1);
        expect(await caughtUp(cluster, slot, maxVolumeId), `blank master-${slot} did not follow a leader with MaxVolumeId >= ${maxVolumeId}`);
        const after = await cluster.dirStatus();
        expect(after.topologyId === before.topologyId, `after rebuilding master-${slot} the TopologyId is ${after.topologyId}, was ${before.topologyId}: a second cluster formed`);
        const leaders = await cluster.leaders(cluster.masters.map((m) => m.slot));
        expect(leaders.length === 1, `after rebuilding master-${slot}, ${leaders.length} masters claim leadership`);
        Object.assign(extra, phaseFigures(`${role}Rebuild`, phase));
      }
      return { writesBackMs: Math.max(extra.followerRebuildWriteOutageMs, extra.leaderRebuildWriteOutageMs), extra, notes: [`TopologyId ${before.topologyId} unchanged`] };
    });
  },
};

/**
 * The one case where a blank member may mint a cluster: in SeaweedFS 4.44 (weed/command/master.go, the bootstrap
 * check after "A master that starts with no raft state"), a master without raft state asks its peers for a leader
 * and, when none names one, the first master in `-peers` calls Bootstrap(). So: every master down, the first one
 * restarted blank and alone (it finds no leader and bootstraps), the others back with their state afterwards. The
 * cluster must come back as itself: one leader, the old TopologyId, MaxVolumeId not behind, writes working.
 */
export const blankFirstPeer: Scenario = {
  id: "slot-rebuild-blank-first-peer",
  title: "every master down, the first peer restarted blank and alone (it bootstraps), the rest back later: the same cluster returns",
  platforms: ["aws"],
  suite: "day2",
  async run({ cluster, step }) {
    await settledLeader(cluster);
    const before = await cluster.dirStatus();
    const first = cluster.masters[0];
    step(`stopping every master; wiping master-${first.slot}'s -mdir (first in -peers)`);
    for (const m of cluster.masters) await m.process.stop();
    await restartSlot(cluster, first.slot, { wipeMdir: true });
    // Longer than its bootstrap check (1.5-1.9 s for peer index 0) plus one retry, so it bootstraps alone.
    await sleep(6000);
    step("starting the other masters on their own state");
    for (const m of cluster.masters.slice(1)) cluster.start(m.slot);
    await cluster.waitForQuorum(electionBoundMs(cluster));
    const writesMs = await cluster.waitWritable(electionBoundMs(cluster));
    const after = await cluster.dirStatus();
    expect(after.topologyId === before.topologyId, `the cluster came back with TopologyId ${after.topologyId}, was ${before.topologyId}: the blank first peer minted a new cluster`);
    expect(after.maxVolumeId >= before.maxVolumeId, `MaxVolumeId ${after.maxVolumeId} after, ${before.maxVolumeId} before`);
    const blank = await cluster.statusOf(first.slot);
    expect(blank.reachable && blank.leaderSlot === after.leader, `master-${first.slot} does not follow master-${after.leader}`);
    return { writesBackMs: writesMs, notes: [`TopologyId ${before.topologyId} kept; the blank first peer follows master-${after.leader}`] };
  },
};

for (const scenario of [rollingUpgrade(true), rollingUpgrade(false), slotRebuild, blankFirstPeer]) registerScenario(scenario);
