/**
 * frozen-leader-long: SIGSTOP the leader and keep it frozen (120 s in `npm run drill`), as a hung instance or a
 * stalled disk would. SeaweedFS alone keeps the volume servers attached to the frozen process until gRPC keepalive
 * gives up (~110 s measured); the watchdog beside each master kills the frozen process, so they move at once.
 *
 * The freeze starts once every volume server heartbeats to the leader (a fresh cluster takes writes with one of
 * them, and one still on its way to the leader would find the new leader instead of the frozen one).
 * Passes when a write (assign, upload to the assigned volume server, read back) works again while the old leader
 * is still frozen, within {@link frozenLeaderWriteBoundMs}; when writes then keep working for the rest of the freeze
 * (a continuous writer, no stall past {@link WRITES_STAY_BACK_BOUND_MS}); when the old slot ends as a follower of the
 * one leader; and when no two masters ever claim leadership at once. The runner checks that no file id was handed
 * out twice. The write outage is measured from the freeze to the first working write, frozen or not, so the run
 * without the watchdog (same drill, side by side) yields the ratio.
 */
import { poll, sleep } from "../cluster/http";
import { frozenLeaderWriteBoundMs, WRITES_STAY_BACK_BOUND_MS } from "./bounds";
import { ContinuousWrites, WriteSummary } from "./continuousWrites";
import { atMostOneLeader, followerOf, leaderAfterFreeze, leaderOfEveryVolumeServer, oneLeaderFollowedBy, writesBackSince, writeWorks } from "./steps";
import { DrillFailure, electionBoundMs, expect, Scenario, ScenarioMeasurements } from "./types";

/** The freeze of `npm run drill`: longer than SeaweedFS's own recovery (~110 s), so only the watchdog can beat it. */
export const LONG_FREEZE_MS = 120_000;

