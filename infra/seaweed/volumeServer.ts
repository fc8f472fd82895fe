/**
 * `weed volume` command lines. The project deploys no volume servers, but the drills start two so that file ids can
 * be assigned and written; their flags live here with the master's so that SeaweedFS flags are spelled once.
 */
import { peerList, SlotAddress } from "./cluster";

/** HTTP port of a drill volume server; its gRPC port is this + 10000, as for masters. */
export const VOLUME_SERVER_PORT = 8080;

/** Where a volume server sits in SeaweedFS's placement tree (what `-defaultReplication` counts copies across). */
export interface VolumePlacement {
  dataCenter: string;
  rack: string;
}

/**
 * Placements for `count` volume servers such that volumes with `replication` (`xyz`: copies in x other data
 * centers, y other racks, z other servers of the same rack) can grow.
 *
 * @throws when the replication needs more copies than there are servers.
 */
export function volumePlacements(replication: string, count: number): VolumePlacement[] {
  const [otherDataCenters, otherRacks, sameRack] = replication.split("").map(Number);
  const copies = 1 + otherDataCenters + otherRacks + sameRack;
  if (copies > count) {
    throw new Error(`defaultReplication ${replication} needs ${copies} volume servers, the drill runs ${count}`);
  }
  return Array.from({ length: count }, (_, i) => ({
    dataCenter: otherDataCenters > 0 ? `dc${i + 1}` : "dc1",
    rack: otherDataCenters === 0 && otherRacks > 0 ? `rack${i + 1}` : "rack1",
  }));
}

/** Everything that decides one volume server's command line. */
export interface VolumeServerOptions {
  ip: string;
  dir: string;
  /** Every master, as `-peers` lists them. */
  masters: readonly SlotAddress[];
  masterPort: number;
  placement: VolumePlacement;
  /** Volume slots on this server. */
  maxVolumes: number;
}

/** The `weed` argv (without the binary) of a volume server that follows every master of a cluster. */
export function renderVolumeServerArgs(options: VolumeServerOptions): string[] {
  return [
    "volume",
    `-ip=${options.ip}`,
    `-port=${VOLUME_SERVER_PORT}`,
    `-master=${peerList(options.masters, options.masterPort).join(",")}`,
    `-dir=${options.dir}`,
    `-max=${options.maxVolumes}`,
    `-dataCenter=${options.placement.dataCenter}`,
    `-rack=${options.placement.rack}`,
  ];
}
