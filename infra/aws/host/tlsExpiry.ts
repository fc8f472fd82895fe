/**
 * The master host's certificate-expiry publisher: a script that reads the notAfter of the certificate weed serves
 * with (the file the boot script wrote, so what this host really runs, not what the stack last issued) and publishes
 * the days left to CloudWatch, run hourly by a systemd timer. Installed by the CloudWatch agent's setup script
 * (infra/aws/monitoring/agentSetup.ts), which lives in SSM: user data has no room left.
 */
import { HOST_PATHS } from "./paths";

export const TLS_EXPIRY_HOST = {
  script: "/usr/local/sbin/seaweedfs-tls-expiry",
  service: "seaweedfs-tls-expiry.service",
  timer: "seaweedfs-tls-expiry.timer",
  /** The certificate the master serves and dials with. */
  certificate: `${HOST_PATHS.tlsDir}/master.crt`,
} as const;

export interface TlsExpiryPublisher {
  namespace: string;
  metricName: string;
  /** The metric's dimensions (the slot's). */
  dimensions: Record<string, string>;
  /** @default {@link TLS_EXPIRY_HOST.certificate} */
  certificate?: string;
}

/** Single-quotes a value for bash. */
function q(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The publisher script: days (with three decimals) from now until the certificate's notAfter, as one
 * `aws cloudwatch put-metric-data` datapoint. A certificate it cannot read fails the run (systemd logs it into the
 * journal the agent ships); the alarm then sees no datapoint, which it counts as breaching.
 */
export function renderTlsExpiryScript(p: TlsExpiryPublisher): string {
  const dimensions = Object.entries(p.dimensions).map(([k, v]) => `${k}=${v}`).join(",");
  return `#!/bin/bash
# Publishes the days until this master's TLS certificate expires (docs/security.md).
set -euo pipefail
end=$(openssl x509 -enddate -noout -in ${q(p.certificate ?? TLS_EXPIRY_HOST.certificate)})
end=$(date -d "\${end#notAfter=}" +%s)
days=$(awk -v s="$((end - $(date +%s)))" 'BEGIN { printf "%.3f", s / 86400 }')
exec aws cloudwatch put-metric-data --namespace ${q(p.namespace)} --metric-name ${q(p.metricName)} --dimensions ${q(dimensions)} --value "$days"
`;
}

/**
 * The setup fragment (bash, root, `set -euo pipefail`, `AWS_DEFAULT_REGION` exported, paths under `$ROOT`): installs
 * the script, a oneshot service and an hourly timer (first run two minutes after boot), and starts the timer.
 */
export function renderTlsExpirySetup(p: TlsExpiryPublisher): string {
  return `# TLS certificate expiry: hourly days-to-expiry datapoint (${p.namespace} ${p.metricName})
install -d -m 0755 "\${ROOT:-}/usr/local/sbin"
cat > "\${ROOT:-}${TLS_EXPIRY_HOST.script}" <<'SCRIPT'
${renderTlsExpiryScript(p).trimEnd()}
SCRIPT
chmod 0755 "\${ROOT:-}${TLS_EXPIRY_HOST.script}"
cat > "\${ROOT:-}/etc/systemd/system/${TLS_EXPIRY_HOST.service}" <<UNIT
[Unit]
Description=Publish the days until the master's TLS certificate expires
[Service]
Type=oneshot
Environment=AWS_DEFAULT_REGION=$AWS_DEFAULT_REGION
ExecStart=${TLS_EXPIRY_HOST.script}
UNIT
cat > "\${ROOT:-}/etc/systemd/system/${TLS_EXPIRY_HOST.timer}" <<'UNIT'
[Unit]
Description=Hourly TLS certificate expiry datapoint
[Timer]
OnBootSec=2min
OnUnitActiveSec=1h
[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
systemctl enable --now ${TLS_EXPIRY_HOST.timer}
`;
}
