/**
 * Monitoring of the master tier: each slot's CloudWatch agent config in SSM (SeaweedFS /metrics, data-volume and
 * memory use, the weed journal) and unit heartbeat, the log groups the agent writes, its least-privilege policy on
 * the instance role, the alarms and the "master tier at risk" composite (to a KMS-encrypted SNS topic), and a
 * dashboard.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmSettings, atRiskRule, masterTierAlarms } from "./alarms";
import { agentParameterNames, renderAgentConfig, renderAgentScrapeConfig } from "./agentConfig";
import { renderAgentSetup } from "./agentSetup";
import { tlsExpiryAlarmArgs } from "./tlsExpiry";
import { alarmTopicKeyPolicy, agentPolicyDocument } from "./policies";
import { dashboardBody } from "./dashboard";
import { METRIC_NAMESPACE, MonitoredSlot, MonitoredTargetGroup, slotDimensions, TLS_EXPIRY_METRIC } from "./metrics";
import { GuardedUnit, heartbeatStepParameterName, renderHeartbeatStep } from "./heartbeat";
import { physicalName } from "../physicalNames";

export interface MonitoringArgs {
  /** The master tier's name: prefixes every alarm, log group and the dashboard. */
  clusterName: string;
  /** Every slot, with its fixed IP (where `/metrics` listens) and its Auto Scaling group. */
  slots: MonitoredSlot[];
  /** Masters that may fail without losing quorum; the composite alarm fires when that many slots are down. */
  toleratedFailures: number;
  /** `arnSuffix` of the masters' network load balancer (the `LoadBalancer` dimension). */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** The load balancer's target groups, each alarmed on separately. */
  targetGroups: MonitoredTargetGroup[];
  /** The stack's SSM path; each slot's agent config lives at `<ssmPrefix>/cloudwatch-agent/slot-<n>/...`. */
  ssmPrefix: string;
  /** Name of the masters' instance role; the agent's managed policy is attached to it. */
  instanceRoleName: pulumi.Input<string>;
  /** The masters' `-metricsPort`. */
  metricsPort: number;
  /**
   * The units every slot must keep running (the watchdog, the backup timer): each slot's unit heartbeat (a boot step
   * kept in SSM at `<ssmPrefix>/heartbeat/slot-<n>/boot-step`) reports them, and an alarm per slot and unit fires
   * when one is not running or the heartbeat is silent.
   */
  guardedUnits: GuardedUnit[];
  /** Thresholds and windows of the alarms. */
  alarms: AlarmSettings;
  /** Subscribed to the alarm topic. @default [] */
  alarmEmails?: string[];
  /** HTTPS endpoints subscribed to the alarm topic. @default [] */
  alarmHttpsEndpoints?: string[];
  /** Retention of the weed journal, in days. @default 30 */
  logRetentionDays?: number;
  /** Retention of the EMF events behind the metrics, in days. @default 7 */
  metricsLogRetentionDays?: number;
  /**
   * Mutual TLS: each host publishes its certificate's days to expiry, and a slot's alarm fires below this many days.
   * @default no TLS (neither)
   */
  tlsExpiryAlarmDays?: number;
  /** Tags on every resource. @default {} */
  tags?: Record<string, string>;
}

