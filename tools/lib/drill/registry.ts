/**
 * The drill's scenarios, in the order they run. Another module adds one by importing this array and pushing
 * onto it (e.g. `SCENARIOS.push(restore)` in a module that `tools/drill.ts` imports); ids must be unique.
 */
import { azLoss } from "./azLoss";
import { followerKill } from "./followerKill";
import { formation } from "./formation";
import { frozenLeader } from "./frozenLeader";
import { frozenLeaderLong } from "./frozenLeaderLong";
import { fullRestart } from "./fullRestart";
import { leaderKill } from "./leaderKill";
import { majorityLoss } from "./majorityLoss";
import { misconfiguration } from "./misconfiguration";
import { asymmetricPartition, followerPartitioned, leaderPartitioned } from "./partitions";
import { restore } from "./restore";
import { lostQuorum } from "./lostQuorum";
import { restoreVerification } from "./restoreVerification";
import { rpo } from "./rpo";
import type { Scenario } from "./types";

export const SCENARIOS: Scenario[] = [formation, leaderKill, followerKill, majorityLoss, azLoss, frozenLeader, frozenLeaderLong, leaderPartitioned, followerPartitioned, asymmetricPartition, fullRestart, misconfiguration, restore, restoreVerification, lostQuorum, rpo];

/** Adds a scenario (refusing a duplicate id); it runs after the ones already registered. */
export function registerScenario(scenario: Scenario): void {
  if (SCENARIOS.some((s) => s.id === scenario.id)) throw new Error(`a drill scenario "${scenario.id}" is already registered`);
  SCENARIOS.push(scenario);
}

/** The scenario with this id or letter. */
export function findScenario(idOrLetter: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === idOrLetter || s.letter === idOrLetter);
}