export function frozenLeaderLongFor(freezeMs: number): Scenario {
  return {
    id: "frozen-leader-long",
    title: `leader frozen for ${freezeMs / 1000} s: writes back while it is still frozen, old leader returns as follower`,
    watchdogBaseline: true,
    async run({ cluster, step }) {
      const old = await leaderOfEveryVolumeServer(cluster);
      const killsBefore = cluster.watchdogKills(old);
      const bound = frozenLeaderWriteBoundMs(cluster);
      step(`every volume server heartbeats to master-${old}; SIGSTOP it for ${freezeMs / 1000} s (watchdog ${cluster.watchdogOn ? "on" : "off"}; write bound ${bound} ms)`);
      const since = Date.now();
      await cluster.kill(old, "SIGSTOP");
      const elected = await leaderAfterFreeze(cluster, old, electionBoundMs(cluster));
      expect(elected !== undefined, `no new leader while master-${old} is frozen`);
      const { leader, replacedFrozen } = elected!;
      const result: ScenarioMeasurements & { extra: Record<string, number>; notes: string[] } = { newLeaderMs: Date.now() - since, extra: {}, notes: [] };
      cluster.timeline?.interval("new leader", since, since + result.newLeaderMs!);
      if (replacedFrozen) result.notes.push(`master-${old}'s frozen process was replaced before the others elected a leader; the restarted master-${old} won the election`);
      step(`master-${leader}${replacedFrozen ? " (restarted, its frozen process replaced)" : ""} leads after ${result.newLeaderMs} ms; trying writes through a follower while master-${old} is frozen`);

      let frozenAt: number | undefined = since;
      let wroteWhileFrozen: true | undefined;
      // From the first working write to the end of the freeze, a client writes continuously: writes must stay back.
      let writer: ContinuousWrites | undefined;
      let afterRecovery: WriteSummary | undefined;
      try {
        wroteWhileFrozen = await poll(async () => {
          await atMostOneLeader(cluster);
          if (frozenAt !== undefined && !cluster.isFrozen(old)) {
            result.extra.watchdogKillMs = Date.now() - since;
            step(`master-${old} was killed (and restarted) ${result.extra.watchdogKillMs} ms after the freeze`);
            frozenAt = undefined;
          }
          const current = (await cluster.leader()) ?? leader;
          return (await writeWorks(cluster, followerOf(cluster, current))).ok ? true : undefined;
        }, freezeMs - (Date.now() - since), 200);
        if (wroteWhileFrozen) {
          result.writesBackMs = Date.now() - since;
          cluster.timeline?.interval("write outage", since, since + result.writesBackMs);
          step(`writes back after ${result.writesBackMs} ms, ${freezeMs - result.writesBackMs} ms before the freeze ends; writing continuously until then`);
          writer = new ContinuousWrites(cluster, WRITES_STAY_BACK_BOUND_MS);
          writer.start();
        } else step(`no write worked during the ${freezeMs / 1000} s freeze`);
        while (Date.now() - since < freezeMs) {
          await atMostOneLeader(cluster);
          await sleep(500);
        }
      } finally {
        afterRecovery = await writer?.stop();
      }
      if (afterRecovery) {
        result.extra.storedWritesAfterRecovery = afterRecovery.stored;
        result.extra.failedWriteAttemptsAfterRecovery = afterRecovery.failedAttempts;
        result.extra.failedWritesAfterRecovery = afterRecovery.failed;
        result.extra.longestWriteGapAfterRecoveryMs = afterRecovery.longestGapMs;
        step(`for the rest of the freeze: ${afterRecovery.stored} writes stored, ${afterRecovery.failedAttempts} failed attempt(s), longest gap ${afterRecovery.longestGapMs} ms (bound ${WRITES_STAY_BACK_BOUND_MS} ms)`);
      }

      // After the freeze a DrillFailure (e.g. the resumed old leader claiming leadership beside the new one, seen
      // without the watchdog) still reports what was measured, above all whether writes worked while it was frozen.
      let settled: number | undefined;
      try {
        step(`freeze over: SIGCONT master-${old} (a no-op if the watchdog replaced the process)`);
        const resumed = Date.now();
        await cluster.kill(old, "SIGCONT");
        // The old slot must follow, unless it leads as the replacement of its frozen process.
        settled = await oneLeaderFollowedBy(cluster, old, replacedFrozen, electionBoundMs(cluster));
        expect(settled !== undefined, `no single leader followed by master-${old} after the freeze`);
        result.extra.followerAfterFreezeMs = Date.now() - resumed;
        if (!wroteWhileFrozen) {
          result.writesBackMs = (await writesBackSince(cluster, settled, resumed)) + (resumed - since);
          cluster.timeline?.interval("write outage", since, since + result.writesBackMs);
          result.notes.push(`no write worked while the leader was frozen (${freezeMs / 1000} s): volume servers stayed attached to it`);
        }
      } catch (error) {
        if (!(error instanceof DrillFailure) || error.measured) throw error;
        const frozenNote = wroteWhileFrozen ? "" : `; no write worked while master-${old} was frozen (${freezeMs / 1000} s)`;
        throw new DrillFailure(`${error.message}${frozenNote}`, result);
      }
      result.extra.watchdogKills = cluster.watchdogKills(old) - killsBefore;
      step(`master-${old} follows master-${settled}; write outage ${result.writesBackMs} ms; watchdog actions on master-${old}: ${result.extra.watchdogKills}`);
      if (!wroteWhileFrozen) throw new DrillFailure(`no write worked while master-${old} was frozen (${freezeMs / 1000} s); writes came back ${result.writesBackMs} ms after the freeze`, result);
      if (result.writesBackMs! > bound) throw new DrillFailure(`writes came back ${result.writesBackMs} ms after the freeze, later than the bound of ${bound} ms`, result);
      const relapse = afterRecovery!;
      if (relapse.failed > 0 || relapse.longestGapMs > WRITES_STAY_BACK_BOUND_MS) {
        throw new DrillFailure(
          `writes stopped again after they came back while master-${old} was frozen: longest gap ${relapse.longestGapMs} ms, ${relapse.failed} write(s) still failing after ${WRITES_STAY_BACK_BOUND_MS} ms of retries (bound: ${WRITES_STAY_BACK_BOUND_MS} ms); first reasons: ${relapse.reasons.join(" | ") || "none"}`,
          result,
        );
      }
      return result;
    },
  };
}

export const frozenLeaderLong = frozenLeaderLongFor(LONG_FREEZE_MS);
