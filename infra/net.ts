/** Small, pure IPv4 arithmetic for subnets and fixed master addresses. */

/** An IPv4 CIDR block as numbers. */
export interface Cidr {
  base: number;
  prefix: number;
  size: number;
}

/** The address as an unsigned 32-bit number, or undefined when the text is not a dotted quad. */
export function parseIpv4(text: string): number | undefined {
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!parts) return undefined;
  const octets = parts.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

/** The block, or undefined when the text is not `a.b.c.d/n` with the host bits zero. */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const base = parseIpv4(match[1]);
  const prefix = Number(match[2]);
  if (base === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined;
  return { base, prefix, size };
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return ip >= cidr.base && ip < cidr.base + cidr.size;
}

export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContains(outer, inner.base);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.base) || cidrContains(b, a.base);
}

/** AWS reserves the first four addresses and the last one of every subnet. */
export function isAwsReserved(cidr: Cidr, ip: number): boolean {
  const offset = ip - cidr.base;
  return offset < 4 || offset === cidr.size - 1;
}

/** The `index`-th block of `newPrefix` inside `parent` (e.g. the third /20 of a /16). */
export function carveSubnet(parent: Cidr, newPrefix: number, index: number): string {
  const size = 2 ** (32 - newPrefix);
  return `${formatIpv4(parent.base + index * size)}/${newPrefix}`;
}

/** The address `offset` places after the subnet's base address. */
export function addressAt(cidr: Cidr, offset: number): string {
  return formatIpv4(cidr.base + offset);
}
