/**
 * Host packaging of the master watchdog (infra/seaweed/watchdog.ts renders the script): where it lives on an EC2
 * master and the systemd unit that runs it beside the master unit, restarting like the master does.
 */
import { MASTER_RESTART_SECONDS } from "./systemd";

/** Where the watchdog lives on a master host. */
export const WATCHDOG_HOST = {
  script: "/usr/local/lib/seaweedfs/watchdog.sh",
  unitName: "seaweedfs-watchdog.service",
  /** systemd creates /var/lib/<this> and passes it as STATE_DIRECTORY; the kill counter lives there. */
  stateDirectory: "seaweedfs-watchdog",
} as const;

/**
 * The systemd unit that runs the watchdog beside the master, as the master's user (it may signal its own uid). Like
 * the master unit it has no start limit: systemd's default (5 starts in 10 s) would end the restarts for good.
 */
export function renderWatchdogUnit(options: { user: string; masterUnit: string }): string {
  return `[Unit]
Description=SeaweedFS master watchdog (docs/failover.md)
After=${options.masterUnit}
StartLimitIntervalSec=0
[Service]
Type=simple
User=${options.user}
Group=${options.user}
ExecStart=${WATCHDOG_HOST.script}
StateDirectory=${WATCHDOG_HOST.stateDirectory}
SyslogIdentifier=seaweedfs-watchdog
Restart=always
RestartSec=${MASTER_RESTART_SECONDS}
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
[Install]
WantedBy=multi-user.target
`;
}
