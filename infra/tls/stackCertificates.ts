/**
 * A stack's certificates: one CA per generation that is trusted (the issuing one, plus the other one during a CA
 * rotation), and one certificate per identity from the issuing CA. Both platforms build theirs with this component
 * and store the results in their secret store (SSM on AWS, Secrets on Kubernetes); nothing here leaves Pulumi's
 * state, where every private key is a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { ROLE_KEY_USAGES, tlsCommonName, TlsRole } from "../seaweed/tls";
import { trustedCaGenerations } from "../config/keys-tls";
import { CertificateAuthority, IssuedCertificate } from "./resources";
import { caBundle } from "./x509";

/** The TLS keys of the stack config (infra/config/keys-tls.ts). */
export interface TlsSettings {
  clusterName: string;
  tlsCaValidityDays: number;
  tlsCertificateValidityDays: number;
  tlsRenewBeforeDays: number;
  tlsCaGeneration: number;
  tlsCaTrustedGenerations: number[];
}

/** One certificate to issue. */
export interface TlsIdentity {
  /** Unique within the stack, e.g. `master-0` or `admin`: names the resource and the stored files. */
  id: string;
  role: TlsRole;
  /** Subject alternative names (informational for SeaweedFS 4.44's gRPC, which checks no host name). @default none */
  dnsNames?: string[];
  ipAddresses?: string[];
}

export interface StackCertificatesArgs {
  settings: TlsSettings;
  identities: readonly TlsIdentity[];
  /**
   * Protect the CAs (`pulumi destroy` refuses, and so does dropping a generation: a CA rotation's last step then
   * starts with `pulumi state unprotect`, docs/security.md): losing one means issuing and rolling everything again.
   * Certificates are never protected: a renewal replaces them.
   */
  protect: boolean;
}

/** The common name of a CA generation. */
export function caCommonName(clusterName: string, generation: number): string {
  return `${clusterName} CA ${generation}`;
}

export class StackCertificates extends pulumi.ComponentResource {
  static readonly __pulumiType = "seaweed:tls:StackCertificates";
  /** Every trusted CA, PEM, in generation order: what `[grpc] ca` points at. */
  readonly caBundle: pulumi.Output<string>;
  /** The CA that issues, by generation. */
  readonly issuingGeneration: number;
  /** By identity id. */
  readonly certificates: Readonly<Record<string, IssuedCertificate>>;

  constructor(name: string, args: StackCertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(StackCertificates.__pulumiType, name, {}, opts);
    const { settings, identities, protect } = args;
    const generations = trustedCaGenerations(settings);
    const cas = new Map(
      generations.map((g) => [g, new CertificateAuthority(`${name}-ca-${g}`, { commonName: caCommonName(settings.clusterName, g), validityDays: settings.tlsCaValidityDays }, { parent: this, protect })]),
    );
    this.issuingGeneration = settings.tlsCaGeneration;
    const issuer = cas.get(settings.tlsCaGeneration)!;
    this.caBundle = pulumi.all(generations.map((g) => cas.get(g)!.certPem)).apply(caBundle);
    this.certificates = Object.fromEntries(
      identities.map((identity) => [
        identity.id,
        new IssuedCertificate(
          `${name}-${identity.id}`,
          {
            ca: issuer,
            commonName: tlsCommonName(settings.clusterName, identity.role),
            dnsNames: identity.dnsNames,
            ipAddresses: identity.ipAddresses,
            usages: [...ROLE_KEY_USAGES[identity.role]],
            validityDays: settings.tlsCertificateValidityDays,
            renewBeforeDays: settings.tlsRenewBeforeDays,
          },
          // Not protected, even under a protected parent: renewing a certificate replaces it.
          { parent: this, protect: false },
        ),
      ]),
    );
    this.registerOutputs({ caBundle: this.caBundle });
  }
}
