/**
 * security.toml for a master: JWT-signed writes with short-lived tokens and, when the stack turns it on, mutual TLS
 * on every gRPC channel (./tls.ts). No secret is in it: SeaweedFS reads `[jwt.signing] key` from the
 * `WEED_JWT_SIGNING_KEY` environment variable, which a systemd environment file (AWS) or a Secret (Kubernetes)
 * provides, and the TLS sections name files (the private key's file comes from a secret store), so this file can
 * live in user data or a ConfigMap.
 */
import { JWT_SIGNING_KEY_ENV } from "./constants";
import { renderTlsSections, TlsRole, TlsTomlOptions } from "./tls";

export interface SecurityTomlOptions {
  /** @default 10 */
  jwtExpiresAfterSeconds?: number;
  /** Where the platform loads the key from, for the file's comment (e.g. "loaded by systemd from /etc/..."). */
  keySource: string;
  /** Mutual TLS of the master's gRPC channels. @default off */
  tls?: Omit<TlsTomlOptions, "role">;
}

export function renderSecurityToml(options: SecurityTomlOptions): string {
  const jwt = `# SeaweedFS security settings for a master. The signing key is NOT here: it is read from the
# ${JWT_SIGNING_KEY_ENV} environment variable, ${options.keySource}.
[jwt.signing]
expires_after_seconds = ${options.jwtExpiresAfterSeconds ?? 10}
`;
  return options.tls ? `${jwt}\n${renderTlsSections({ ...options.tls, role: "master" })}` : jwt;
}

/** Whom a client security.toml is for. */
export type ClientRole = Exclude<TlsRole, "master">;

/**
 * security.toml for a client of the tier with mutual TLS: a volume server (which also needs the JWT key, from
 * `WEED_JWT_SIGNING_KEY`, to check writes), a filer, or an operator's `weed shell`. What the stack's `tls` output
 * hands to clients, and what the drills give their volume servers and shells.
 */
export function renderClientSecurityToml(options: { role: ClientRole; clusterName: string; dir: string; fileNames?: { cert: string; key: string } }): string {
  const jwt = options.role === "volume" ? `# The JWT signing key that checks writes is read from the ${JWT_SIGNING_KEY_ENV} environment variable.\n\n` : "";
  return `${jwt}${renderTlsSections(options)}`;
}
