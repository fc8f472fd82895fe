/**
 * Mutual TLS as the stacks register it under mocks: on AWS the CA bundle, each slot's certificate and its key in SSM
 * (the key a SecureString under the stack's KMS key, on a path no other party reads), each slot's boot reading its
 * own; on Kubernetes a TLS Secret per pod mounted through one projected volume, each pod finding its own through
 * `WEED_GRPC_*` variables, or cert-manager Certificates instead; a CA rotation's overlap bundle; what clients get.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { PROJECT, projectKeys } from "../../infra/config";
import { clientTlsParameterNames, masterTlsParameterNames } from "../../infra/aws/naming";
import { CertificateAuthority, IssuedCertificate } from "../../infra/tls/resources";
import { MOCK_TLS_CERTIFICATE, MOCK_TLS_PRIVATE_KEY } from "../../tools/lib/mockCloud";
import { ProgramRun, runUnderMocks } from "../../tools/lib/mockGraph";
import { readStackConfig } from "../../tools/lib/stackFiles";
import program = require("../../infra/index");
import { decodeUserData } from "../../infra/aws/userData";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A stack under mocks with some keys changed (engine string form). */
export async function runVariant(stack: string, overrides: Record<string, string> = {}): Promise<ProgramRun> {
  const file = readStackConfig(stack);
  const config = { ...file.config, ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`${PROJECT}:${k}`, v])) };
  projectKeys(config);
  return runUnderMocks(program, { project: PROJECT, stack, config, secretKeys: file.secretKeys });
}

