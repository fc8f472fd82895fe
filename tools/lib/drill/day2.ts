/**
 * Day-2 drills (suite `day2`, opt-in: `npm run drill -- --stack <s> --suite day2` or `--scenario <id>`), each run
 * through the rollout engine (tools/lib/rollout) with a client writing continuously throughout:
 *   rolling-upgrade              every master from the default weed to the pinned upgrade target, leader last after
 *                                a raft leadership transfer; then the downgrade back, held to the same checks;
 *   rolling-upgrade-no-transfer  the same without the transfer (the leader is simply restarted), for the ratio;
 *   slot-rebuild                 a follower's `-mdir` wiped and its slot restarted with the same identity, then the
 *                                leader's (lost, not handed over first).
 * Duplicate file ids and MaxVolumeId regressions are checked by the drill runner, as for every scenario.
 */
import { SEAWEEDFS_VERSION } from "../../../infra/seaweed/constants";
import { poll, sleep } from "../cluster/http";
import { raftStatsOf, raftTerm } from "../cluster/raftStats";
import { upgradeTargetBinary, upgradeTargetVersion, weedBinary } from "../cluster/weed";
import type { LocalCluster } from "../localCluster";
import { RolloutReport, runRollout, stabilityWindowMs } from "../rollout/engine";
import { localBackend, localGateTier, restartSlot, SlotChange } from "../rollout/local";
import { oneElectionWriteBoundMs } from "./bounds";
import { ContinuousWrites, SETTLED_WINDOW_MS, settledWriteProblem, WriteSummary } from "./continuousWrites";
import { registerScenario } from "./registry";
import { settledLeader } from "./steps";
import { electionBoundMs, expect, Scenario, ScenarioContext, ScenarioMeasurements } from "./types";

/** Writes before the first phase, so blobs from before, during and after are all read back at the end. */
const QUIET_MS = 2000;

/**
 * The elections (raft term growth) a phase costs when it goes as designed; anything else fails it. A follower's
 * restart, blank or not, costs none: it rejoins under the leader it finds. The leader's turn costs exactly one,
 * whether the rollout hands leadership over first (`cluster.raft.transferLeader`) or not: the local back end stops a
 * master with SIGTERM, and a leader's graceful shutdown transfers leadership itself (`MasterServer.Shutdown`,
 * weed/server/master_server.go at 4.44) before raft stops. Measured: docs/runbooks/upgrade.md and rebuild.md.
 */
const ELECTIONS = { followersOnly: 0, withTheLeader: 1 } as const;

