/**
 * Raft membership arithmetic, written once: the quorum of a master count, the odd-count rule SeaweedFS enforces and
 * how many masters one failure domain may hold. Config validation, placement (AWS and Kubernetes), the renderer and
 * the policy pack all import these.
 */

/** SeaweedFS's own words when its peer list (plus itself) is even: `weed master` exits with this. */
export const EVEN_MASTERS_FATAL = "Only odd number of masters are supported";

/** Votes needed to elect a leader or commit an entry. */
export function quorumOf(masterCount: number): number {
  return Math.floor(masterCount / 2) + 1;
}

/** SeaweedFS runs only an odd number of masters. */
export function isValidMasterCount(masterCount: number): boolean {
  return Number.isInteger(masterCount) && masterCount >= 1 && masterCount % 2 === 1;
}

/** Why an even count is refused, for config errors and policy messages. */
export function evenCountProblem(masterCount: number): string {
  return `${masterCount} masters: SeaweedFS only runs an odd number of masters ("${EVEN_MASTERS_FATAL}"); use 3 or 5`;
}

/** The most masters one failure domain may hold so that losing it keeps quorum. */
export function maxPerFailureDomain(masterCount: number): number {
  return masterCount - quorumOf(masterCount);
}
