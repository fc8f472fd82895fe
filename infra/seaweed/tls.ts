/**
 * Mutual TLS as SeaweedFS 4.44 does it, for the security.toml of every role of the tier (docs/security.md has the
 * source lines and the experiments behind each fact): one `[grpc] ca` bundle, and per gRPC server section a `cert`,
 * a `key` and an `allowed_commonNames` list of the callers it accepts. Every gRPC channel that reaches a master
 * (raft between masters, volume-server heartbeats, filers' and `weed shell`'s KeepConnected and admin calls) goes
 * to the one `[grpc.master]` server, so its list is the union of those callers: 4.44 has no per-RPC authorization.
 * The master's HTTP API (`[https.master]`) is not rendered: with a client CA it refuses the load balancer's and the
 * kubelet's health checks (they carry no client certificate), and followers then fail to proxy `/dir/assign` to
 * the leader unless every master also sets `[https.client]` (both seen on real weed, docs/security.md).
 */

/** The identities that hold a certificate of the stack's CA. Masters hold one each (their address in its SANs). */
export const TLS_ROLES = ["master", "volume", "filer", "admin"] as const;
export type TlsRole = (typeof TLS_ROLES)[number];

/** The roles of the tier's clients; each gets one certificate per stack (masters get one each). */
export const CLIENT_ROLES = ["volume", "filer", "admin"] as const satisfies readonly TlsRole[];

/** The gRPC servers of the tier whose section this project renders. */
export type GrpcServerRole = Exclude<TlsRole, "admin">;

/** An extended key usage SeaweedFS's advancedtls verification checks (server side: clientAuth; client side: serverAuth). */
export type KeyUsage = "serverAuth" | "clientAuth";

/**
 * What each role's certificate must allow. Both sides check the extended key usage (a serverAuth-only certificate
 * is refused as a client, a clientAuth-only one as a server: seen on real weed), so an operator's certificate is
 * clientAuth only and cannot stand in for a server.
 */
export const ROLE_KEY_USAGES: Record<TlsRole, readonly KeyUsage[]> = {
  master: ["serverAuth", "clientAuth"],
  volume: ["serverAuth", "clientAuth"],
  filer: ["serverAuth", "clientAuth"],
  admin: ["clientAuth"],
};

/**
 * The security.toml section a role's process takes its own certificate from, for serving and for dialing:
 * `weed master` serves and dials (raft, its master client) with `[grpc.master]` (weed/command/master.go:215,262,
 * weed/server/master_server.go:134); `weed volume` with `[grpc.volume]` (weed/command/volume.go:571,
 * weed/server/volume_server.go:106, volume_grpc_client_to_master.go:111); `weed filer` with `[grpc.filer]`
 * (weed/command/filer.go:448, weed/server/filer_server.go:184); `weed shell` and the other client commands dial
 * with `[grpc.client]` (weed/command/shell.go:43).
 */
export const ROLE_SECTIONS: Record<TlsRole, string> = {
  master: "grpc.master",
  volume: "grpc.volume",
  filer: "grpc.filer",
  admin: "grpc.client",
};

/**
 * Who may open a connection to each gRPC server (its `allowed_commonNames`, as roles). The master's port carries
 * raft (masters), heartbeats (volume servers), KeepConnected (filers, shells) and the admin RPCs (shells); volume
 * servers are called by masters (volume growth, vacuum), by each other (replica copies), by filers and by shells;
 * filers by each other (sync) and by shells.
 */
export const GRPC_CALLERS: Record<GrpcServerRole, readonly TlsRole[]> = {
  master: ["master", "volume", "filer", "admin"],
  volume: ["master", "volume", "filer", "admin"],
  filer: ["filer", "admin"],
};

/**
 * The channels that reach a master's gRPC port, who opens them, and so what `[grpc.master]` protects (all of them:
 * one port, one server, one `allowed_commonNames`).
 */
export const MASTER_GRPC_CHANNELS = [
  { id: "raft", description: "raft between masters (hashicorp raft over gRPC: votes, log replication)", callers: ["master"] },
  { id: "heartbeat", description: "volume-server heartbeats (SendHeartbeat streams to the leader)", callers: ["volume"] },
  { id: "keep-connected", description: "KeepConnected of filers, shells and the masters' own master clients", callers: ["master", "filer", "admin"] },
  { id: "admin", description: "raft membership, leadership transfer and volume administration from weed shell", callers: ["admin", "master"] },
] as const satisfies readonly { id: string; description: string; callers: readonly TlsRole[] }[];

/**
 * The TLS versions the gRPC servers accept (`[tls] min_version`, `max_version`): 1.3 only, every party is a Go
 * `weed`. Both are set: with only a minimum, advancedtls refuses the options ("the minimum TLS version is larger
 * than the maximum TLS version", as max 0 means unset there) and LoadServerTLS then returns no credentials, so the
 * master serves gRPC in plain text (weed/security/tls.go:115-124,141-145; seen on real weed 4.44).
 */
export const TLS_VERSIONS = { min: "TLS 1.3", max: "TLS 1.3" } as const;

/** The common name of a role's certificates in a cluster; `allowed_commonNames` lists these. */
export function tlsCommonName(clusterName: string, role: TlsRole): string {
  return `${clusterName}-${role}`;
}

/** File names inside a role's TLS directory. */
export const TLS_FILES = {
  /** The CA bundle: the stack's CA, and during a CA rotation the old and the new one. */
  caBundle: "ca.crt",
  cert: (role: TlsRole) => `${role}.crt`,
  key: (role: TlsRole) => `${role}.key`,
} as const;

