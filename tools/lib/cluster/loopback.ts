/**
 * Where a local cluster lives on the loopback network. Each slot keeps its ports and gets its own address
 * `127.<network>.<zone index + 1>.<10 + slot>`, so a master's zone and slot read off its address; volume servers
 * sit at `127.<network>.100.<n>`. The `<network>` octet is chosen per cluster, so drills and tests of several
 * engineers can run side by side on one host (127.0.x.y is left to hand-run labs).
 */
import * as net from "node:net";

/** The loopback address of a slot. */
export function slotLoopbackIp(network: number, zoneIndex: number, slot: number): string {
  if (zoneIndex < 0 || zoneIndex > 98) throw new Error(`zone index ${zoneIndex} does not fit the loopback plan`);
  if (slot < 0 || slot > 240) throw new Error(`slot ${slot} does not fit the loopback plan`);
  return `127.${network}.${zoneIndex + 1}.${10 + slot}`;
}

/** The loopback address of the n-th (1-based) volume server. */
export function volumeLoopbackIp(network: number, n: number): string {
  return `127.${network}.100.${n}`;
}

/** An address that no slot uses, for one-off processes of a cluster (e.g. the misconfiguration drill). */
export function spareLoopbackIp(network: number, n: number): string {
  return `127.${network}.200.${n}`;
}

/** A TCP port of 127.0.0.1 that is free right now (for one-off local services: moto, a control plane). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `ip:port` can be bound right now. */
function bindable(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A network octet whose addresses are all free on the given ports, tried in a random order.
 * @param addressesOf the addresses a cluster would use on a network
 */
export async function pickLoopbackNetwork(addressesOf: (network: number) => string[], ports: number[]): Promise<number> {
  const candidates = Array.from({ length: 200 }, (_, i) => 32 + i).sort(() => Math.random() - 0.5);
  for (const network of candidates.slice(0, 20)) {
    const checks = addressesOf(network).flatMap((ip) => ports.map((port) => bindable(ip, port)));
    if ((await Promise.all(checks)).every(Boolean)) return network;
  }
  throw new Error(`no free loopback network found for ports ${ports.join(", ")} after 20 tries`);
}
