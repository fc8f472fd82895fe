/**
 * The hardened systemd unit that runs one master. The JWT signing key is never written into it nor into
 * security.toml (infra/seaweed/security.ts): systemd loads it at start from a root-only environment file that the
 * boot script fills from SSM, and SeaweedFS reads `[jwt.signing] key` from `WEED_JWT_SIGNING_KEY`.
 */
import { renderSecurityToml } from "../../seaweed/security";
import { HOST_PATHS } from "./paths";

/** The master unit's restart delay (`RestartSec=`); the drills' supervisor waits the same before a restart. */
export const MASTER_RESTART_SECONDS = 2;

/** Quotes one argument for a systemd `ExecStart=` line. */
function systemdQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, "\\$1")}"`;
}

/** The `ExecStart=` command line of a master: the binary and the rendered argv. */
export function execStart(args: readonly string[], binary: string = HOST_PATHS.binary): string {
  return [binary, ...args].map(systemdQuote).join(" ");
}

/**
 * The unit file. `args` come from `renderMasterArgs`, `environment` is set for weed (no secret: the key file is
 * separate); `-mdir` must lie under {@link HOST_PATHS.dataRoot}, the only
 * path the unit may write. `StartLimitIntervalSec=0`: without it systemd stops restarting weed after 5 failures in
 * 10 s (start-limit-hit) and a master that crash-looped through a short outage (a peer or the disk briefly gone)
 * stays down for good; with it, `Restart=always` keeps trying every `RestartSec`.
 */
export function renderMasterUnit(args: readonly string[], environment: Record<string, string> = {}): string {
  return `[Unit]
Description=SeaweedFS master (raft member)
Documentation=https://github.com/seaweedfs/seaweedfs/wiki/Failover-Master-Server
Wants=network-online.target
After=network-online.target ${mountUnitName(HOST_PATHS.dataRoot)}
RequiresMountsFor=${HOST_PATHS.dataRoot}
StartLimitIntervalSec=0

[Service]
Type=simple
User=${HOST_PATHS.user}
Group=${HOST_PATHS.user}
EnvironmentFile=${HOST_PATHS.secretEnvFile}
${Object.entries(environment).map(([k, v]) => `Environment=${k}=${v}\n`).join("")}WorkingDirectory=${HOST_PATHS.configDir}
ExecStart=${execStart(args)}
Restart=always
RestartSec=${MASTER_RESTART_SECONDS}
TimeoutStopSec=30
LimitNOFILE=65536
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ReadWritePaths=${HOST_PATHS.dataRoot}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
UMask=0077

[Install]
WantedBy=multi-user.target
`;
}

/** systemd's name for the mount unit of a path (`/var/lib/seaweedfs` -> `var-lib-seaweedfs.mount`). */
export function mountUnitName(path: string): string {
  return `${path.replace(/^\/+|\/+$/g, "").replace(/-/g, "\\x2d").replace(/\//g, "-")}.mount`;
}

/**
 * security.toml for a master host: the JWT key comes from the unit's root-only environment file; with `tls`, the
 * gRPC channels use the files the boot script wrote to {@link HOST_PATHS.tlsDir} (the drills map `dir` elsewhere).
 */
export function renderHostSecurityToml(options: { jwtExpiresAfterSeconds?: number; tls?: { clusterName: string; dir?: string } } = {}): string {
  const { tls, ...jwt } = options;
  return renderSecurityToml({
    ...jwt,
    keySource: `loaded by systemd from ${HOST_PATHS.secretEnvFile}`,
    ...(tls ? { tls: { clusterName: tls.clusterName, dir: tls.dir ?? HOST_PATHS.tlsDir } } : {}),
  });
}
