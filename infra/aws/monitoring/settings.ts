/**
 * The Monitoring component's settings from a validated stack config (keys in infra/config/keys-monitoring.ts).
 */
import type { SeaweedConfig } from "../config";
import type { MasterSlot as SlotPlan } from "../placement";
import type { MasterTier } from "../masterTier";
import { ssmPrefixOf } from "../naming";
import { agentParameterNames } from "./agentConfig";
import { guardedUnits, heartbeatStepParameterName } from "./heartbeat";
import type { BootStep } from "../bootScript";
import { healthyHostsThreshold } from "../../config/keys-monitoring";
import type { AlarmSettings } from "./alarms";
import type { MonitoringArgs } from "./monitoring";

/** Alarm thresholds and windows, with `quorum` resolved. */
export function alarmSettingsOf(config: SeaweedConfig): AlarmSettings {
  return {
    leaderCountMinutes: config.alarmLeaderCountMinutes,
    leaderChangesMax: config.alarmLeaderChangesMax,
    leaderChangesWindowMinutes: config.alarmLeaderChangesWindowMinutes,
    healthyHostsBelow: healthyHostsThreshold(config.alarmHealthyHostsBelow, config.topology.quorum),
    unhealthyHostsAbove: config.alarmUnhealthyHostsAbove,
    instanceMissingMinutes: config.alarmInstanceMissingMinutes,
    diskUsedPercent: config.alarmDiskUsedPercent,
    memoryUsedPercent: config.alarmMemoryUsedPercent,
  };
}

/** The config-derived part of {@link MonitoringArgs}; the caller adds the tier's resources (slots' groups, LB, role). */
export function monitoringSettingsOf(
  config: SeaweedConfig,
): Pick<MonitoringArgs, "clusterName" | "toleratedFailures" | "metricsPort" | "guardedUnits" | "alarms" | "alarmEmails" | "alarmHttpsEndpoints" | "logRetentionDays" | "metricsLogRetentionDays" | "tlsExpiryAlarmDays"> {
  return {
    clusterName: config.clusterName,
    toleratedFailures: config.topology.toleratedFailures,
    metricsPort: config.metricsPort,
    guardedUnits: guardedUnits(config.watchdogEnabled, config.backupOnChangeSeconds > 0),
    alarms: alarmSettingsOf(config),
    alarmEmails: config.alarmEmails,
    alarmHttpsEndpoints: config.alarmHttpsEndpoints,
    logRetentionDays: config.logRetentionDays,
    metricsLogRetentionDays: config.metricsLogRetentionDays,
    ...(config.tlsEnabled ? { tlsExpiryAlarmDays: config.tlsExpiryAlarmDays } : {}),
  };
}

/** Everything {@link MonitoringArgs} needs, from the config and the master tier it watches. */
export function monitoringArgsOf(config: SeaweedConfig, tier: MasterTier): MonitoringArgs {
  return {
    ...monitoringSettingsOf(config),
    slots: tier.slots.map((s) => ({ slot: s.plan.slot, ip: s.plan.ip, autoScalingGroupName: s.asgName })),
    loadBalancerArnSuffix: tier.loadBalancer.arnSuffix,
    targetGroups: tier.loadBalancer.targetGroups.map((g) => ({ name: g.port === config.httpPort ? "http" : "grpc", arnSuffix: g.arnSuffix })),
    ssmPrefix: tier.ssmPrefix,
    // An IAM role's id is its name (and, unlike `name`, known to previews of a role with a generated name).
    instanceRoleName: tier.instanceRole.id,
    tags: tier.tags,
  };
}

/** The boot step that installs (when missing) and starts a slot's CloudWatch agent (MasterTier `bootSteps`). */
export function monitoringBootStep(config: SeaweedConfig, slot: Pick<SlotPlan, "slot">): BootStep {
  return { name: "monitoring", parameter: agentParameterNames(ssmPrefixOf(config.clusterName), slot.slot).setupScript };
}

/** The boot step that installs and starts a slot's unit heartbeat (MasterTier `bootSteps`). */
export function heartbeatBootStep(config: SeaweedConfig, slot: Pick<SlotPlan, "slot">): BootStep {
  return { name: "heartbeat", parameter: heartbeatStepParameterName(ssmPrefixOf(config.clusterName), slot.slot) };
}
