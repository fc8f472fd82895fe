/**
 * Day-2 membership drills: `scale-out` (3 -> 5 masters) and `scale-in` (5 -> 3) through the documented steps
 * (infra/seaweed/membership.ts, run by tools/lib/rollout/membership.ts), with writes running throughout and the
 * quorum checked every 200 ms. Opt-in (`--suite day2` or `--scenario`): about 2.5 min for both on dev.
 */
import { membershipChange } from "../../../infra/seaweed/membership";
import { changeMembership, MembershipRun, transferLeadership } from "../rollout/membership";
import { sleep } from "../cluster/http";
import type { LocalCluster } from "../localCluster";
import { electionWorstMs, oneElectionWriteBoundMs } from "./bounds";
import { ContinuousWrites, SETTLED_WINDOW_MS, settledWriteProblem } from "./continuousWrites";
import { QUORUM_SAMPLE_MS, QuorumWatch } from "./quorumWatch";
import { registerScenario } from "./registry";
import { settledLeader } from "./steps";
import { DrillFailure, Scenario, ScenarioContext, ScenarioMeasurements } from "./types";

/** The suite the membership drills belong to (not in the default set of `npm run drill`). */
export const DAY2_SUITE = "day2";

/**
 * The leader changes a membership change makes when it follows the documented steps (docs/runbooks/scaling.md):
 * one per leadership transfer and none otherwise. New members are admitted and removed followers leave without an
 * election; the kept masters are rolled followers first, and the leader's turn starts with a transfer (one change);
 * a scale-in whose leaving master leads hands leadership to a staying one first (one more). Measured: scale-out 1,
 * scale-in 2 (the drill makes a leaving master lead on purpose).
 */
const PLANNED_LEADER_CHANGES = { scaleOut: 1, scaleInFromALeavingLeader: 2 } as const;

/** Runs one membership change under load and checks everything issue #12 asks of it. */
export async function drillMembershipChange({ cluster, step }: ScenarioContext, to: number, plannedLeaderChanges: number): Promise<ScenarioMeasurements> {
  const from = cluster.masters.length;
  const change = membershipChange(from, to);
  await settledLeader(cluster);
  const before = await cluster.dirStatus();
  const duplicatesBefore = cluster.fileIds.duplicates.length;
  const bound = oneElectionWriteBoundMs(cluster);
  const watch = new QuorumWatch(cluster).start();
  const writer = new ContinuousWrites(cluster, bound);
  writer.start();
  const began = Date.now();
  const stopAll = () => Promise.all([watch.stop(), writer.stop()]);
  let run: MembershipRun;
  try {
    run = await changeMembership(cluster, to, step);
  } catch (error) {
    await stopAll();
    throw error;
  }
  const totalMs = Date.now() - began;
  // The change passed its gates: from here on every write attempt must succeed at once.
  await writer.resetSummary();
  await sleep(SETTLED_WINDOW_MS);
  const [, settled] = await stopAll();
  const writes = writer.totals;
  const unreadable = await writer.verifyAll();
  const longestLeaderlessMs = Math.max(0, ...watch.leaderless.map((p) => p.ms));
  const measured: ScenarioMeasurements = {
    extra: {
      totalMs,
      longestWriteOutageMs: writes.longestGapMs,
      storedWrites: writes.stored,
      failedWriteAttempts: writes.failedAttempts,
      failedWrites: writes.failed,
      leaderChanges: watch.leaderChanges,
      leaderlessPeriods: watch.leaderless.length,
      longestLeaderlessMs,
      quorumSamples: watch.samples,
      quorumLostSamples: watch.lost.length,
    },
    notes: [`${change.kind} ${from} -> ${to}: ${run.steps.map((s) => `${s.step.action} ${s.step.slot} ${(s.ms / 1000).toFixed(1)}s`).join(", ")}; leader at its turn: ${run.leaderSteps.join(", ") || "none"}`],
  };
  const check = (condition: unknown, message: string) => {
    if (!condition) throw new DrillFailure(message, measured);
  };
  check(watch.lost.length === 0, `quorum lost during the ${change.kind}: ${watch.lost.slice(0, 3).join("; ")}`);
  check(watch.splitBrain.length === 0, `two leaders during the ${change.kind}: ${watch.splitBrain.slice(0, 3).join("; ")}`);
  check(watch.leaderChanges === plannedLeaderChanges, `${watch.leaderChanges} leader change(s) during the ${change.kind}, the documented steps make exactly ${plannedLeaderChanges}`);
  // Each planned change may leave one short stretch without a leader (the hand-over's vote); none may last longer
  // than an election can (bounds.ts), plus one sampling interval for the watch's grain.
  const leaderlessBoundMs = electionWorstMs(cluster) + QUORUM_SAMPLE_MS;
  const leaderless = watch.leaderless.map((p) => `${p.ms} ms from +${(p.sinceMs / 1000).toFixed(1)}s`).join(", ");
  check(watch.leaderless.length <= plannedLeaderChanges, `${watch.leaderless.length} period(s) without a leader (${leaderless}), at most one per planned leader change (${plannedLeaderChanges})`);
  check(longestLeaderlessMs <= leaderlessBoundMs, `no master led for ${longestLeaderlessMs} ms (${leaderless}), longer than one election may take (${leaderlessBoundMs} ms)`);
  const leaders = await cluster.leaders();
  check(leaders.length === 1, `leaders at the end: [${leaders.join(", ")}], expected exactly one`);
  check(watch.configuration.length === to, `raft configuration at the end has ${watch.configuration.length} voters (${watch.configuration.join(", ")}), expected ${to}`);
  const after = await cluster.dirStatus();
  check(after.topologyId === before.topologyId, `TopologyId changed from ${before.topologyId} to ${after.topologyId}`);
  check(writes.longestGapMs <= bound, `writes stopped for ${writes.longestGapMs} ms, more than one election allows (${bound} ms)`);
  check(writes.failed === 0 && writes.unfinished === 0, `${writes.failed} write(s) still failed after retrying for ${bound} ms (honouring Retry-After), ${writes.unfinished} still failing at the end: ${writes.reasons.join(" | ")}`);
  const notSettled = settledWriteProblem(settled);
  check(notSettled === undefined, `after the ${change.kind}: ${notSettled}`);
  check(unreadable.length === 0, `${unreadable.length} blob(s) written during the ${change.kind} do not read back: ${unreadable.slice(0, 3).join("; ")}`);
  check(cluster.fileIds.duplicates.length === duplicatesBefore, `a file id was handed out twice during the ${change.kind}`);
  step(`${change.kind} done in ${(totalMs / 1000).toFixed(1)} s: longest write outage ${(writes.longestGapMs / 1000).toFixed(1)} s, ${writes.stored} writes stored, ${writes.failed} failed after retries, ${watch.leaderChanges} leader change(s), longest leaderless ${longestLeaderlessMs} ms, quorum held in ${watch.samples} samples`);
  return measured;
}

