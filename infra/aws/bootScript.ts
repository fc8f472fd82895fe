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
 * Indentation, comment and blank lines are dropped (the library has no heredocs): user data is capped at 16 KiB.
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
/** The systemd-networkd drop-in that keeps the slot's policy-routing rule and table across networkd restarts. */
export const NETWORKD_DROP_IN = "/etc/systemd/networkd.conf.d/60-seaweedfs-slot-routing.conf";
/** Where cloud-init runs scripts on every boot. */
export const PER_BOOT_SCRIPT = "/var/lib/cloud/scripts/per-boot/seaweedfs-master.sh";
/** Where the boot steps fetched from SSM are kept (root only), one `<name>.sh` each. */
export const STEP_DIR = "/var/lib/seaweedfs-boot/steps";
/** Tries of one boot step before it is logged as failed and skipped. */
export const STEP_ATTEMPTS = 3;

/**
 * A step of the boot after the master has started (the watchdog, the backup agent, the unit heartbeat, the
 * CloudWatch agent): a bash script kept in an SSM parameter, as user data is capped at 16 KiB. The boot fetches it
 * on each try and runs it strictly (`set -euo pipefail`, inherit_errexit) in its own bash; a failure is retried and
 * logged and never stops the later steps (bootScript.sh, ssm_step). The script runs as root with `$ROOT` (empty on
 * an instance) and `AWS_DEFAULT_REGION` set; it must be idempotent and hold no secret, and the instance role needs
 * `ssm:GetParameter` on the parameter.
 */
export interface BootStep {
  /** Short name in logs and the journal (`[a-z0-9-]`), e.g. `watchdog`. */
  name: string;
  /** The SSM parameter holding the script. */
  parameter: string;
}

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
  /**
   * The slot's quorum-recovery hold (infra/aws/naming.ts recoveryHoldParameterOf): while this parameter exists, a
   * master with no raft state is not started, so a slot whose disk was lost cannot mint or join a second cluster.
   */
  recoveryHoldParameter: string;
  /** How long to wait for a predecessor to release the interface and volume. @default 600 */
  attachTimeoutSeconds: number;
  /** Seconds between two looks at a held interface or volume. @default 5 */
  pollSeconds?: number;
  /**
   * Seconds a holder may stay `shutting-down` before it counts as dead and its attachments are force-detached
   * (a terminated holder is force-detached at once). @default 180
   */
  holderShutdownSeconds?: number;
  /** Run after the master has started, in order, each strictly and on its own (see {@link BootStep}). @default [] */
  steps?: readonly BootStep[];
  /** Seconds before the second try of a failed step; doubled for each further try. @default 10 */
  stepRetrySeconds?: number;
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
    ["NETWORKD_DROP_IN", NETWORKD_DROP_IN],
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
    ["HOLD_PARAMETER", args.recoveryHoldParameter],
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
    ["STEP_DIR", STEP_DIR],
    ["STEP_ATTEMPTS", STEP_ATTEMPTS],
    ["STEP_RETRY_SECONDS", args.stepRetrySeconds ?? 10],
  ];
  for (const step of args.steps ?? []) {
    if (!/^[a-z0-9-]+$/.test(step.name)) throw new Error(`boot step name ${JSON.stringify(step.name)}: use a-z, 0-9 and -`);
  }
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
    ...(args.steps ?? []).map((step) => `ssm_step ${step.name} ${q(step.parameter)}`),
    "steps_done",
    "",
  ].join("\n");
}