/**
 * The environment variable overriding a security.toml key: SeaweedFS's viper reads every key from `WEED_<KEY>`
 * with dots replaced by underscores (weed/util/config.go GetViper: AutomaticEnv, prefix "weed").
 */
export function securityTomlEnv(key: string): string {
  return `WEED_${key.replace(/\./g, "_").toUpperCase()}`;
}

export interface TlsTomlOptions {
  clusterName: string;
  /** Whose security.toml this is. */
  role: TlsRole;
  /** Absolute directory holding {@link TLS_FILES} for this role. */
  dir: string;
  /** The certificate's and key's file names in `dir` (e.g. a Kubernetes TLS Secret's `tls.crt`). @default {@link TLS_FILES} */
  fileNames?: { cert: string; key: string };
  /**
   * The certificate and key paths are set per process through {@link tlsIdentityEnvironment} instead of in the
   * file (a StatefulSet's pods share one ConfigMap but each has its own certificate). @default false
   */
  identityFromEnvironment?: boolean;
}

/** The sections a role's process dials and serves with (a master also runs `weed shell` with its own identity). */
function identitySections(role: TlsRole): string[] {
  return role === "master" ? [ROLE_SECTIONS.master, ROLE_SECTIONS.admin] : [ROLE_SECTIONS[role]];
}

/** `[grpc]`, `[tls]` and the role's own sections of security.toml. */
export function renderTlsSections(options: TlsTomlOptions): string {
  const { clusterName, role, dir } = options;
  const lines = [
    "# Mutual TLS on every gRPC channel (docs/security.md): SeaweedFS serves and dials with these files.",
    "[grpc]",
    `ca = "${dir}/${TLS_FILES.caBundle}"`,
    "",
    "[tls]",
    `min_version = "${TLS_VERSIONS.min}"`,
    `max_version = "${TLS_VERSIONS.max}"`,
  ];
  for (const section of identitySections(role)) {
    lines.push("", `[${section}]`);
    if (options.identityFromEnvironment) {
      lines.push(`# cert and key: ${securityTomlEnv(`${section}.cert`)} and ${securityTomlEnv(`${section}.key`)}, set per process.`);
    } else {
      const files = options.fileNames ?? { cert: TLS_FILES.cert(role), key: TLS_FILES.key(role) };
      lines.push(`cert = "${dir}/${files.cert}"`, `key = "${dir}/${files.key}"`);
    }
    const server = (Object.keys(GRPC_CALLERS) as GrpcServerRole[]).find((r) => ROLE_SECTIONS[r] === section);
    if (server) lines.push(`allowed_commonNames = "${GRPC_CALLERS[server].map((caller) => tlsCommonName(clusterName, caller)).join(",")}"`);
  }
  return `${lines.join("\n")}\n`;
}

/** The environment that gives one process its certificate when {@link TlsTomlOptions.identityFromEnvironment} is set. */
export function tlsIdentityEnvironment(role: TlsRole, files: { cert: string; key: string }): Record<string, string> {
  return Object.fromEntries(identitySections(role).flatMap((section) => [
    [securityTomlEnv(`${section}.cert`), files.cert],
    [securityTomlEnv(`${section}.key`), files.key],
  ]));
}

/**
 * The variable that sets how often SeaweedFS re-reads certificate, key and CA files (weed/security/certreload/
 * certreload.go:25-42; default 5 h): a rotated file then takes effect without a restart.
 */
export const TLS_RELOAD_ENV = "WEED_TLS_CERT_REFRESH_INTERVAL";

/** The environment of a TLS process that re-reads its files every `seconds`. */
export function tlsReloadEnvironment(seconds: number): Record<string, string> {
  return { [TLS_RELOAD_ENV]: `${seconds}s` };
}

/** The sections of a security.toml as SeaweedFS's viper reads the flat files this project renders. */
export function securityTomlValues(toml: string): Map<string, string> {
  const values = new Map<string, string>();
  let section = "";
  for (const raw of toml.split("\n")) {
    const line = raw.trim();
    const header = /^\[([\w.]+)\]$/.exec(line);
    if (header) section = header[1];
    const pair = /^(\w+)\s*=\s*"?([^"]*)"?$/.exec(line);
    if (pair && section) values.set(`${section}.${pair[1]}`, pair[2]);
  }
  return values;
}

/**
 * Why a master's security settings leave its gRPC port (raft, heartbeats, KeepConnected, admin calls) without mutual
 * TLS; empty when every channel of it is protected. `environment` holds the `WEED_*` variables of the process, which
 * override the file. Each case is one where weed 4.44 serves gRPC in plain text, silently: no `[grpc] ca`, no
 * `[grpc.master]` cert or key (weed/security/tls.go:73-79), a TLS minimum without a maximum (tls.go:115-124,141-145);
 * or accepts every certificate of the CA (no `allowed_commonNames`, tls.go:126-139).
 */
export function masterTlsProblems(toml: string, environment: Record<string, string> = {}): string[] {
  const file = securityTomlValues(toml);
  const value = (key: string) => environment[securityTomlEnv(key)] ?? file.get(key) ?? "";
  const problems: string[] = [];
  if (!value("grpc.ca")) problems.push("no [grpc] ca: the masters serve gRPC in plain text");
  for (const key of ["cert", "key"]) if (!value(`grpc.master.${key}`)) problems.push(`no [grpc.master] ${key}: the masters serve gRPC in plain text`);
  if (value("tls.min_version") && !value("tls.max_version")) problems.push("[tls] min_version without max_version: weed 4.44 then drops TLS and serves gRPC in plain text");
  if (!value("grpc.master.allowed_commonNames")) problems.push("no [grpc.master] allowed_commonNames: any certificate of the CA may call every master RPC");
  return problems;
}
