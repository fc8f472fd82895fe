/**
 * The unit heartbeat of a master host: every minute a systemd timer publishes, for each guarded unit (the watchdog,
 * the backup timer), 1 when systemd says it is active and 0 when it is not. A slot whose watchdog or backup timer is
 * not running then alarms (`slot-<n>-<unit>-not-running`, docs/monitoring.md) whatever stopped it: a boot step
 * that kept failing, a unit someone disabled. The alarm treats silence as failing too, so a heartbeat that was never
 * installed alarms as well. It is its own boot step, run before the CloudWatch agent's (whose `dnf install` is the
 * step most likely to fail), and publishes with the AWS CLI, not through the agent.
 */
import { WATCHDOG_HOST } from "../host/watchdogUnit";
import { BACKUP_UNITS } from "../host/backupNames";
import { METRIC_NAMESPACE, slotDimensions, UNIT_RUNNING } from "./metrics";

/** Where the heartbeat lives on a master host. */
export const HEARTBEAT_HOST = {
  script: "/usr/local/lib/seaweedfs/heartbeat.sh",
  service: "seaweedfs-heartbeat.service",
  timer: "seaweedfs-heartbeat.timer",
} as const;

/** The metric (in METRIC_NAMESPACE, with the slot's dimensions and `Unit`): 1 while the unit is active, else 0. */
export const UNIT_RUNNING_METRIC = { name: UNIT_RUNNING, dimension: "Unit" } as const;

/** A systemd unit whose absence the alarms must notice. */
export interface GuardedUnit {
  /** The `Unit` dimension and the alarm's id part, e.g. `watchdog`. */
  label: string;
  /** The systemd unit, e.g. `seaweedfs-watchdog.service`. */
  unit: string;
}

/**
 * The units a master must keep running: the backup timer always, the watchdog when it is on, and the backup change
 * watcher when backupOnChangeSeconds is not 0 (without it the RPO silently falls back to the timer's interval).
 */
export function guardedUnits(watchdogEnabled: boolean, backupOnChange: boolean): GuardedUnit[] {
  return [
    ...(watchdogEnabled ? [{ label: "watchdog", unit: WATCHDOG_HOST.unitName }] : []),
    { label: "backup-timer", unit: BACKUP_UNITS.timer },
    ...(backupOnChange ? [{ label: "backup-watch", unit: BACKUP_UNITS.watchService }] : []),
  ];
}

export interface HeartbeatOptions {
  clusterName: string;
  slot: number;
  /** The stack's region (the unit's environment names none). */
  region: string;
  units: readonly GuardedUnit[];
}

/** The script the timer runs: one PutMetricData with a sample per guarded unit. */
export function renderHeartbeatScript(o: HeartbeatOptions): string {
  const dimensions = Object.entries(slotDimensions(o.clusterName, o.slot)).map(([name, value]) => `{Name=${name},Value=${value}}`);
  return `#!/bin/bash
# Unit heartbeat of SeaweedFS master slot ${o.slot} of ${o.clusterName}, rendered by infra/aws/monitoring/heartbeat.ts:
# run every minute by ${HEARTBEAT_HOST.timer}; per guarded unit 1 when systemd says it is active, else 0.
set -euo pipefail
export AWS_DEFAULT_REGION="\${AWS_DEFAULT_REGION:-${o.region}}"
data=()
for guarded in ${o.units.map((u) => `${u.label}=${u.unit}`).join(" ")}; do
  running=0
  if systemctl is-active --quiet "\${guarded#*=}"; then running=1; fi
  data+=("MetricName=${UNIT_RUNNING_METRIC.name},Dimensions=[${dimensions.join(",")},{Name=${UNIT_RUNNING_METRIC.dimension},Value=\${guarded%%=*}}],Value=$running,Unit=Count")
done
aws cloudwatch put-metric-data --namespace ${METRIC_NAMESPACE} --metric-data "\${data[@]}"
`;
}

/** A oneshot service without privileges: `systemctl is-active` and the instance role's credentials need none. */
function renderHeartbeatService(): string {
  return `[Unit]
Description=SeaweedFS unit heartbeat (docs/monitoring.md)
[Service]
Type=oneshot
ExecStart=${HEARTBEAT_HOST.script}
DynamicUser=yes
NoNewPrivileges=yes
`;
}

function renderHeartbeatTimer(): string {
  return `[Unit]
Description=SeaweedFS unit heartbeat every minute
[Timer]
OnActiveSec=0
OnUnitActiveSec=60s
AccuracySec=5s
[Install]
WantedBy=timers.target
`;
}

/** The boot step of one slot (a BootStep kept in SSM: root, strict, paths under `$ROOT`): script, units, timer on. */
export function renderHeartbeatStep(o: HeartbeatOptions): string {
  const rooted = (path: string) => `"\${ROOT:-}"${path}`;
  const file = (path: string, text: string) => `cat >${rooted(path)} <<'SEAWEEDFS_HEARTBEAT'\n${text}SEAWEEDFS_HEARTBEAT`;
  return [
    `# Unit heartbeat of slot ${o.slot}, rendered by infra/aws/monitoring/heartbeat.ts`,
    `install -d ${rooted(HEARTBEAT_HOST.script.slice(0, HEARTBEAT_HOST.script.lastIndexOf("/")))} ${rooted("/etc/systemd/system")}`,
    file(HEARTBEAT_HOST.script, renderHeartbeatScript(o)),
    `chmod 0755 ${rooted(HEARTBEAT_HOST.script)}`,
    file(`/etc/systemd/system/${HEARTBEAT_HOST.service}`, renderHeartbeatService()),
    file(`/etc/systemd/system/${HEARTBEAT_HOST.timer}`, renderHeartbeatTimer()),
    "systemctl daemon-reload",
    `systemctl enable --now ${HEARTBEAT_HOST.timer}`,
    "",
  ].join("\n");
}

/** The SSM parameter holding one slot's heartbeat step. */
export function heartbeatStepParameterName(ssmPrefix: string, slot: number): string {
  return `${ssmPrefix.replace(/\/+$/, "")}/heartbeat/slot-${slot}/boot-step`;
}
