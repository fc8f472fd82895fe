/**
 * Volume growths as the changes a restore can lose, for the drills that measure an RPO (lost-quorum, rpo): each grow
 * recorded with its time and the MaxVolumeId it raised, the RPO of a recovered state (the loss time minus the first
 * change it lacks) and the proof, once the volume servers are back, that no volume id is issued again.
 */
import type { LocalCluster } from "../localCluster";
import { poll, request } from "../cluster/http";
import { expect } from "./types";

/** A volume growth the drill made: when, and the MaxVolumeId the leader then reported. */
export interface VolumeChange {
  at: number;
  maxVolumeId: number;
}

/** Grows one volume through the leader and records the change. */
export async function grow(cluster: LocalCluster, changes: VolumeChange[]): Promise<number> {
  const leader = await cluster.waitForLeader({ timeoutMs: 30_000 });
  expect(leader !== undefined, "no leader to grow a volume through");
  const answer = await request(`${cluster.master(leader).httpUrl}/vol/grow?count=1&replication=${cluster.config.defaultReplication}`, { timeoutMs: 10_000 });
  expect(answer.status === 200, `growing a volume failed: HTTP ${answer.status} ${answer.body}`);
  const { maxVolumeId } = await cluster.dirStatus();
  changes.push({ at: Date.now(), maxVolumeId });
  return maxVolumeId;
}

/** The loss time minus the first change the recovered state lacks (0 when it lacks none), in ms. */
export function rpoOf(changes: readonly VolumeChange[], recovered: number, lossAt: number): number {
  const lacking = changes.filter((c) => c.at <= lossAt && c.maxVolumeId > recovered);
  return lacking.length === 0 ? 0 : lossAt - Math.min(...lacking.map((c) => c.at));
}

/**
 * Volume servers back until a write works (its time returned); then two volumes grown, each above `above`.
 * @param awaitReported first wait (up to 60 s) until the leader reports at least this MaxVolumeId, as the restore
 * runbook's step 5 asks before volumes grow again: until every volume server has reported, a grow can reissue the id
 * of a volume the restored state lacks. @default no wait (grow at once: the strictest case)
 */
export async function backInService(cluster: LocalCluster, above: number, changes: VolumeChange[], awaitReported?: number): Promise<{ writableAt: number; grown: number[] }> {
  await cluster.start(undefined, 90_000);
  const writableAt = Date.now();
  if (awaitReported !== undefined) {
    const reported = await poll(async () => ((await cluster.dirStatus()).maxVolumeId >= awaitReported ? true : undefined), 60_000, 250);
    expect(reported, `the volume servers did not raise MaxVolumeId to ${awaitReported} within 60 s of their start`);
  }
  const grown = [await grow(cluster, changes), await grow(cluster, changes)];
  expect(grown.every((id) => id > above), `a volume id was issued again: grown ${grown.join(", ")}, not above ${above}`);
  return { writableAt, grown };
}
