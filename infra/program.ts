/**
 * The platform a stack deploys, from a validated config: the master tier and its outputs.
 */
import { peerList } from "./seaweed/cluster";
import type { SeaweedConfig } from "./config";

/** Builds every resource of the stack and returns its outputs. */
export async function seaweedPlatform(config: SeaweedConfig): Promise<Record<string, unknown>> {
  const { topology } = config;
  return {
    slots: topology.slots.map((s) => ({ slot: s.slot, name: s.name, az: s.az, ip: s.ip, subnetCidr: s.subnet.cidr })),
    masterAddresses: peerList(topology.slots, config.httpPort).join(","),
    quorum: topology.quorum,
    toleratedFailures: topology.toleratedFailures,
    azLoss: topology.azLoss,
  };
}
