/**
 * Platform keys stay with their platform: a Kubernetes key on an AWS stack and an AWS key on a Kubernetes stack are
 * refused by name, Kubernetes stacks get the same zone rule as AWS ones, and their own keys are validated.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ConfigError, projectKeys } from "../../infra/config";
import { parseStackConfig } from "../../infra/platforms";
import { readStackConfig } from "../../tools/lib/stackFiles";
import { refusal } from "../support/configRefusal";

const cases: { name: string; base: string; overrides: Record<string, string | undefined>; key: string; mentions: RegExp }[] = [
  { name: "a Kubernetes key on an AWS stack", base: "prod", overrides: { k8sNamespace: "masters" }, key: "k8sNamespace", mentions: /kubernetes platform.*platform is aws/ },
  { name: "an AWS key on a Kubernetes stack", base: "k8s-prod", overrides: { instanceType: "m7i.large" }, key: "instanceType", mentions: /aws platform.*platform is kubernetes/ },
  { name: "an AWS-only monitoring key on a Kubernetes stack", base: "k8s-prod", overrides: { alarmEmails: JSON.stringify(["ops@example.com"]) }, key: "alarmEmails", mentions: /aws platform/ },
  { name: "5 masters over 2 zones on Kubernetes", base: "k8s-prod", overrides: { availabilityZones: JSON.stringify(["us-east-1a", "us-east-1b"]) }, key: "availabilityZones", mentions: /below the quorum of 3/ },
  { name: "a Kubernetes zone label on an AWS stack", base: "prod", overrides: { availabilityZones: JSON.stringify(["zone-a", "us-east-1b", "us-east-1c"]) }, key: "availabilityZones", mentions: /zone-a: not an AWS availability zone/ },
  { name: "a storage size that is not a quantity", base: "k8s-prod", overrides: { k8sStorageSize: "10 GB" }, key: "k8sStorageSize", mentions: /quantity/ },
  { name: "a root UID", base: "k8s-prod", overrides: { k8sRunAsUser: "0" }, key: "k8sRunAsUser", mentions: /non-root/ },
  { name: "an image with a tag", base: "k8s-prod", overrides: { k8sImage: "chrislusf/seaweedfs:latest" }, key: "k8sImage", mentions: /no tag/ },
  { name: "no client pod labels", base: "k8s-prod", overrides: { k8sClientPodLabels: "[]" }, key: "k8sClientPodLabels", mentions: /every pod/ },
  { name: "a backup bucket with static keys but no Secret", base: "k8s-prod", overrides: { k8sBackupCredentials: "secret" }, key: "k8sBackupCredentialsSecret", mentions: /k8sBackupBucket is seaweedfs-prod-master-backups.*AWS_ACCESS_KEY_ID/ },
  { name: "a backup Secret the sidecar would not use", base: "k8s-prod", overrides: { k8sBackupCredentialsSecret: "seaweedfs-backup-credentials" }, key: "k8sBackupCredentialsSecret", mentions: /no effect: k8sBackupCredentials is eks-pod-identity/ },
  { name: "web identity without a role", base: "k8s-prod", overrides: { k8sBackupCredentials: "web-identity" }, key: "k8sBackupRoleArn", mentions: /no role to assume/ },
  { name: "a role without web identity", base: "k8s-prod", overrides: { k8sBackupRoleArn: "arn:aws:iam::210987654321:role/seaweedfs-backup" }, key: "k8sBackupRoleArn", mentions: /no effect: only the backup sidecar with k8sBackupCredentials web-identity/ },
  { name: "a role that is not an ARN", base: "k8s-prod", overrides: { k8sBackupCredentials: "web-identity", k8sBackupRoleArn: "seaweedfs-backup" }, key: "k8sBackupRoleArn", mentions: /not an IAM role ARN/ },
  { name: "an unknown credentials mode", base: "k8s-prod", overrides: { k8sBackupCredentials: "irsa" }, key: "k8sBackupCredentials", mentions: /secret, web-identity, eks-pod-identity/ },
  { name: "a backup image in an example registry", base: "k8s-prod", overrides: { k8sBackupImage: "registry.example.com/seaweedfs/master-backup:1.0.0" }, key: "k8sBackupImage", mentions: /registry\.example\.com, which is reserved for examples.*ErrImagePull.*push it to a registry your nodes pull from/ },
  { name: "a master image in a .test registry", base: "k8s-prod", overrides: { k8sImage: "mirror.corp.test/seaweedfs" }, key: "k8sImage", mentions: /mirror\.corp\.test, which is reserved/ },
  { name: "an extra flag the tier renders", base: "k8s-prod", overrides: { k8sExtraArgs: JSON.stringify(["-garbageThreshold=0.3", "-peers=a:9333"]) }, key: "k8sExtraArgs[1]", mentions: /sets -peers, which the tier renders itself/ },
  { name: "a toleration without an effect", base: "k8s-prod", overrides: { k8sTolerations: JSON.stringify(["dedicated=seaweedfs"]) }, key: "k8sTolerations", mentions: /key=value:Effect/ },
  { name: "a log level of 9", base: "k8s-prod", overrides: { k8sLogLevel: "9" }, key: "k8sLogLevel", mentions: /4 or less/ },
  { name: "a backup bucket without an image", base: "k8s-prod", overrides: { k8sBackupImage: undefined }, key: "k8sBackupImage", mentions: /sidecar needs it.*AWS CLI/ },
  { name: "a backup endpoint without a bucket", base: "k8s-dev", overrides: { k8sBackupEndpoint: "http://minio.storage.svc:9000" }, key: "k8sBackupEndpoint", mentions: /no effect: k8sBackupBucket is empty/ },
  { name: "a backup endpoint that is not a URL", base: "k8s-prod", overrides: { k8sBackupEndpoint: "minio:9000" }, key: "k8sBackupEndpoint", mentions: /http\(s\) URL/ },
  { name: "a master port on the backup sidecar's metrics port", base: "k8s-prod", overrides: { metricsPort: "9328" }, key: "metricsPort", mentions: /backup sidecar's metrics port \(9328\)/ },
  { name: "a bucket key on an AWS stack", base: "prod", overrides: { k8sBackupBucket: "b-backups" }, key: "k8sBackupBucket", mentions: /kubernetes platform/ },
  { name: "an AWS bucket lifecycle key on a Kubernetes stack", base: "k8s-prod", overrides: { backupExpirationDays: "400" }, key: "backupExpirationDays", mentions: /aws platform/ },
  { name: "an unknown platform", base: "k8s-prod", overrides: { platform: "nomad" }, key: "platform", mentions: /aws or kubernetes/ },
];

describe("platform keys", () => {
  for (const c of cases) {
    it(`refuses ${c.name}, naming ${c.key}`, () => {
      const error = refusal(c.overrides, c.base);
      const issue = error.issues.find((i) => i.key === c.key);
      assert.ok(issue, `no problem reported for ${c.key}; got: ${error.message}`);
      assert.match(`${issue.message} ${issue.fix}`, c.mentions);
    });
  }
});

describe("backupIntervalMinutes is neutral", () => {
  it("is read on a Kubernetes stack (the sidecar's loop) as on AWS", () => {
    const config = parseStackConfig({ ...projectKeys(readStackConfig("k8s-dev").config), backupIntervalMinutes: "30" }, { stack: "k8s-dev" });
    assert.equal(config.backupIntervalMinutes, 30);
  });
});

describe("deployed Kubernetes identities", () => {
  const deployed = [0, 1, 2, 3, 4].map((slot) => ({ slot, name: `seaweedfs-master-${slot}`, az: "us-east-1a", host: `seaweedfs-master-${slot}.seaweedfs-master-peers.seaweedfs.svc.cluster.local` }));
  const raw = projectKeys(readStackConfig("k8s-prod").config);

  it("accepts the deployed identities unchanged", () => {
    assert.equal(parseStackConfig(raw, { stack: "k8s-prod", previousSlots: deployed }).platform, "kubernetes");
  });

  for (const [key, value] of [["k8sNamespace", "seaweedfs-new"], ["clusterName", "masters"], ["k8sClusterDomain", "cluster.example"]] as const) {
    it(`refuses a ${key} that would rename the deployed masters, naming the deployed value`, () => {
      assert.throws(
        () => parseStackConfig({ ...raw, [key]: value }, { stack: "k8s-prod", previousSlots: deployed }),
        (e: unknown) => e instanceof ConfigError && e.issues.length === 1 && e.issues[0].key === key && e.issues[0].fix.startsWith(`keep ${key}: ${key === "k8sNamespace" ? "seaweedfs" : key === "clusterName" ? "seaweedfs" : "cluster.local"};`),
      );
    });
  }
});
