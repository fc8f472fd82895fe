/** Every policy of the pack, in the order reports list them. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { masterCount, masterNoRaftBootstrap, masterPeers, masterZoneFailure } from "./masters";
import { lbCrossZone, lbDeletionProtection, lbHealthCheck, lbInternal, lbListeners } from "./loadBalancer";
import { attachActionsScoped, encryptedVolumes, imdsV2Required, noPublicIp, noSecretsInUserData, noWorldIngress } from "./security";
import { alarmActions, masterSilentAlarm, requiredAlarms } from "./monitoring";
import { bucketEncryption, bucketLifecycle, bucketObjectLock, bucketPublicAccessBlock, bucketTlsOnly, bucketVersioning, volumeSnapshots } from "./backups";
import { kubernetesPolicies } from "./kubernetes";
import { masterOneAtATime } from "./membership";
import { tlsRequired } from "./tls";
import { vpcEndpoints } from "./network";

/** The pack's name as `pulumi preview --policy-pack` reports it. */
export const PACK_NAME = "seaweedfs-ha";

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  masterCount,
  masterZoneFailure,
  masterPeers,
  masterNoRaftBootstrap,
  masterOneAtATime,
  lbInternal,
  lbCrossZone,
  lbDeletionProtection,
  lbListeners,
  lbHealthCheck,
  encryptedVolumes,
  imdsV2Required,
  noPublicIp,
  noWorldIngress,
  attachActionsScoped,
  noSecretsInUserData,
  tlsRequired,
  vpcEndpoints,
  requiredAlarms,
  alarmActions,
  masterSilentAlarm,
  bucketVersioning,
  bucketEncryption,
  bucketPublicAccessBlock,
  bucketTlsOnly,
  bucketLifecycle,
  bucketObjectLock,
  volumeSnapshots,
  ...kubernetesPolicies,
];
