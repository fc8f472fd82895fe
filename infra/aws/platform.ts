/**
 * The AWS composition root: the master tier, monitoring and backups of a validated AWS config, and its outputs.
 * Existing subnets are checked against the config before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { peerList } from "../seaweed/cluster";
import { slotAddresses } from "./placement";
import type { SeaweedConfig } from "./config";
import { MasterTier } from "./masterTier";
import { verifyExistingSubnets } from "./network";
import { Monitoring } from "./monitoring/monitoring";
import { heartbeatBootStep, monitoringArgsOf, monitoringBootStep } from "./monitoring/settings";
import { backupBootStep, Backups, backupsArgsOf, checkRegions, verifierBootSteps } from "./backup";
import { MasterWatchdog, watchdogBootStep } from "./watchdog";
import { awsTlsOutputs } from "./tls";

/** Builds every resource of the stack and returns its outputs. */
export async function awsPlatform(config: SeaweedConfig): Promise<Record<string, unknown>> {
  const region = new pulumi.Config("aws").get("region");
  checkRegions(config, region);
  if (config.vpcId) await verifyExistingSubnets(config.vpcId, config.subnets, pulumi.getStack());
  // The slots' groups launch only once the monitoring, backup and watchdog parameters and role policies their boot
  // reads exist.
  let bootReady: (resources: pulumi.Resource[]) => void = () => undefined;
  const bootDependsOn = new Promise<pulumi.Resource[]>((resolve) => (bootReady = resolve));
  try {
    // What guards the master first; the CloudWatch agent's step (a dnf install on a first boot) last. Each runs on
    // its own: one that keeps failing is logged and alarms, the others still run.
    const bootSteps = (slot: { slot: number }) => [
      watchdogBootStep(config, slot),
      backupBootStep(config, slot),
      ...verifierBootSteps(config, slot),
      heartbeatBootStep(config, slot),
      monitoringBootStep(config, slot),
    ];
    const tier = new MasterTier(config.clusterName, { config, bootSteps, bootDependsOn });
    const monitoring = new Monitoring(`${config.clusterName}-monitoring`, monitoringArgsOf(config, tier));
    const watchdog = new MasterWatchdog(`${config.clusterName}-watchdog`, { config, journalLogGroupName: monitoring.journalLogGroup.name, alarmTopicArn: monitoring.alarmTopic.arn, tags: tier.tags });
    const backups = new Backups(`${config.clusterName}-backups`, backupsArgsOf(config, tier, monitoring.alarmTopic.arn, region));
    bootReady([...monitoring.bootResources, ...backups.bootResources, ...watchdog.parameters]);
    return outputsOf(config, tier, monitoring, backups);
  } finally {
    // A refused config throws above; the groups' registration must not wait forever for the promise.
    bootReady([]);
  }
}

function outputsOf(config: SeaweedConfig, tier: MasterTier, monitoring: Monitoring, backups: Backups): Record<string, unknown> {
  const { topology } = config;
  return {
    slots: topology.slots.map((s) => ({ slot: s.slot, name: s.name, az: s.az, ip: s.ip, subnetCidr: s.subnet.cidr })),
    masterAddresses: peerList(slotAddresses(topology.slots), config.httpPort).join(","),
    quorum: topology.quorum,
    toleratedFailures: topology.toleratedFailures,
    azLoss: topology.azLoss,
    masters: tier.masters,
    loadBalancerDnsName: tier.loadBalancer.dnsName,
    loadBalancerAlias: tier.loadBalancerAlias,
    clientSecurityGroupId: tier.securityGroups.clients.id,
    // Connections the masters open themselves (to volume servers, to peers) leave from each instance's primary
    // address, not the slot IP: volume servers' firewalls must admit this group, not only masterAddresses.
    mastersSecurityGroupId: tier.securityGroups.masters.id,
    jwtSigningKeyParameterName: tier.jwtParameterName,
    // Mutual TLS: where clients get the CA bundle, their certificate and key, and their security.toml (null: TLS off).
    tls: awsTlsOutputs(config, tier.tls, tier.kmsKey.arn),
    privateZoneId: tier.zone.zoneId,
    vpcId: tier.network.vpcId,
    alarmTopicArn: monitoring.alarmTopic.arn,
    monitoringDashboardName: monitoring.dashboard.dashboardName,
    backupBucket: backups.bucket.bucket,
    backupAgeAlarmName: backups.backupAgeAlarm.name,
    restoreVerificationAlarmNames: backups.verificationAlarms ? [backups.verificationAlarms.age.name, backups.verificationAlarms.failed.name] : [],
  };
}
