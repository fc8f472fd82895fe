/**
 * The AWS tier's TLS material (infra/tls): the stack's CA and one certificate per master slot (its fixed IP and its
 * private DNS name as subject alternative names) and per client role, stored in SSM. Certificates and the CA
 * bundle are String parameters; every private key is a SecureString under the stack's KMS key and nowhere else
 * (not in user data, not in an output). Masters fetch their own at boot (infra/aws/bootScript.sh write_tls); volume
 * servers, filers and operators read the client parameters named in the stack output `tls`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SeaweedConfig } from "./config";
import { renderClientSecurityToml } from "../seaweed/security";
import { CLIENT_ROLES, tlsCommonName } from "../seaweed/tls";
import { HOST_PATHS } from "./host/paths";
import { StackCertificates, TlsIdentity } from "../tls/stackCertificates";
import { clientTlsParameterNames, masterDnsName, masterTlsParameterNames } from "./naming";

export interface MasterTlsArgs {
  config: SeaweedConfig;
  /** The private hosted zone's name: each master's certificate also names `master-<slot>.<zone>`. */
  zoneName: string;
  /** Encrypts the private keys' SecureStrings. */
  kmsKeyArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

export class MasterTls extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:aws:MasterTls";
  readonly certificates: StackCertificates;
  /** Every parameter the masters' boot reads; their groups wait for them. */
  readonly masterParameters: aws.ssm.Parameter[];
  /** Name of the CA bundle's parameter (clients read it too). */
  readonly caBundleParameterName: string;

  constructor(name: string, args: MasterTlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MasterTls.__pulumiType, name, {}, opts);
    const { config, zoneName, kmsKeyArn, tags } = args;
    const { clusterName } = config;
    const identities: TlsIdentity[] = [
      ...config.topology.slots.map((s) => ({ id: `master-${s.slot}`, role: "master" as const, ipAddresses: [s.ip], dnsNames: [masterDnsName(s.slot, zoneName)] })),
      ...CLIENT_ROLES.map((role) => ({ id: role, role })),
    ];
    this.certificates = new StackCertificates(`${name}-pki`, { settings: config, identities, protect: config.dataProtection }, { parent: this });
    const parameter = (id: string, parameterName: string, description: string, value: pulumi.Output<string>, secret: boolean) =>
      new aws.ssm.Parameter(
        `${name}-${id}`,
        { name: parameterName, description, tier: "Standard", ...(secret ? { type: "SecureString", keyId: kmsKeyArn, value: pulumi.secret(value) } : { type: "String", value }), tags },
        { parent: this },
      );
    this.caBundleParameterName = masterTlsParameterNames(clusterName, 0).caBundle;
    const caBundle = parameter("ca-bundle", this.caBundleParameterName, "SeaweedFS TLS CA bundle ([grpc] ca) of every master and client", this.certificates.caBundle, false);
    this.masterParameters = [caBundle];
    for (const slot of config.topology.slots) {
      const names = masterTlsParameterNames(clusterName, slot.slot);
      const cert = this.certificates.certificates[`master-${slot.slot}`];
      this.masterParameters.push(
        parameter(`master-${slot.slot}-cert`, names.cert, `SeaweedFS TLS certificate of master slot ${slot.slot}`, cert.certPem, false),
        parameter(`master-${slot.slot}-key`, names.key, `SeaweedFS TLS private key of master slot ${slot.slot}; read by that master at boot`, cert.keyPem, true),
      );
    }
    for (const role of CLIENT_ROLES) {
      const names = clientTlsParameterNames(clusterName, role);
      const cert = this.certificates.certificates[role];
      parameter(`${role}-cert`, names.cert, `SeaweedFS TLS client certificate (${role})`, cert.certPem, false);
      parameter(`${role}-key`, names.key, `SeaweedFS TLS client private key (${role})`, cert.keyPem, true);
    }
    this.registerOutputs({ caBundleParameterName: this.caBundleParameterName });
  }
}

/**
 * The stack output `tls`: where a volume server, a filer or an operator gets the CA bundle and its certificate (SSM
 * parameter names: the key's is a SecureString under `kmsKeyArn`, whose reader needs ssm:GetParameter on it and
 * kms:Decrypt), and the security.toml it runs with once the files are in {@link HOST_PATHS.tlsDir}. No key material.
 */
export function awsTlsOutputs(config: SeaweedConfig, tls: MasterTls | undefined, kmsKeyArn: pulumi.Output<string>): Record<string, unknown> | null {
  if (!tls) return null;
  const clients = Object.fromEntries(
    CLIENT_ROLES.map((role) => {
      const names = clientTlsParameterNames(config.clusterName, role);
      return [role, { commonName: tlsCommonName(config.clusterName, role), certParameter: names.cert, keyParameter: names.key, securityToml: renderClientSecurityToml({ role, clusterName: config.clusterName, dir: HOST_PATHS.tlsDir }) }];
    }),
  );
  return { caBundleParameter: tls.caBundleParameterName, kmsKeyArn, filesDir: HOST_PATHS.tlsDir, clients };
}
