/**
 * Mutual TLS, the pure parts: the security.toml sections every role gets (infra/seaweed/tls.ts), the certificates the
 * program mints (infra/tls/x509.ts, checked with openssl, not with the library that made them), the dynamic
 * resources' decisions to keep or re-issue a certificate, and the TLS config keys.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderClientSecurityToml, renderSecurityToml } from "../../infra/seaweed/security";
import { renderTlsSections, tlsIdentityEnvironment } from "../../infra/seaweed/tls";
import { caBundle, createCertificateAuthority, dueForRenewal, issueCertificate } from "../../infra/tls/x509";
import { certificateAuthorityProvider, issuedCertificateProvider } from "../../infra/tls/resources";
import { projectKeys } from "../../infra/config";
import { parseStackConfig } from "../../infra/platforms";
import { readStackConfig } from "../../tools/lib/stackFiles";
import { refusal } from "../support/configRefusal";

/** The value of `key` in `[section]` of a TOML text (flat sections, one `key = "value"` per line). */
function tomlValue(toml: string, section: string, key: string): string | undefined {
  const body = toml.split(/^\[/m).find((s) => s.startsWith(`${section}]`));
  return body ? /^(\w+) = "(.*)"$/gm.exec(body.split("\n").filter((l) => l.startsWith(`${key} `)).join("\n"))?.[2] : undefined;
}

function openssl(args: string[], input?: string): string {
  return execFileSync("openssl", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

describe("security.toml with mutual TLS", () => {
  const dir = "/etc/seaweedfs/tls";

  it("gives a master its own certificate on the master port and as a client, allowing exactly the tier's roles", () => {
    const toml = renderSecurityToml({ keySource: "test", tls: { clusterName: "c1", dir } });
    assert.equal(tomlValue(toml, "grpc", "ca"), `${dir}/ca.crt`);
    assert.equal(tomlValue(toml, "grpc.master", "cert"), `${dir}/master.crt`);
    assert.equal(tomlValue(toml, "grpc.master", "key"), `${dir}/master.key`);
    assert.equal(tomlValue(toml, "grpc.master", "allowed_commonNames"), "c1-master,c1-volume,c1-filer,c1-admin");
    assert.equal(tomlValue(toml, "grpc.client", "cert"), `${dir}/master.crt`);
    assert.equal(tomlValue(toml, "grpc.client", "allowed_commonNames"), undefined, "a client section accepts nobody");
    assert.ok(toml.includes("[jwt.signing]"));
  });

  it("pins TLS 1.3 with both bounds (a minimum alone makes weed 4.44 serve gRPC in plain text)", () => {
    const toml = renderTlsSections({ clusterName: "c1", role: "admin", dir });
    assert.equal(tomlValue(toml, "tls", "min_version"), "TLS 1.3");
    assert.equal(tomlValue(toml, "tls", "max_version"), "TLS 1.3");
  });

  it("lets filers be called by filers and operators only, and gives an operator no server section", () => {
    assert.equal(tomlValue(renderClientSecurityToml({ role: "filer", clusterName: "c1", dir }), "grpc.filer", "allowed_commonNames"), "c1-filer,c1-admin");
    assert.equal(tomlValue(renderClientSecurityToml({ role: "volume", clusterName: "c1", dir }), "grpc.volume", "allowed_commonNames"), "c1-master,c1-volume,c1-filer,c1-admin");
    const admin = renderClientSecurityToml({ role: "admin", clusterName: "c1", dir });
    assert.equal(tomlValue(admin, "grpc.client", "key"), `${dir}/admin.key`);
    assert.doesNotMatch(admin, /allowed_commonNames|\[grpc\.(master|volume|filer)\]/);
  });

  it("renders no TLS section when TLS is off", () => {
    assert.doesNotMatch(renderSecurityToml({ keySource: "test" }), /\[grpc|\[tls\]/);
  });

  it("takes a pod's own certificate from WEED_GRPC_* variables when the file is shared by every pod", () => {
    const toml = renderSecurityToml({ keySource: "test", tls: { clusterName: "c1", dir, identityFromEnvironment: true } });
    assert.equal(tomlValue(toml, "grpc.master", "cert"), undefined);
    assert.ok(tomlValue(toml, "grpc.master", "allowed_commonNames"));
    assert.deepEqual(tlsIdentityEnvironment("master", { cert: "/c", key: "/k" }), {
      WEED_GRPC_MASTER_CERT: "/c",
      WEED_GRPC_MASTER_KEY: "/k",
      WEED_GRPC_CLIENT_CERT: "/c",
      WEED_GRPC_CLIENT_KEY: "/k",
    });
  });
});

describe("certificates the program mints", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tls-render-"));
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(work, name), text);
    return path.join(work, name);
  };

  it("issues a master certificate that openssl verifies against the CA, with both usages and the slot's addresses", async () => {
    const ca = await createCertificateAuthority({ commonName: "c1 CA 1", validityDays: 30 });
    const leaf = await issueCertificate({ ca, commonName: "c1-master", ipAddresses: ["10.20.0.10"], dnsNames: ["master-0.c1.internal"], usages: ["serverAuth", "clientAuth"], validityDays: 10 });
    assert.match(openssl(["verify", "-CAfile", file("ca.crt", ca.certPem), file("leaf.crt", leaf.certPem)]), /OK/);
    const text = openssl(["x509", "-noout", "-text", "-in", file("leaf.crt", leaf.certPem)]);
    assert.match(text, /Subject: CN ?= ?c1-master/);
    assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /DNS:master-0\.c1\.internal, IP Address:10\.20\.0\.10/);
    assert.match(text, /CA:FALSE/);
    // The key belongs to the certificate.
    const fromKey = openssl(["pkey", "-pubout", "-in", file("leaf.key", leaf.keyPem)]);
    assert.equal(openssl(["x509", "-noout", "-pubkey", "-in", file("leaf.crt", leaf.certPem)]), fromKey);
    assert.match(leaf.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(openssl(["x509", "-noout", "-text", "-in", file("ca.crt", ca.certPem)]), /CA:TRUE, pathlen:0/);
  });

  it("gives an operator a client-only certificate and never lets a certificate outlive its CA", async () => {
    const ca = await createCertificateAuthority({ commonName: "c1 CA 1", validityDays: 30 });
    const admin = await issueCertificate({ ca, commonName: "c1-admin", usages: ["clientAuth"], validityDays: 400 });
    assert.doesNotMatch(openssl(["x509", "-noout", "-text", "-in", file("admin.crt", admin.certPem)]), /Server Authentication/);
    assert.ok(new Date(admin.notAfter) <= new Date(ca.notAfter), `${admin.notAfter} after the CA's ${ca.notAfter}`);
  });

  it("refuses a certificate of another CA (openssl, the same check weed makes)", async () => {
    const ca = await createCertificateAuthority({ commonName: "c1 CA 1", validityDays: 30 });
    const other = await createCertificateAuthority({ commonName: "c1 CA 2", validityDays: 30 });
    const leaf = await issueCertificate({ ca: other, commonName: "c1-master", usages: ["serverAuth", "clientAuth"], validityDays: 10 });
    assert.throws(() => openssl(["verify", "-CAfile", file("ca1.crt", ca.certPem), file("foreign.crt", leaf.certPem)]));
    // An overlap bundle (old and new CA, as the stack builds it) accepts both.
    assert.match(openssl(["verify", "-CAfile", file("bundle.crt", caBundle([ca.certPem, other.certPem])), file("foreign2.crt", leaf.certPem)]), /OK/);
  });

  it("counts a certificate due for renewal exactly inside its window", () => {
    const now = new Date("2030-01-01T00:00:00Z");
    assert.equal(dueForRenewal("2030-01-31T00:00:01Z", 30, now), false);
    assert.equal(dueForRenewal("2030-01-31T00:00:00Z", 30, now), true);
    assert.equal(dueForRenewal("2029-12-31T00:00:00Z", 30, now), true);
  });
});

describe("the CA and certificates as dynamic resources", () => {
  const inputs = { caCertPem: "ca", caKeyPem: "cakey", commonName: "c1-master", dnsNames: ["a"], ipAddresses: ["10.0.0.1"], usages: ["serverAuth" as const, "clientAuth" as const], validityDays: 365, renewBeforeDays: 30 };
  const far = new Date(Date.now() + 200 * 86_400_000).toISOString();
  const olds = { ...inputs, certPem: "c", keyPem: "k", notAfter: far, notBefore: "", subject: "", issuer: "", serialNumber: "", fingerprint: "" };

  it("keeps a certificate across updates until what it says changes or its renewal window opens", async () => {
    const diff = (news: Partial<typeof inputs>, old = olds) => issuedCertificateProvider.diff!("id", old, { ...inputs, ...news });
    assert.deepEqual(await diff({}), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual((await diff({ ipAddresses: ["10.0.0.2"] })).replaces, ["ipAddresses"]);
    assert.deepEqual((await diff({ caCertPem: "new-ca" })).replaces, ["caCertPem"]);
    assert.deepEqual((await diff({}, { ...olds, notAfter: new Date(Date.now() + 10 * 86_400_000).toISOString() })).replaces, ["notAfter"]);
    const windowOnly = await diff({ renewBeforeDays: 20 });
    assert.deepEqual([windowOnly.changes, windowOnly.replaces], [true, []]);
  });

  it("re-issues a CA only for a new name (a rotation is a new generation)", async () => {
    const ca = { commonName: "c1 CA 1", validityDays: 3650 };
    const old = { ...ca, certPem: "c", keyPem: "k", notAfter: "", notBefore: "", subject: "", issuer: "", serialNumber: "", fingerprint: "" };
    assert.equal((await certificateAuthorityProvider.diff!("id", old, { ...ca, validityDays: 100 })).changes, false);
    assert.deepEqual((await certificateAuthorityProvider.diff!("id", old, { ...ca, commonName: "c1 CA 2" })).replaces, ["commonName"]);
  });

  it("mints real key material in create, the way the engine runs it", async () => {
    const ca = await certificateAuthorityProvider.create!({ commonName: "c1 CA 1", validityDays: 30 });
    const cert = await issuedCertificateProvider.create!({ ...inputs, caCertPem: ca.outs!.certPem, caKeyPem: ca.outs!.keyPem });
    assert.equal(cert.outs?.issuer, "CN=c1 CA 1");
    assert.match(cert.outs?.keyPem ?? "", /PRIVATE KEY/);
    assert.equal(cert.id, cert.outs?.fingerprint);
  });
});

describe("TLS config keys", () => {
  const config = (stack: string) => parseStackConfig(projectKeys(readStackConfig(stack).config), { stack });

  it("turns TLS on in staging, prod and k8s-prod, off in dev", () => {
    assert.deepEqual(["dev", "staging", "prod", "k8s-dev", "k8s-prod"].map((s) => config(s).tlsEnabled), [false, true, true, false, true]);
  });

  it("refuses a renewal window, alarm or lifetime that cannot work, and a rotation that trusts three CAs", () => {
    const keys = (overrides: Record<string, string>) => refusal(overrides).issues.map((i) => i.key);
    assert.deepEqual(keys({ tlsRenewBeforeDays: "365" }), ["tlsRenewBeforeDays"]);
    assert.deepEqual(keys({ tlsExpiryAlarmDays: "30" }), ["tlsExpiryAlarmDays"]);
    assert.deepEqual(keys({ tlsCertificateValidityDays: "800", tlsCaValidityDays: "700" }), ["tlsCertificateValidityDays"]);
    assert.deepEqual(keys({ tlsCaTrustedGenerations: "[1]" }), ["tlsCaTrustedGenerations"]);
    assert.deepEqual(keys({ tlsCaGeneration: "3", tlsCaTrustedGenerations: "[1, 2]" }), ["tlsCaTrustedGenerations"]);
  });

  it("refuses a cert-manager issuer without TLS or in another form than Kind/name", () => {
    assert.deepEqual(refusal({ tlsEnabled: "false", k8sCertManagerIssuer: "ClusterIssuer/ca" }, "k8s-prod").issues.map((i) => i.key), ["k8sCertManagerIssuer"]);
    assert.match(refusal({ k8sCertManagerIssuer: "ca" }, "k8s-prod").message, /Issuer\/<name> or ClusterIssuer\/<name>/);
  });
});
