/**
 * The master watchdog on AWS: each slot's rendered script (infra/seaweed/watchdog.ts, the text the drills run) in
 * an SSM parameter, the boot step (another parameter) that installs it with its systemd unit beside the master, and
 * the watchdog-kill alarm: a metric filter counts the watchdog's `action=` journal lines in the journal log group,
 * and any action notifies the alarm topic. Both travel through SSM because user data is capped at 16 KiB.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SeaweedConfig } from "./config";
import { HOST_PATHS } from "./host/paths";
import { renderWatchdogScript, WATCHDOG_ACTION_PREFIX, watchdogSettingsOf } from "../seaweed/watchdog";
import { renderWatchdogUnit, WATCHDOG_HOST } from "./host/watchdogUnit";
import { METRIC_NAMESPACE } from "./monitoring/metrics";
import { ssmPrefixOf } from "./naming";
import type { BootStep } from "./bootScript";

/** SSM standard parameters hold at most 4 KiB. */
const STANDARD_PARAMETER_BYTES = 4096;

/** The CloudWatch metric the journal's watchdog lines are counted into. */
export const WATCHDOG_METRIC = "WatchdogActions";

/** The SSM parameter holding one slot's watchdog script. */
export function watchdogParameterName(clusterName: string, slot: number): string {
  return `${ssmPrefixOf(clusterName)}/watchdog/slot-${slot}/script`;
}

/** The SSM parameter holding one slot's watchdog boot step. */
function stepParameterName(clusterName: string, slot: number): string {
  return `${ssmPrefixOf(clusterName)}/watchdog/slot-${slot}/boot-step`;
}

/** One slot's script, as the parameter stores it and the host installs it. */
export function slotWatchdogScript(config: SeaweedConfig, slot: { ip: string }): string {
  const script = renderWatchdogScript({ host: slot.ip, port: config.httpPort }, watchdogSettingsOf(config));
  if (Buffer.byteLength(script) > STANDARD_PARAMETER_BYTES) throw new Error(`the watchdog script is ${Buffer.byteLength(script)} bytes, over the ${STANDARD_PARAMETER_BYTES} of an SSM standard parameter`);
  return script;
}

/**
 * The boot step's script of one slot (a BootStep: root, strict, paths under `$ROOT`): fetch the watchdog script
 * from SSM, install it and its unit, (re)start it. With the watchdog off it stops and disables a unit an earlier
 * boot may have installed.
 */
export function renderWatchdogStep(config: SeaweedConfig, slot: { slot: number }): string {
  const unit = `"\${ROOT:-}"/etc/systemd/system/${WATCHDOG_HOST.unitName}`;
  if (!config.watchdogEnabled) return `# The master watchdog is off (watchdogEnabled: false)\nsystemctl disable --now ${WATCHDOG_HOST.unitName} 2>/dev/null || true\nrm -f ${unit}\n`;
  return [
    `# Master watchdog of slot ${slot.slot}, rendered by infra/aws/watchdog.ts`,
    `w="\${ROOT:-}"${WATCHDOG_HOST.script}`,
    `install -d "\${w%/*}" "\${ROOT:-}"/etc/systemd/system`,
    `aws ssm get-parameter --name '${watchdogParameterName(config.clusterName, slot.slot)}' --query Parameter.Value --output text >"$w.new"`,
    'install -m 0755 "$w.new" "$w"',
    'rm -f "$w.new"',
    `cat >${unit} <<'SEAWEEDFS_WATCHDOG_UNIT'`,
    renderWatchdogUnit({ user: HOST_PATHS.user, masterUnit: HOST_PATHS.unitName }).trimEnd(),
    "SEAWEEDFS_WATCHDOG_UNIT",
    "systemctl daemon-reload",
    `systemctl enable ${WATCHDOG_HOST.unitName}`,
    `systemctl restart ${WATCHDOG_HOST.unitName}`,
    "",
  ].join("\n");
}

/** The boot step of one slot (MasterTier `bootSteps`): its renderWatchdogStep, kept in SSM. */
export function watchdogBootStep(config: SeaweedConfig, slot: { slot: number }): BootStep {
  return { name: "watchdog", parameter: stepParameterName(config.clusterName, slot.slot) };
}

export interface MasterWatchdogArgs {
  config: SeaweedConfig;
  /** Where the journal export ships the master's and the watchdog's journal. */
  journalLogGroupName: pulumi.Input<string>;
  alarmTopicArn: pulumi.Input<string>;
  tags?: Record<string, string>;
}

export class MasterWatchdog extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:aws:MasterWatchdog";
  readonly parameters: aws.ssm.Parameter[];
  readonly killAlarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: MasterWatchdogArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterWatchdog.__pulumiType, name, {}, opts);
    const { config, tags = {} } = args;
    const parent = { parent: this };
    const parameter = (id: string, parameterName: string, value: string, description: string) =>
      new aws.ssm.Parameter(`${name}-${id}`, { name: parameterName, type: "String", tier: "Standard", insecureValue: value, description, tags }, parent);
    this.parameters = config.topology.slots.flatMap((slot) => [
      ...(config.watchdogEnabled
        ? [parameter(`slot-${slot.slot}`, watchdogParameterName(config.clusterName, slot.slot), slotWatchdogScript(config, slot), `SeaweedFS master watchdog of slot ${slot.slot} (infra/seaweed/watchdog.ts)`)]
        : []),
      parameter(`slot-${slot.slot}-boot-step`, stepParameterName(config.clusterName, slot.slot), renderWatchdogStep(config, slot), `Watchdog setup of slot ${slot.slot} (run at boot)`),
    ]);
    new aws.cloudwatch.LogMetricFilter(
      `${name}-actions`,
      {
        name: `${config.clusterName}-watchdog-actions`,
        logGroupName: args.journalLogGroupName,
        pattern: `"seaweedfs-watchdog" "${WATCHDOG_ACTION_PREFIX}"`,
        metricTransformation: { name: WATCHDOG_METRIC, namespace: METRIC_NAMESPACE, value: "1", defaultValue: "0", unit: "Count" },
      },
      parent,
    );
    const actions = [args.alarmTopicArn];
    this.killAlarm = new aws.cloudwatch.MetricAlarm(
      `${name}-kill`,
      {
        name: `${config.clusterName}-watchdog-kill`,
        alarmDescription: "The master watchdog killed or terminated a frozen, hung or wedged master (see the journal log group, lines with action=). One kill is a healed gray failure; repeated ones mean a sick host: see docs/monitoring.md.",
        namespace: METRIC_NAMESPACE,
        metricName: WATCHDOG_METRIC,
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: actions,
        okActions: actions,
        tags,
      },
      parent,
    );
    this.registerOutputs({});
  }
}
