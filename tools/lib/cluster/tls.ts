/**
 * The drill cluster's TLS material: a CA and certificates minted by the program's own issuance code (infra/tls/x509,
 * what the dynamic resources run on `pulumi up`), one per master (its loopback address and its deployed identity as
 * subject alternative names) and one per client role, written as the files the rendered security.toml names. The
 * attack drills mint foreign and misnamed certificates here too.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { caCommonName } from "../../../infra/tls/stackCertificates";
import { caBundle, createCertificateAuthority, issueCertificate, IssuedPem, PemPair } from "../../../infra/tls/x509";
import { CLIENT_ROLES, ROLE_KEY_USAGES, TLS_FILES, tlsCommonName, TlsRole } from "../../../infra/seaweed/tls";
import type { StackSettings } from "../../../infra/platforms";

/** The drill's certificates: generous lifetimes, a drill never outlives them. */
const DRILL_VALIDITY_DAYS = 30;

export interface LocalTls {
  clusterName: string;
  /** The issuing CA (certificate and key): rotations and attacks issue from it or replace it. */
  ca: IssuedPem;
  /** What every party trusts (`[grpc] ca`). */
  bundle: string;
  /** Per master slot. */
  masters: Map<number, IssuedPem>;
  /** Per client role. */
  clients: Record<(typeof CLIENT_ROLES)[number], IssuedPem>;
}

/** A master's identity for its certificate: the loopback address it runs on and the host it stands for. */
export interface MasterIdentity {
  slot: number;
  ip: string;
  deployedHost: string;
}

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** A certificate for `role` from `ca`, with `sans` (IPv4 addresses and DNS names) as subject alternative names. */
export function issueFor(ca: PemPair, clusterName: string, role: TlsRole, sans: readonly string[] = [], commonName = tlsCommonName(clusterName, role)): Promise<IssuedPem> {
  return issueCertificate({
    ca,
    commonName,
    ipAddresses: sans.filter((s) => IPV4.test(s)),
    dnsNames: sans.filter((s) => !IPV4.test(s)),
    usages: ROLE_KEY_USAGES[role],
    validityDays: DRILL_VALIDITY_DAYS,
  });
}

/** A new CA of generation `generation` for the stack. */
export function drillCa(clusterName: string, generation = 1): Promise<IssuedPem> {
  return createCertificateAuthority({ commonName: caCommonName(clusterName, generation), validityDays: DRILL_VALIDITY_DAYS });
}

/** Every certificate a drill cluster of `config` needs. */
export async function issueLocalTls(config: StackSettings, masters: readonly MasterIdentity[]): Promise<LocalTls> {
  const ca = await drillCa(config.clusterName);
  const issued = await Promise.all(masters.map((m) => issueFor(ca, config.clusterName, "master", [...new Set([m.ip, m.deployedHost])])));
  const clients = Object.fromEntries(await Promise.all(CLIENT_ROLES.map(async (role) => [role, await issueFor(ca, config.clusterName, role)] as const)));
  return {
    clusterName: config.clusterName,
    ca,
    bundle: caBundle([ca.certPem]),
    masters: new Map(masters.map((m, i) => [m.slot, issued[i]])),
    clients: clients as LocalTls["clients"],
  };
}

/**
 * Writes a role's TLS directory (`<dir>/ca.crt`, `<role>.crt`, `<role>.key`, the key 0600) and returns it.
 * @param identity the certificate and key; omitted: only the CA bundle (a party that trusts the CA but has no key)
 */
export function writeTlsDir(dir: string, role: TlsRole, bundle: string, identity?: PemPair): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, TLS_FILES.caBundle), bundle);
  if (identity) {
    fs.writeFileSync(path.join(dir, TLS_FILES.cert(role)), identity.certPem);
    fs.writeFileSync(path.join(dir, TLS_FILES.key(role)), identity.keyPem, { mode: 0o600 });
  }
  return dir;
}