export class Monitoring extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:aws:Monitoring";
  readonly alarmTopic: aws.sns.Topic;
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly alarms: aws.cloudwatch.MetricAlarm[];
  readonly atRisk: aws.cloudwatch.CompositeAlarm;
  readonly journalLogGroup: aws.cloudwatch.LogGroup;
  /** Per slot: the SSM parameters the boot script's agent fragment reads. */
  readonly agentParameters: { slot: number; agentConfig: aws.ssm.Parameter; scrapeConfig: aws.ssm.Parameter; setupScript: aws.ssm.Parameter }[];
  /** Per slot: the SSM parameter holding the unit heartbeat's boot step. */
  readonly heartbeatSteps: aws.ssm.Parameter[];
  /** What a master's boot reads (the parameters and the agent's role policy): the slots' groups wait for these. */
  readonly bootResources: pulumi.Resource[];

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super(Monitoring.__pulumiType, name, {}, opts);
    const { clusterName, slots, tags = {} } = args;
    const parent = { parent: this };
    const { accountId } = aws.getCallerIdentityOutput({}, parent);
    const { region } = aws.getRegionOutput({}, parent);
    const { partition } = aws.getPartitionOutput({}, parent);

    this.journalLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-journal`,
      { name: `/seaweedfs/${clusterName}/master-journal`, retentionInDays: args.logRetentionDays ?? 30, tags },
      parent,
    );
    const metricsLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-prometheus`,
      { name: `/seaweedfs/${clusterName}/prometheus`, retentionInDays: args.metricsLogRetentionDays ?? 7, tags },
      parent,
    );

    this.agentParameters = slots.map((slot) => {
      const names = agentParameterNames(args.ssmPrefix, slot.slot);
      const configOf = { clusterName, slot: slot.slot, ip: slot.ip, metricsPort: args.metricsPort };
      const parameter = (suffix: string, parameterName: string, value: pulumi.Input<string>, description: string) =>
        new aws.ssm.Parameter(`${name}-slot-${slot.slot}-${suffix}`, { name: parameterName, type: "String", tier: "Standard", insecureValue: value, description, tags }, parent);
      return {
        slot: slot.slot,
        agentConfig: parameter(
          "agent-config",
          names.agentConfig,
          pulumi
            .all([this.journalLogGroup.name, metricsLogGroup.name])
            .apply(([journalLogGroup, metricsLogGroup]) => renderAgentConfig({ ...configOf, journalLogGroup, metricsLogGroup })),
          `CloudWatch agent config of ${clusterName} slot ${slot.slot}`,
        ),
        scrapeConfig: parameter("prometheus-scrape", names.scrapeConfig, renderAgentScrapeConfig(configOf), `Prometheus scrape config of ${clusterName} slot ${slot.slot}`),
        setupScript: parameter(
          "setup-script",
          names.setupScript,
          renderAgentSetup(names, args.tlsExpiryAlarmDays === undefined ? undefined : { namespace: METRIC_NAMESPACE, metricName: TLS_EXPIRY_METRIC, dimensions: slotDimensions(clusterName, slot.slot) }),
          `CloudWatch agent setup of ${clusterName} slot ${slot.slot} (run at boot)`,
        ),
      };
    });

    // A managed policy, not an inline one: IAM caps all inline policies of a role at 10,240 characters together, and
    // this one grows with the slots (tests/unit/monitoring-cloudwatch-limits.test.ts checks 7 and 9 masters).
    const agentPolicy = new aws.iam.Policy(
      `${name}-agent`,
      {
        name: physicalName("aws:iam/policy:Policy", clusterName, "monitoring-agent"),
        description: `The CloudWatch agent and unit heartbeat of the ${clusterName} masters`,
        policy: agentPolicyDocument({
          logGroupArns: [this.journalLogGroup.arn, metricsLogGroup.arn],
          parameterArns: this.agentParameters.flatMap((p) => [p.agentConfig.arn, p.scrapeConfig.arn, p.setupScript.arn]),
        }),
        tags,
      },
      parent,
    );
    const agentPolicyAttachment = new aws.iam.RolePolicyAttachment(`${name}-agent`, { role: args.instanceRoleName, policyArn: agentPolicy.arn }, parent);

    this.heartbeatSteps = slots.map(
      (slot) =>
        new aws.ssm.Parameter(
          `${name}-slot-${slot.slot}-heartbeat`,
          {
            name: heartbeatStepParameterName(args.ssmPrefix, slot.slot),
            type: "String",
            tier: "Standard",
            insecureValue: region.apply((r) => renderHeartbeatStep({ clusterName, slot: slot.slot, region: r, units: args.guardedUnits })),
            description: `Unit heartbeat of ${clusterName} slot ${slot.slot} (run at boot)`,
            tags,
          },
          parent,
        ),
    );

    this.bootResources = [...this.agentParameters.flatMap((p) => [p.agentConfig, p.scrapeConfig, p.setupScript]), ...this.heartbeatSteps, agentPolicy, agentPolicyAttachment];

    const topicKey = new aws.kms.Key(
      `${name}-alarm-topic`,
      { description: `SNS alarm topic of ${clusterName}`, enableKeyRotation: true, deletionWindowInDays: 7, policy: alarmTopicKeyPolicy(accountId, partition), tags },
      parent,
    );
    this.alarmTopic = new aws.sns.Topic(`${name}-alarms`, { name: `${clusterName}-alarms`, kmsMasterKeyId: topicKey.arn, tags }, parent);
    const subscriptions = [
      ...(args.alarmEmails ?? []).map((endpoint) => ({ protocol: "email", endpoint })),
      ...(args.alarmHttpsEndpoints ?? []).map((endpoint) => ({ protocol: "https", endpoint })),
    ];
    subscriptions.forEach((s, i) => {
      new aws.sns.TopicSubscription(`${name}-alarms-${s.protocol}-${i}`, { topic: this.alarmTopic.arn, protocol: s.protocol, endpoint: s.endpoint }, parent);
    });

    const actions = { alarmActions: [this.alarmTopic.arn], okActions: [this.alarmTopic.arn] };
    const definitions = masterTierAlarms({ clusterName, slots, loadBalancerArnSuffix: args.loadBalancerArnSuffix, targetGroups: args.targetGroups, settings: args.alarms, guardedUnits: args.guardedUnits });
    this.alarms = definitions.map(
      (d) => new aws.cloudwatch.MetricAlarm(`${name}-${d.id}`, { ...d.args, name: `${clusterName}-${d.id}`, ...actions, tags }, parent),
    );
    const alarmNamed = (id: string) => this.alarms[definitions.findIndex((d) => d.id === id)];
    const tlsExpiryDays = args.tlsExpiryAlarmDays;
    if (tlsExpiryDays !== undefined) {
      for (const slot of slots) {
        const id = `slot-${slot.slot}-tls-expiry`;
        this.alarms.push(new aws.cloudwatch.MetricAlarm(`${name}-${id}`, { ...tlsExpiryAlarmArgs(clusterName, slot.slot, tlsExpiryDays), name: `${clusterName}-${id}`, ...actions, tags }, parent));
      }
    }

    // "Slot down" exists so the at-risk rule can count failed slots (and stay short enough for 7 masters).
    const slotDown = [...slots]
      .sort((a, b) => a.slot - b.slot)
      .map((slot) => {
        const children = definitions.filter((d) => d.slot === slot.slot && d.critical).map((d) => alarmNamed(d.id));
        return new aws.cloudwatch.CompositeAlarm(
          `${name}-slot-${slot.slot}-down`,
          {
            alarmName: `${clusterName}-slot-${slot.slot}-down`,
            alarmDescription: `Slot ${slot.slot} is down: its master is not reporting, its status check fails, or it has no instance in service. Runbook: docs/runbooks/replace-master.md`,
            alarmRule: pulumi.all(children.map((c) => c.name)).apply((names) => names.map((n) => `ALARM("${n}")`).join(" OR ")),
            ...actions,
            tags,
          },
          parent,
        );
      });
    const critical = definitions.filter((d) => d.critical && d.slot === undefined).map((d) => alarmNamed(d.id).name);
    this.atRisk = new aws.cloudwatch.CompositeAlarm(
      `${name}-master-tier-at-risk`,
      {
        alarmName: `${clusterName}-master-tier-at-risk`,
        alarmDescription: `${clusterName}: no single leader, fewer healthy masters than the threshold, or ${Math.max(1, args.toleratedFailures)} slot(s) down: one more failure loses quorum. Runbook: docs/runbooks/lost-quorum.md`,
        alarmRule: pulumi
          .all([pulumi.all(critical), pulumi.all(slotDown.map((c) => c.alarmName))])
          .apply(([criticalNames, slotDownNames]) => atRiskRule(criticalNames, slotDownNames, args.toleratedFailures)),
        ...actions,
        tags,
      },
      parent,
    );

    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `${clusterName}-masters`,
        dashboardBody: dashboardBody({
          clusterName,
          region,
          slots,
          loadBalancerArnSuffix: args.loadBalancerArnSuffix,
          targetGroups: args.targetGroups,
          alarmArns: [this.atRisk.arn, ...this.alarms.map((a) => a.arn)],
          electionsWindowMinutes: args.alarms.leaderChangesWindowMinutes,
        }),
      },
      parent,
    );

    this.registerOutputs({ alarmTopicArn: this.alarmTopic.arn, dashboardName: this.dashboard.dashboardName, journalLogGroup: this.journalLogGroup.name });
  }
}
