/**
 * What a live cluster's raft looks like from outside, sampled while something runs beside it: the leader every
 * master names, the highest term and the leader's membership. A verification that is isolated from the cluster must
 * leave all three as they were; a leak must show up here.
 */
import { ENDPOINTS } from "../../../infra/seaweed/constants";
import type { LocalCluster } from "../localCluster";
import { jsonOf, request, sleep } from "../cluster/http";
import { withoutGrpcSuffix } from "../cluster/status";

/** One look at the cluster. */
export interface RaftView {
  /** The leaders the masters name (sorted, distinct; empty entries for masters that know none). */
  leaders: string[];
  /** The highest raft term any master reports. */
  term: number;
  /** The membership (`Peers`) the masters report, each sorted, distinct. */
  memberships: string[];
}

/** Looks at every running master once. */
export async function raftView(cluster: LocalCluster): Promise<RaftView> {
  const slots = cluster.liveSlots();
  const looks = await Promise.all(
    slots.map(async (s) => {
      const url = cluster.master(s).httpUrl;
      const status = jsonOf<{ Leader?: string; Peers?: string[] }>(await request(`${url}${ENDPOINTS.clusterStatus}`));
      const raft = jsonOf<{ term?: string }>(await request(`${url}${ENDPOINTS.raftStats}`));
      return { leader: status?.Leader ? withoutGrpcSuffix(status.Leader) : "", peers: [...(status?.Peers ?? [])].sort().join(","), term: Number(raft?.term ?? 0) };
    }),
  );
  return {
    leaders: [...new Set(looks.map((l) => l.leader))].sort(),
    term: Math.max(0, ...looks.map((l) => l.term)),
    memberships: [...new Set(looks.map((l) => l.peers))].sort(),
  };
}

/** Samples {@link raftView} every `everyMs` until `stop()`; resolves every distinct view seen, in order. */
export function watchRaft(cluster: LocalCluster, everyMs = 200): { stop(): Promise<RaftView[]> } {
  const seen: RaftView[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const view = await raftView(cluster);
      const last = seen.at(-1);
      if (!last || JSON.stringify(last) !== JSON.stringify(view)) seen.push(view);
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}
