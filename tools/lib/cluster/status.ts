/**
 * Reading a master's own view of the cluster from `/cluster/status`, as SeaweedFS 4.44 really answers it:
 * `IsLeader` only on the leader, `Leader` with a `.grpcPort` suffix, `MaxVolumeId` omitted while it is 0.
 */
import { HttpAnswer, jsonOf } from "./http";

export interface MasterStatus {
  slot: number;
  /** The master answered `/cluster/status` at all. */
  reachable: boolean;
  isLeader: boolean;
  /** The leader's `ip:port` as this master sees it, without the gRPC suffix. */
  leader?: string;
  /** The slot of that leader, when it is one of this cluster's masters. */
  leaderSlot?: number;
  peers: string[];
  /** Absent when the master reports none (fresh cluster, or a follower still replaying its log). */
  maxVolumeId?: number;
}

interface ClusterStatusBody {
  IsLeader?: boolean;
  Leader?: string;
  Peers?: string[];
  MaxVolumeId?: number;
}

/** `127.1.1.10:9333.19333` -> `127.1.1.10:9333`. */
export function withoutGrpcSuffix(address: string): string {
  return address.replace(/^(.*:\d+)\.\d+$/, "$1");
}

export function parseClusterStatus(slot: number, answer: HttpAnswer, slotOfAddress: (address: string) => number | undefined): MasterStatus {
  const body = answer.status === 200 ? jsonOf<ClusterStatusBody>(answer) : undefined;
  if (!body) return { slot, reachable: false, isLeader: false, peers: [] };
  const leader = body.Leader ? withoutGrpcSuffix(body.Leader) : undefined;
  return {
    slot,
    reachable: true,
    isLeader: body.IsLeader === true,
    leader,
    leaderSlot: leader ? slotOfAddress(leader) : undefined,
    peers: body.Peers ?? [],
    maxVolumeId: body.MaxVolumeId,
  };
}

interface DirStatusBody {
  Topology?: { DataCenters?: { Racks?: { DataNodes?: { Url?: string }[] }[] }[] };
}

/**
 * The volume servers (`ip:port`) in a master's `/dir/status` topology. Only the leader registers a volume server,
 * while its heartbeat stream to it is open (a follower hands the stream back with the leader's address), so on
 * the leader this is the set of volume servers that heartbeat to it.
 */
export function parseDataNodes(answer: HttpAnswer): string[] {
  const body = answer.status === 200 ? jsonOf<DirStatusBody>(answer) : undefined;
  return (body?.Topology?.DataCenters ?? []).flatMap((dc) => (dc.Racks ?? []).flatMap((rack) => (rack.DataNodes ?? []).flatMap((node) => (node.Url ? [node.Url] : []))));
}