/** Brings the cluster to `count` members first (unmeasured), for a scenario run on its own. */
async function ensureMembers(context: ScenarioContext, count: number): Promise<void> {
  if (context.cluster.masters.length === count) return;
  context.step(`setting up: ${context.cluster.masters.length} -> ${count} masters first`);
  await changeMembership(context.cluster, count, context.step);
}

/** The stack's own master count and the other one of 3 and 5. */
function counts(cluster: LocalCluster): { small: number; large: number } {
  const own = cluster.config.masterCount;
  return own >= 5 ? { small: own - 2, large: own } : { small: own, large: own + 2 };
}

export const scaleOut: Scenario = {
  id: "scale-out",
  title: "scale-out 3 -> 5: new members started and added one at a time, old ones rolled; quorum kept, writes continue",
  platforms: ["aws"],
  suite: DAY2_SUITE,
  async run(context) {
    const { small, large } = counts(context.cluster);
    await ensureMembers(context, small);
    return drillMembershipChange(context, large, PLANNED_LEADER_CHANGES.scaleOut);
  },
};

export const scaleIn: Scenario = {
  id: "scale-in",
  title: "scale-in 5 -> 3: members removed from raft and stopped one at a time, the rest rolled; quorum kept, writes continue",
  platforms: ["aws"],
  suite: DAY2_SUITE,
  async run(context) {
    const { cluster, step } = context;
    const { small, large } = counts(cluster);
    await ensureMembers(context, large);
    // The hard case on purpose: a leaving master leads, so the procedure must hand leadership over first.
    const leaving = Math.max(...cluster.masters.map((m) => m.slot));
    step(`setting up: master-${leaving}, which leaves, takes the lead`);
    await transferLeadership(cluster, leaving, step);
    await cluster.waitWritable(oneElectionWriteBoundMs(cluster));
    return drillMembershipChange(context, small, PLANNED_LEADER_CHANGES.scaleInFromALeavingLeader);
  },
};

registerScenario(scaleOut);
registerScenario(scaleIn);