/** A value the AWS SDK wrapped as a secret (it marks every SSM parameter's value secret), unwrapped. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const plain = (value: unknown): unknown => (value && typeof value === "object" && SECRET_SIG in value ? (value as unknown as { value: unknown }).value : value);
const ofType = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);
const userDataOf = (run: ProgramRun) => ofType(run, "aws:ec2/launchTemplate:LaunchTemplate").map((lt) => decodeUserData(lt.inputs.userData));

describe("the prod stack's TLS material on AWS", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runVariant("prod");
  });
  const parameter = (name: string) => {
    const found = ofType(run, "aws:ssm/parameter:Parameter").filter((p) => p.inputs.name === name);
    assert.equal(found.length, 1, `SSM parameter ${name}`);
    return { ...found[0].inputs, value: plain(found[0].inputs.value) } as Inputs;
  };

  it("stores each slot's certificate as a String and its key as a SecureString under the stack's KMS key", () => {
    const [kmsKey] = ofType(run, "aws:kms/key:Key");
    for (let slot = 0; slot < 5; slot++) {
      const names = masterTlsParameterNames("seaweedfs-prod", slot);
      assert.deepEqual([parameter(names.cert).type, parameter(names.cert).value], ["String", MOCK_TLS_CERTIFICATE]);
      assert.deepEqual([parameter(names.key).type, parameter(names.key).value, parameter(names.key).keyId], ["SecureString", MOCK_TLS_PRIVATE_KEY, kmsKey.state.arn]);
    }
    assert.equal(parameter(masterTlsParameterNames("seaweedfs-prod", 0).caBundle).type, "String");
  });

  it("issues one certificate per slot naming its fixed IP and DNS name, and one per client role, from one CA", () => {
    assert.equal(ofType(run, CertificateAuthority.type).length, 1);
    const certs = ofType(run, IssuedCertificate.type).map((c) => c.inputs as Inputs);
    assert.equal(certs.length, 8);
    const master0 = certs.find((c) => c.ipAddresses.includes("10.20.0.10"))!;
    assert.deepEqual([master0.commonName, master0.dnsNames, master0.usages], ["seaweedfs-prod-master", ["master-0.seaweedfs-prod.internal"], ["serverAuth", "clientAuth"]]);
    assert.deepEqual(certs.find((c) => c.commonName === "seaweedfs-prod-admin")!.usages, ["clientAuth"]);
  });

  it("puts client keys where the masters' role cannot read them", () => {
    const [boot] = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter((p) => String(p.inputs.policy).includes("ReadStackParameters"));
    const readable = (JSON.parse(String(boot.inputs.policy)).Statement as { Sid: string; Resource: string }[]).find((s) => s.Sid === "ReadStackParameters")!.Resource;
    const pattern = new RegExp(`^${readable.replace(/^arn:[^:]+:ssm:[^:]+:\d+:parameter/, "").replace(/[.]/g, "\\.").replace("*", ".*")}$`);
    assert.ok(pattern.test(masterTlsParameterNames("seaweedfs-prod", 3).key), `${readable} covers the masters' keys`);
    for (const role of ["volume", "filer", "admin"]) assert.ok(!pattern.test(clientTlsParameterNames("seaweedfs-prod", role).key), `${readable} covers the ${role} key`);
  });

  it("has each slot's boot read its own certificate and key, and write the TLS sections of security.toml", () => {
    userDataOf(run).forEach((script, slot) => {
      const names = masterTlsParameterNames("seaweedfs-prod", slot);
      assert.ok(script.includes(`TLS_KEY_PARAMETER='${names.key}'`), `slot ${slot}`);
      assert.ok(script.includes(`TLS_CERT_PARAMETER='${names.cert}'`));
      assert.match(script, /^allowed_commonNames = "seaweedfs-prod-master,seaweedfs-prod-volume,seaweedfs-prod-filer,seaweedfs-prod-admin"$/m);
    });
  });

  it("tells clients where their CA bundle, certificate and key are, and the security.toml they need", () => {
    const tls = run.outputs.tls as Inputs;
    assert.equal(tls.caBundleParameter, masterTlsParameterNames("seaweedfs-prod", 0).caBundle);
    assert.equal(tls.clients.volume.keyParameter, clientTlsParameterNames("seaweedfs-prod", "volume").key);
    assert.match(tls.clients.filer.securityToml, /^\[grpc\.filer\]\ncert = "\/etc\/seaweedfs\/tls\/filer\.crt"$/m);
    assert.equal(tls.clients.admin.commonName, "seaweedfs-prod-admin");
  });

  it("renders nothing of TLS on dev (TLS off)", async () => {
    const dev = await runVariant("dev");
    assert.equal(dev.outputs.tls, null);
    assert.equal(ofType(dev, IssuedCertificate.type).length, 0);
    for (const script of userDataOf(dev)) assert.ok(script.includes("TLS_DIR=''") && !script.includes("[grpc"));
  });
});

describe("a CA rotation's overlap bundle", () => {
  it("trusts both generations while the old one still issues, then issues from the new one", async () => {
    const overlap = await runVariant("prod", { tlsCaTrustedGenerations: "[2]" });
    const cas = ofType(overlap, CertificateAuthority.type);
    assert.deepEqual(cas.map((c) => (c.inputs as Inputs).commonName), ["seaweedfs-prod CA 1", "seaweedfs-prod CA 2"]);
    const bundle = ofType(overlap, "aws:ssm/parameter:Parameter").find((p) => p.inputs.name === masterTlsParameterNames("seaweedfs-prod", 0).caBundle)!;
    assert.equal(plain(bundle.inputs.value), MOCK_TLS_CERTIFICATE + MOCK_TLS_CERTIFICATE, "both CAs in the bundle");
    assert.deepEqual(cas.map((c) => c.protect), [true, true]);
    // Every certificate is issued by the CA of tlsCaGeneration (the mocked CA's certificate is the same text, so
    // the parent shows which one).
    const issued = await runVariant("prod", { tlsCaGeneration: "2", tlsCaTrustedGenerations: "[1]" });
    assert.deepEqual(ofType(issued, CertificateAuthority.type).map((c) => c.name), ["seaweedfs-prod-tls-pki-ca-1", "seaweedfs-prod-tls-pki-ca-2"]);
    for (const cert of ofType(issued, IssuedCertificate.type)) assert.ok(cert.propertyDependencies.caCertPem?.some((u) => u.endsWith("ca-2")), cert.name);
  });
});

describe("the k8s-prod stack's TLS objects", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runVariant("k8s-prod");
  });
  const podSpec = () => (ofType(run, "kubernetes:apps/v1:StatefulSet")[0].inputs as Inputs).spec.template;

  it("keeps each master's key in its own TLS Secret, and the Secrets only", () => {
    const secrets = ofType(run, "kubernetes:core/v1:Secret").filter((s) => (s.inputs as Inputs).type === "kubernetes.io/tls").map((s) => s.inputs as Inputs);
    assert.deepEqual(secrets.map((s) => s.metadata.name).sort(), ["seaweedfs-master-0-tls", "seaweedfs-master-1-tls", "seaweedfs-master-2-tls", "seaweedfs-master-3-tls", "seaweedfs-master-4-tls", "seaweedfs-tls-admin", "seaweedfs-tls-filer", "seaweedfs-tls-volume"]);
    for (const s of secrets) {
      const data = plain(s.stringData) as Inputs;
      assert.deepEqual([plain(data["tls.key"]), plain(data["ca.crt"])], [MOCK_TLS_PRIVATE_KEY, MOCK_TLS_CERTIFICATE]);
    }
    const master1 = ofType(run, IssuedCertificate.type).map((c) => c.inputs as Inputs).find((c) => c.dnsNames[0]?.startsWith("seaweedfs-master-1."));
    assert.equal(master1?.dnsNames[0], "seaweedfs-master-1.seaweedfs-master-peers.seaweedfs.svc.cluster.local", "the pod's raft identity");
  });

  it("mounts every master Secret in one projected volume and points each pod at its own files after POD_NAME", () => {
    const template = podSpec();
    const container = template.spec.containers[0];
    const env = container.env.map((e: Inputs) => e.name);
    assert.ok(env.indexOf("POD_NAME") < env.indexOf("WEED_GRPC_MASTER_CERT"), "POD_NAME must come first for $(POD_NAME) to expand");
    assert.equal(container.env.find((e: Inputs) => e.name === "WEED_GRPC_MASTER_KEY").value, "/etc/seaweedfs/tls/$(POD_NAME)/tls.key");
    const volume = template.spec.volumes.find((v: Inputs) => v.name === "tls");
    assert.equal(volume.projected.sources.length, 5);
    assert.equal(volume.projected.defaultMode, 0o440);
    assert.deepEqual(volume.projected.sources[2].secret.items.map((i: Inputs) => i.path), ["seaweedfs-master-2/tls.crt", "seaweedfs-master-2/tls.key"]);
    assert.equal(container.env.find((e: Inputs) => e.name === "WEED_TLS_CERT_REFRESH_INTERVAL").value, "300s", "a renewed Secret takes effect in place");
    const toml = (ofType(run, "kubernetes:core/v1:ConfigMap").find((c) => (c.inputs as Inputs).data?.["security.toml"])!.inputs as Inputs).data["security.toml"];
    assert.match(toml, /^ca = "\/etc\/seaweedfs\/tls\/ca\.crt"$/m);
    assert.doesNotMatch(toml, /^cert = /m);
  });

  it("lets cert-manager issue the same Secrets instead, when the stack names an issuer", async () => {
    const managed = await runVariant("k8s-prod", { k8sCertManagerIssuer: "ClusterIssuer/seaweedfs-ca" });
    assert.equal(ofType(managed, IssuedCertificate.type).length + ofType(managed, CertificateAuthority.type).length, 0);
    const certificates = ofType(managed, "kubernetes:cert-manager.io/v1:Certificate").map((c) => c.inputs as Inputs);
    assert.equal(certificates.length, 8);
    const admin = certificates.find((c) => c.spec.secretName === "seaweedfs-tls-admin")!;
    assert.deepEqual([admin.spec.commonName, admin.spec.usages, admin.spec.issuerRef], ["seaweedfs-admin", ["digital signature", "client auth"], { group: "cert-manager.io", kind: "ClusterIssuer", name: "seaweedfs-ca" }]);
    assert.equal(certificates.find((c) => c.spec.secretName === "seaweedfs-master-0-tls")!.spec.duration, "8760h");
    assert.equal((managed.outputs.tls as Inputs).certManagerIssuer, "ClusterIssuer/seaweedfs-ca");
  });
});
