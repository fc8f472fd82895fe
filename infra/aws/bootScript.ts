/**
 * The boot script (EC2 user data) of one master slot: it gives a fresh instance the slot's fixed identity and
 * state, then starts the master. The SeaweedFS parts (argv, systemd unit, security.toml, host paths) come from
 * `infra/seaweed`; this file only adds the AWS wiring. The script is idempotent and installs itself as a cloud-init
 * per-boot script, so a reboot runs it again. It carries no secret: the JWT key is read from SSM at boot.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { JWT_SIGNING_KEY_ENV } from "../seaweed/constants";
import { HOST_PATHS } from "./host/paths";
import { renderMasterUnit, renderHostSecurityToml } from "./host/systemd";
import { tlsReloadEnvironment } from "../seaweed/tls";
import { addressAt, parseCidr } from "../net";
import { ROLES, SECURITY_TOML_HEREDOC, TAG_KEYS } from "./naming";

/**
 * The script's functions and `main` (infra/aws/bootScript.sh); they read the settings rendered above them.
 * Indentation, comment and blank lines are dropped (the library has no heredocs): user data is capped at 16 KiB,
 * and the monitoring and backup steps share it.
 */
const BOOT_FUNCTIONS = fs
  .readFileSync(path.join(__dirname, "bootScript.sh"), "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "" && !line.startsWith("#"))
  .join("\n");

/** Device name the data volume is attached as (Nitro instances show it as an NVMe device with the volume id). */
export const DATA_VOLUME_DEVICE = "/dev/sdf";
/** The slot's network interface is the instance's second one. */
export const SLOT_INTERFACE_INDEX = 1;
/** Policy-routing table for traffic from the slot's address (so replies leave through the slot's interface). */
export const SLOT_ROUTE_TABLE = 1001;
/** Where cloud-init runs scripts on every boot. */
export const PER_BOOT_SCRIPT = "/var/lib/cloud/scripts/per-boot/seaweedfs-master.sh";

export interface BootScriptArgs {
  clusterName: string;
  /** The slot this instance takes over: number, zone, fixed IP and subnet. */
  slot: { slot: number; az: string; ip: string; subnetCidr: string };
  /** The master's argv, exactly as `renderClusterMasters` rendered it for this slot. */
  masterArgs: readonly string[];
  /** The pinned weed artifact: `https://` or `s3://` URL, its sha256 and the release `weed version` must report. */
  weed: { url: string; sha256: string; version: string };
  /** SSM SecureString holding the JWT signing key. */
  jwtParameterName: string;
  /**
   * Mutual TLS: the cluster's name (for the certificates' common names) and the slot's SSM parameters: CA bundle and
   * certificate (String), private key (SecureString). @default TLS off
   */
  tls?: { clusterName: string; caParameter: string; certParameter: string; keyParameter: string; reloadSeconds: number };
  /** How long to wait for a predecessor to release the interface and volume. @default 600 */
  attachTimeoutSeconds: number;
  /** Seconds between two looks at a held interface or volume. @default 5 */
  pollSeconds?: number;
  /**
   * Seconds a holder may stay `shutting-down` before it counts as dead and its attachments are force-detached
   * (a terminated holder is force-detached at once). @default 180
   */
  holderShutdownSeconds?: number;
  /**
   * Bash fragments run after the master has started, in order (e.g. the monitoring agent's setup). Each runs as
   * root under `set -euo pipefail`, must be idempotent (the script runs on every boot) and must hold no secret.
   * @default []
   */
  extraSteps?: readonly string[];
}

/**
 * A boot step whose script lives in an SSM parameter, as user data is limited to 16 KiB: fetched with the boot
 * script's retried `aws_call` into `hostPath`, then run. It must follow the boot script's main; the
 * instance role needs `ssm:GetParameter` on the parameter.
 */
export function ssmBootStep(what: string, parameterName: string, hostPath: string): string {
  const target = `"\${ROOT:-}"${q(hostPath)}`;
  return [
    `# ${what}: its script lives in SSM parameter ${parameterName}`,
    `install -d -m 0755 "\${ROOT:-}"${q(hostPath.slice(0, hostPath.lastIndexOf("/")))}`,
    `aws_call ssm get-parameter --name ${q(parameterName)} --query Parameter.Value --output text > ${target}`,
    `bash ${target}`,
    "",
  ].join("\n");
}

/** Single-quotes a value for bash. */
function q(value: string | number): string {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/** A quoted heredoc whose delimiter cannot occur in the content. */
function heredoc(delimiter: string, content: string): string {
  if (content.split("\n").includes(delimiter)) throw new Error(`heredoc content contains its delimiter ${delimiter}`);
  return `<<'${delimiter}'\n${content.endsWith("\n") ? content : `${content}\n`}${delimiter}`;
}

/** The whole user-data script of one slot. */
export function renderBootScript(args: BootScriptArgs): string {
  const { clusterName, slot, masterArgs, weed, jwtParameterName, attachTimeoutSeconds } = args;
  const subnet = parseCidr(slot.subnetCidr);
  if (!subnet) throw new Error(`slot ${slot.slot}: ${slot.subnetCidr} is not a CIDR block`);
  const settings: [string, string | number][] = [
    ["CLUSTER", clusterName],
    ["SLOT", slot.slot],
    ["SLOT_AZ", slot.az],
    ["SLOT_IP", slot.ip],
    ["SUBNET_CIDR", slot.subnetCidr],
    ["SUBNET_PREFIX", subnet.prefix],
    // AWS puts every subnet's router at its base address + 1.
    ["SUBNET_GATEWAY", addressAt(subnet, 1)],
    ["TAG_CLUSTER", TAG_KEYS.cluster],
    ["TAG_SLOT", TAG_KEYS.slot],
    ["TAG_ROLE", TAG_KEYS.role],
    ["ENI_ROLE", ROLES.networkInterface],
    ["VOLUME_ROLE", ROLES.dataVolume],
    ["ATTACH_TIMEOUT_SECONDS", attachTimeoutSeconds],
    ["POLL_SECONDS", args.pollSeconds ?? 5],
    ["HOLDER_SHUTDOWN_SECONDS", args.holderShutdownSeconds ?? 180],
    // Tries of one AWS call before the boot gives up: with the backoff, about a minute.
    ["AWS_ATTEMPTS", 6],
    ["VOLUME_DEVICE", DATA_VOLUME_DEVICE],
    ["INTERFACE_INDEX", SLOT_INTERFACE_INDEX],
    ["ROUTE_TABLE", SLOT_ROUTE_TABLE],
    ["WEED_URL", weed.url],
    ["WEED_SHA256", weed.sha256],
    ["WEED_VERSION", weed.version],
    ["JWT_PARAMETER", jwtParameterName],
    ["JWT_ENV", JWT_SIGNING_KEY_ENV],
    // Empty without TLS: write_tls then does nothing.
    ["TLS_DIR", args.tls ? HOST_PATHS.tlsDir : ""],
    ["TLS_CA_PARAMETER", args.tls?.caParameter ?? ""],
    ["TLS_CERT_PARAMETER", args.tls?.certParameter ?? ""],
    ["TLS_KEY_PARAMETER", args.tls?.keyParameter ?? ""],
    ["BINARY", HOST_PATHS.binary],
    ["CONFIG_DIR", HOST_PATHS.configDir],
    ["SECURITY_TOML", HOST_PATHS.securityToml],
    ["SECRET_ENV_FILE", HOST_PATHS.secretEnvFile],
    ["DATA_ROOT", HOST_PATHS.dataRoot],
    ["MDIR", HOST_PATHS.mdir],
    ["UNIT_NAME", HOST_PATHS.unitName],
    ["SERVICE_USER", HOST_PATHS.user],
    ["SERVICE_UID", HOST_PATHS.uid],
    ["SERVICE_GID", HOST_PATHS.gid],
    ["PER_BOOT_SCRIPT", PER_BOOT_SCRIPT],
  ];
  const mdir = masterArgs.find((a) => a.startsWith("-mdir="))?.slice("-mdir=".length);
  if (mdir !== HOST_PATHS.mdir) throw new Error(`slot ${slot.slot}: the master's -mdir (${mdir}) must be ${HOST_PATHS.mdir}, on the data volume`);
  return [
    "#!/bin/bash",
    `# SeaweedFS master slot ${slot.slot} of ${clusterName}: take over the slot's network interface and data volume,`,
    "# mount the data, install the pinned weed, fetch the JWT key from SSM, start the master. Safe to re-run.",
    "# Rendered by infra/aws/bootScript.ts from infra/seaweed; do not edit on the host.",
    "set -euo pipefail",
    "shopt -s inherit_errexit",
    "umask 022",
    "# Every file path is taken under $ROOT: empty on an instance, a scratch directory in tests.",
    'ROOT="${SEAWEED_BOOT_ROOT:-}"',
    `readonly ${settings.map(([name, value]) => `${name}=${q(value)}`).join(" \\\n")}`,
    "write_security_toml() {",
    `  install_file "$SECURITY_TOML" 0644 ${heredoc(SECURITY_TOML_HEREDOC, renderHostSecurityToml(args.tls ? { tls: { clusterName: args.tls.clusterName } } : {}))}`,
    "}",
    "write_master_unit() {",
    `  install_file "/etc/systemd/system/$UNIT_NAME" 0644 ${heredoc("SEAWEEDFS_MASTER_UNIT", renderMasterUnit(masterArgs, args.tls ? tlsReloadEnvironment(args.tls.reloadSeconds) : {}))}`,
    "}",
    BOOT_FUNCTIONS.trimEnd(),
    'main "$@"',
    ...(args.extraSteps ?? []).map((step) => step.trimEnd()),
    "",
  ].join("\n");
}
