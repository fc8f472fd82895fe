/**
 * A master's hashicorp raft state from `/raft/stats` (served only with `-raftHashicorp`: SeaweedFS 4.44 answers it
 * with hashicorp's `Raft.Stats()`, every value a string), for the drills that count elections or need to see that a
 * blank master bootstrapped.
 */
import { ENDPOINTS } from "../../../infra/seaweed/constants";
import { jsonOf, request } from "./http";
import type { LocalCluster } from "../localCluster";

export interface RaftStats {
  /** The current raft term: it grows by one with every election (a won vote or a failed one). */
  term: number;
  /** The index of the last entry in the raft log: 0 for a master that has never had any state. */
  lastLogIndex: number;
  /** Voters other than itself in its latest configuration (0 when it is not a voter of one). */
  numPeers: number;
}

interface StatsBody {
  term?: string;
  last_log_index?: string;
  num_peers?: string;
}

/** `/raft/stats` of one master; undefined when it does not answer with them. */
export async function raftStatsOf(cluster: LocalCluster, slot: number): Promise<RaftStats | undefined> {
  const body = jsonOf<StatsBody>(await request(`${cluster.master(slot).httpUrl}${ENDPOINTS.raftStats}`));
  const stats = { term: Number(body?.term), lastLogIndex: Number(body?.last_log_index), numPeers: Number(body?.num_peers) };
  return Object.values(stats).every((n) => Number.isFinite(n)) ? stats : undefined;
}

/** The highest raft term any running master reports: its growth over a drill phase counts the elections. */
export async function raftTerm(cluster: LocalCluster): Promise<number> {
  const stats = await Promise.all(cluster.liveSlots().map((s) => raftStatsOf(cluster, s)));
  const terms = stats.filter((s) => s !== undefined).map((s) => s.term);
  if (terms.length === 0) throw new Error(`no master answered ${ENDPOINTS.raftStats} with a term (hashicorp raft only)`);
  return Math.max(...terms);
}
