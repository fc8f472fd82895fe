/**
 * The prod graph broken on purpose (a slot lost so 4 masters sit in 2 zones, a public NLB, IMDSv1, the JWT key
 * pasted into a boot script, a slow health check, an alarm without actions, the backup bucket's encryption removed,
 * one master's TLS key line dropped from its security.toml, which would make it serve gRPC in plain text),
 * with the violations it must produce written out literally. Shared by the in-process pack test and the test that
 * drives Pulumi's own policy host.
 */
import * as assert from "node:assert/strict";
import { JWT_SIGNING_KEY_ENV } from "../../infra/seaweed/constants";
import { MOCK_SECRET_VALUE } from "../../tools/lib/mockCloud";
import type { RecordedResource } from "../../tools/lib/mockGraph";
import { decodeUserData, encodeUserData } from "../../infra/aws/userData";

/**
 * The prod graph broken on purpose; returns it with the violations it must produce, as `policy @ resource name`,
 * under the prod pack config (`expected`) and under the dev one (`expectedUnderDev`: dev asks for 3 masters, so the
 * minimum-count violation goes and the odd-count one stays; dev requires no TLS, so the plain-text master goes too).
 */
export function brokenProd(prod: readonly RecordedResource[]): { graph: RecordedResource[]; expected: string[]; expectedUnderDev: string[] } {
  // A JSON copy: recorded state may hold values structuredClone refuses, and policies only read plain data.
  let graph = JSON.parse(JSON.stringify(prod)) as RecordedResource[];
  const named = (type: string, name: string) => {
    const found = graph.find((r) => r.type === type && r.name === name);
    assert.ok(found, `prod graph has no ${type} ${name}`);
    return found;
  };
  // Slot 2 is prod's only master in us-east-1c: without it, 4 masters sit 2/2 in two zones.
  const lostSlot = graph.filter((r) => r.name.startsWith("seaweedfs-prod-master-2"));
  assert.ok(lostSlot.some((r) => r.type === "aws:ec2/networkInterface:NetworkInterface"));
  graph = graph.filter((r) => !lostSlot.includes(r));
  named("aws:lb/loadBalancer:LoadBalancer", "seaweedfs-prod-lb-nlb").state.internal = false;
  named("aws:ec2/launchTemplate:LaunchTemplate", "seaweedfs-prod-master-0-lt").state.metadataOptions = { httpTokens: "optional", httpPutResponseHopLimit: 1 };
  const leaky = named("aws:ec2/launchTemplate:LaunchTemplate", "seaweedfs-prod-master-1-lt").state;
  const script = `${decodeUserData(leaky.userData)}\n${JWT_SIGNING_KEY_ENV}=${MOCK_SECRET_VALUE}\n`;
  leaky.userData = encodeUserData(script);
  const plainText = named("aws:ec2/launchTemplate:LaunchTemplate", "seaweedfs-prod-master-3-lt").state;
  const withoutKey = decodeUserData(plainText.userData).replace(/^key = "\/etc\/seaweedfs\/tls\/master\.key"\n/m, "");
  assert.notEqual(withoutKey, decodeUserData(plainText.userData), "slot 3's security.toml names its TLS key");
  plainText.userData = encodeUserData(withoutKey);
  const healthCheck = named("aws:lb/targetGroup:TargetGroup", "seaweedfs-prod-lb-9333").state.healthCheck as Record<string, unknown>;
  healthCheck.interval = 30;
  named("aws:cloudwatch/metricAlarm:MetricAlarm", "seaweedfs-prod-monitoring-leader-count").state.alarmActions = [];
  const encryption = graph.filter((r) => r.type === "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
  assert.equal(encryption.length, 1, "prod has one backup bucket encryption configuration");
  graph = graph.filter((r) => !encryption.includes(r));
  const expected = [
    "seaweedfs-master-count @ stack",
    "seaweedfs-master-count @ stack",
    "seaweedfs-master-zone-failure @ stack",
    // The remaining masters still list the lost slot's address in -peers.
    ...[0, 1, 3, 4].map((slot) => `seaweedfs-master-peers @ seaweedfs-prod-master-${slot}-lt`),
    "seaweedfs-lb-internal @ seaweedfs-prod-lb-nlb",
    "seaweedfs-lb-health-check @ seaweedfs-prod-lb-9333",
    "seaweedfs-imdsv2-required @ seaweedfs-prod-master-0-lt",
    "seaweedfs-no-secrets-in-user-data @ seaweedfs-prod-master-1-lt",
    "seaweedfs-tls-required @ seaweedfs-prod-master-3-lt",
    "seaweedfs-alarm-actions @ seaweedfs-prod-monitoring-leader-count",
    "seaweedfs-backup-bucket-encryption @ seaweedfs-prod-backups-bucket",
  ];
  const underDev = [...expected];
  underDev.splice(underDev.indexOf("seaweedfs-master-count @ stack"), 1);
  // dev requires no TLS, so the plain-text master goes unjudged there.
  underDev.splice(underDev.indexOf("seaweedfs-tls-required @ seaweedfs-prod-master-3-lt"), 1);
  return { graph, expected: expected.sort(), expectedUnderDev: underDev.sort() };
}

/** Violations as `policy @ resource name` (a stack policy's read `stack`), sorted, to compare with `expected`. */
export function located(violations: readonly { policy: string; resource: string }[], graph: readonly RecordedResource[]): string[] {
  const nameOf = (urn: string) => graph.find((r) => r.urn === urn && r.type !== "pulumi:pulumi:Stack")?.name ?? "stack";
  return violations.map((v) => `${v.policy} @ ${nameOf(v.resource)}`).sort();
}
