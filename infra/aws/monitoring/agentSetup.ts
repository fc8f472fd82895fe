/**
 * The boot step that installs (when missing) and starts the CloudWatch agent on a master from its SSM parameters,
 * and copies the master's journal into a file the agent ships (the agent reads files, not journald). It is a bash
 * script run as root under `set -euo pipefail` on Amazon Linux 2023 with the AWS CLI and `AWS_DEFAULT_REGION`
 * exported (the boot script's ssm_step does both). Every path it writes is taken under `$ROOT` (empty on an
 * instance, a scratch directory in tests), as in the boot script. It lives in an SSM parameter: the slot's user data
 * (limited to 16 KiB) only names it (a `BootStep`, run last: `dnf` is the likeliest step to fail).
 */
import { WATCHDOG_HOST } from "../host/watchdogUnit";
import { AGENT_PATHS, AgentParameterNames } from "./agentConfig";
import { HOST_PATHS } from "../host/paths";
import { renderTlsExpirySetup, TlsExpiryPublisher } from "../host/tlsExpiry";

const JOURNAL_EXPORT_UNIT = "seaweedfs-journal-export.service";

/** Single-quotes a value for bash. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A host path under `$ROOT`, quoted for bash. */
function rooted(path: string): string {
  return `"\${ROOT:-}"${shellQuote(path)}`;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/**
 * The fragment (the content of the setup-script parameter). Include it after the master unit is installed; it needs
 * `ssm:GetParameter` on both parameters (granted by the Monitoring component's role policy). With `tlsExpiry` it
 * also installs the hourly certificate-expiry publisher (infra/aws/host/tlsExpiry.ts), which writes into the
 * agent's namespace (same permission).
 */
export function renderAgentSetup(parameters: AgentParameterNames, tlsExpiry?: TlsExpiryPublisher): string {
  return `# CloudWatch agent: SeaweedFS /metrics, disk and memory use, weed journal
: "\${AWS_DEFAULT_REGION:?}"
[ -x ${rooted(AGENT_PATHS.ctl)} ] || dnf install -y amazon-cloudwatch-agent
install -d -m 0750 ${rooted(dirOf(AGENT_PATHS.journalFile))} ${rooted(dirOf(AGENT_PATHS.journalCursor))}
install -d -m 0755 ${rooted("/etc/systemd/system")} ${rooted("/etc/logrotate.d")} ${rooted(dirOf(AGENT_PATHS.scrapeConfig))}
cat > ${rooted(`/etc/systemd/system/${JOURNAL_EXPORT_UNIT}`)} <<'UNIT'
[Unit]
After=${HOST_PATHS.unitName}
[Service]
ExecStart=/usr/bin/journalctl --unit=${HOST_PATHS.unitName} --unit=${WATCHDOG_HOST.unitName} --follow --output=short-iso --cursor-file=${AGENT_PATHS.journalCursor}
StandardOutput=append:${AGENT_PATHS.journalFile}
Restart=always
RestartSec=5
[Install]
WantedBy=multi-user.target
UNIT
cat > ${rooted("/etc/logrotate.d/seaweedfs-master-journal")} <<'ROTATE'
${AGENT_PATHS.journalFile} {
daily
rotate 3
maxsize 100M
missingok
copytruncate
}
ROTATE
systemctl daemon-reload
systemctl enable --now ${JOURNAL_EXPORT_UNIT}
aws ssm get-parameter --name ${shellQuote(parameters.scrapeConfig)} --query Parameter.Value --output text > ${rooted(AGENT_PATHS.scrapeConfig)}
${rooted(AGENT_PATHS.ctl)} -a fetch-config -m ec2 -s -c ${shellQuote(`ssm:${parameters.agentConfig}`)}
${tlsExpiry ? renderTlsExpirySetup(tlsExpiry) : ""}`;
}