/** The SeaweedFS version each master runs, from its `SeaweedFS_build_info` metric. */
export async function runningVersions(cluster: LocalCluster): Promise<Record<number, string>> {
  const entries = await Promise.all(cluster.masters.map(async (m) => [m.slot, /SeaweedFS_build_info\{[^}]*version="([^"]+)"/.exec(await cluster.metrics(m.slot))?.[1] ?? "?"] as const));
  return Object.fromEntries(entries);
}

interface Phase {
  report: RolloutReport;
  /** Raft term growth from before the rollout to the end of its settled window. */
  elections: number;
  /** The writes begun while the rollout ran. */
  writes: WriteSummary;
  /** The writes begun in the {@link SETTLED_WINDOW_MS} after the rollout passed. */
  settled: WriteSummary;
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
  // The writes before the phase are judged with the run's totals (withWrites).
  await writer.resetSummary();
  const report = await runRollout({
    tier: localGateTier(cluster),
    backend: localBackend(cluster, change),
    transferLeadership: options.transfer,
    stableMs: stabilityWindowMs(cluster.plan.settings.raft),
    gateTimeoutMs: electionBoundMs(cluster, 10, 60_000),
    slots: options.slots,
    progress: (line) => step(`${label}: ${line}`),
  });
  const writes = await writer.resetSummary();
  await sleep(SETTLED_WINDOW_MS);
  const settled = await writer.resetSummary();
  const elections = (await raftTerm(cluster)) - termBefore;
  step(`${label}: ${report.passed ? "done" : "STOPPED"} in ${(report.totalMs / 1000).toFixed(1)} s; ${elections} election(s); longest write gap ${writes.longestGapMs} ms; ${writes.failed} write(s) failed after retries; ${writes.failedAttempts} failed attempt(s) during, ${settled.failedAttempts} after`);
  return { report, elections, writes, settled };
}

/**
 * The pass conditions every phase shares: the rollout passed, no write begun during it failed after retrying, every
 * write attempt after it succeeded at once, and exactly `elections` elections (see {@link ELECTIONS}).
 */
function expectPhase(label: string, phase: Phase, elections: number): void {
  expect(phase.report.passed, `${label}: ${phase.report.message}`);
  expect(phase.writes.failed === 0, `${label}: ${phase.writes.failed} write(s) still failed after retrying (honouring Retry-After); first reasons: ${phase.writes.reasons.join(" | ")}`);
  const settled = settledWriteProblem(phase.settled);
  expect(settled === undefined, `${label}: ${settled}`);
  expect(phase.elections === elections, `${label}: ${phase.elections} elections (raft term growth), expected exactly ${elections}`);
}

function phaseFigures(prefix: string, phase: Phase): Record<string, number> {
  return {
    [`${prefix}Ms`]: phase.report.totalMs,
    [`${prefix}Elections`]: phase.elections,
    [`${prefix}WriteOutageMs`]: Math.max(phase.writes.longestGapMs, phase.settled.longestGapMs),
    [`${prefix}FailedAttempts`]: phase.writes.failedAttempts,
  };
}

/**
 * Starts the writer, runs `body`, stops the writer and reads back every blob it stored. Writes outside the phases
 * (before, between, after them) must not fail either: the run's totals are checked as a whole.
 */
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
  const { failed, unfinished, reasons } = writer.totals;
  expect(failed === 0 && unfinished === 0, `over the whole run ${failed} write(s) failed after retrying and ${unfinished} were still failing at the end: ${reasons.join(" | ")}`);
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
        /** One direction: the phase's own checks, then every master on `version` and the cluster still itself. */
        const roll = async (direction: "upgrade" | "downgrade", version: string, binary: string): Promise<Record<string, number>> => {
          const label = `${direction} to ${version}`;
          const phase = await rolloutPhase(context, writer, label, { binary }, { transfer });
          expectPhase(label, phase, ELECTIONS.withTheLeader);
          const versions = await runningVersions(cluster);
          expect(Object.values(versions).every((v) => v === version), `after the ${label} the masters report versions ${JSON.stringify(versions)}, expected ${version} everywhere`);
          const now = (await cluster.dirStatus()).topologyId;
          expect(now === topologyId, `the ${label} changed the TopologyId from ${topologyId} to ${now}`);
          step(`${label}: every master reports ${version}, TopologyId unchanged`);
          return phaseFigures(direction, phase);
        };
        const up = await roll("upgrade", target, upgradeTargetBinary());
        const down = await roll("downgrade", SEAWEEDFS_VERSION, weedBinary());
        return {
          writesBackMs: up.upgradeWriteOutageMs,
          // The downgrade is held to the same checks as the upgrade: reaching here means it was allowed.
          extra: { ...up, ...down, downgradeAllowed: 1 },
          notes: [`downgrade ${target} -> ${SEAWEEDFS_VERSION} allowed: every master back on ${SEAWEEDFS_VERSION}, same TopologyId, no write failed, ${down.downgradeElections} election(s)`],
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
        expectPhase(`${role} rebuild`, phase, role === "leader" ? ELECTIONS.withTheLeader : ELECTIONS.followersOnly);
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
 * restarted blank and alone until it has bootstrapped, the others back with their state afterwards. The cluster must
 * come back as itself: a leader from the masters that kept their state, the old TopologyId, MaxVolumeId not behind,
 * the blank peer following and caught up, writes working.
 */
export const blankFirstPeer: Scenario = {
  id: "slot-rebuild-blank-first-peer",
  title: "every master down, the first peer restarted blank and alone (it bootstraps), the rest back later: the same cluster returns",
  platforms: ["aws"],
  suite: "day2",
  async run({ cluster, step }) {
    await settledLeader(cluster);
    const before = await cluster.dirStatus();
    const [first, ...rest] = cluster.masters;
    step(`stopping every master; wiping master-${first.slot}'s -mdir (first in -peers) and starting it alone`);
    for (const m of cluster.masters) await m.process.stop();
    await restartSlot(cluster, first.slot, { wipeMdir: true });
    // Bootstrap() writes one log entry, the configuration of every -peers member, and nothing else: alone it cannot
    // win a vote. A master on its old state reports its whole log instead; one that did not bootstrap, none.
    const stats = await poll(async () => {
      const now = await raftStatsOf(cluster, first.slot);
      return now && now.lastLogIndex > 0 ? now : undefined;
    }, electionBoundMs(cluster), 250);
    expect(stats?.lastLogIndex === 1 && stats.numPeers === rest.length, `blank master-${first.slot}, alone, did not bootstrap: /raft/stats ${JSON.stringify(stats ?? "shows an empty raft log")}, expected 1 log entry and ${rest.length} peers`);
    step(`master-${first.slot} bootstrapped alone (term ${stats.term}); starting the other masters on their own state`);
    for (const m of rest) await cluster.start(m.slot);
    await cluster.waitForQuorum(electionBoundMs(cluster));
    const writesMs = await cluster.waitWritable(electionBoundMs(cluster));
    const after = await cluster.dirStatus();
    expect(after.topologyId === before.topologyId, `the cluster came back with TopologyId ${after.topologyId}, was ${before.topologyId}: the blank first peer minted a new cluster`);
    expect(after.maxVolumeId >= before.maxVolumeId, `MaxVolumeId ${after.maxVolumeId} after, ${before.maxVolumeId} before`);
    // Its one-entry log loses every vote against the others' longer ones: the leader must be a master that kept its state.
    expect(after.leader !== first.slot, `the blank first peer master-${first.slot} leads`);
    expect(await caughtUp(cluster, first.slot, before.maxVolumeId), `blank master-${first.slot} does not follow master-${after.leader} with MaxVolumeId >= ${before.maxVolumeId}`);
    return { writesBackMs: writesMs, notes: [`TopologyId ${before.topologyId} kept; the blank first peer bootstrapped alone (term ${stats.term}), then followed master-${after.leader}`] };
  },
};

for (const scenario of [rollingUpgrade(true), rollingUpgrade(false), slotRebuild, blankFirstPeer]) registerScenario(scenario);
