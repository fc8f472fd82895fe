/**
 * f. Frozen leader (SIGSTOP, as a stalled VM or a long pause): the others elect a new leader; after SIGCONT the
 * old leader steps down, so exactly one leader remains and two masters never claim leadership at once.
 *
 * Writes are measured, not required, while the old leader is frozen: SeaweedFS 4.44 volume servers keep their
 * heartbeat stream open to the frozen process, so the new leader knows no volume and refuses assignments until
 * the old leader resumes (or dies).
 */
import { poll } from "../cluster/http";
import { followerOf, leaderAfterFreeze, oneLeaderFollowedBy, settledLeader, writesBackSince } from "./steps";
import { electionBoundMs, expect, Scenario, ScenarioMeasurements } from "./types";

/** How long the drill keeps the leader frozen: longer than the 15 s write warm-up, so writes could come back. */
export const FREEZE_MS = 20_000;

/** The scenario with a freeze of `freezeMs` (tests use a shorter one: they check leadership, not writes). */
export function frozenLeaderFor(freezeMs: number): Scenario {
  return {
    id: "frozen-leader",
    letter: "f",
    title: "frozen leader (SIGSTOP/SIGCONT): new leader takes over, one leader after resume",
    async run({ cluster, step }) {
      const old = await settledLeader(cluster);
      step(`SIGSTOP leader master-${old} for ${freezeMs} ms`);
      const since = Date.now();
      await cluster.kill(old, "SIGSTOP");
      const elected = await leaderAfterFreeze(cluster, old, electionBoundMs(cluster));
      expect(elected !== undefined, `no new leader while master-${old} is frozen`);
      const { leader, replacedFrozen } = elected!;
      const result: ScenarioMeasurements = { newLeaderMs: Date.now() - since, extra: {}, notes: [] };
      if (replacedFrozen) result.notes!.push(`master-${old}'s frozen process was replaced before the others elected a leader; the restarted master-${old} won the election`);
      step(`master-${leader}${replacedFrozen ? " (restarted, its frozen process replaced)" : ""} leads after ${result.newLeaderMs} ms; trying writes through a follower while master-${old} is frozen`);
      const writes = await poll(async () => ((await cluster.assign(followerOf(cluster, leader))).ok ? true : undefined), freezeMs - (Date.now() - since), 200);
      if (writes) result.writesBackMs = Date.now() - since;
      else result.notes!.push(`no write succeeded while the old leader was frozen (${freezeMs / 1000} s): volume servers stayed attached to it`);
      step(writes ? `writes back after ${result.writesBackMs} ms` : `no write succeeded during the freeze`);
      const remaining = freezeMs - (Date.now() - since);
      if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));

      step(`SIGCONT master-${old}`);
      const resumed = Date.now();
      await cluster.kill(old, "SIGCONT");
      // The old slot must follow, unless it leads as the replacement of its frozen process (then there is nothing
      // to step down: SIGCONT reached a healthy process).
      const settled = await oneLeaderFollowedBy(cluster, old, replacedFrozen, electionBoundMs(cluster));
      expect(settled !== undefined, `no single leader followed by master-${old} after SIGCONT`);
      result.extra!.stepDownMs = Date.now() - resumed;
      step(`master-${old} follows master-${settled} ${result.extra!.stepDownMs} ms after SIGCONT`);
      if (!writes) {
        result.extra!.writesAfterResumeMs = (await writesBackSince(cluster, settled, resumed));
        step(`writes back ${result.extra!.writesAfterResumeMs} ms after SIGCONT`);
      }
      await settledLeader(cluster);
      // Kubernetes stacks: how often the kubelet stand-in's liveness probe restarted a master (the frozen leader).
      if (cluster.prober) result.extra!.kubeletRestarts = cluster.prober.restarts.length;
      return result;
    },
  };
}

export const frozenLeader = frozenLeaderFor(FREEZE_MS);
