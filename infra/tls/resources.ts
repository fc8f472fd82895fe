/**
 * The stack's CA and the certificates it issues, as small dynamic-provider resources (like the Kubernetes JWT key,
 * infra/kubernetes/signingKey.ts): no Pulumi TLS provider can be installed here, and a dynamic resource runs in the
 * program's own language host, so `pulumi up` needs no extra plugin. Each is created once and kept by every later
 * update; a certificate is issued again only when what it says changes (name, addresses, usages, lifetime, issuing
 * CA) or when it enters its renewal window, which the next `pulumi up` sees in `diff`. Private keys are secret
 * outputs (`additionalSecretOutputs`), so the state holds them encrypted.
 */
import * as pulumi from "@pulumi/pulumi";
import { createCertificateAuthority, dueForRenewal, issueCertificate, type IssuedPem } from "./x509";

interface CaInputs {
  commonName: string;
  validityDays: number;
}

/**
 * The CA's CRUD. Only a new name replaces a CA (a rotation is a new generation, a resource of its own); a changed
 * lifetime applies to the next generation, never silently to this one.
 */
export const certificateAuthorityProvider: pulumi.dynamic.ResourceProvider<CaInputs, CaInputs & IssuedPem> = {
  async create(inputs) {
    const issued = await createCertificateAuthority({ commonName: inputs.commonName, validityDays: inputs.validityDays });
    return { id: issued.fingerprint, outs: { ...inputs, ...issued } };
  },
  async diff(_id, olds, news) {
    const replaces = olds.commonName === news.commonName ? [] : ["commonName"];
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
};

export interface CertificateAuthorityArgs {
  commonName: string;
  validityDays: number;
}

/** A self-signed CA; `keyPem` is a Pulumi secret. */
export class CertificateAuthority extends pulumi.dynamic.Resource {
  /** The type token the engine and the mocks see. */
  static readonly type = "pulumi-nodejs:dynamic/seaweed:CertificateAuthority";
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: CertificateAuthorityArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { certPem: undefined, keyPem: undefined, notAfter: undefined, fingerprint: undefined, subject: undefined, issuer: undefined, serialNumber: undefined, notBefore: undefined };
    super(certificateAuthorityProvider, name, { ...args, ...outputs }, { ...opts, additionalSecretOutputs: ["keyPem"] }, "seaweed", "CertificateAuthority");
  }
}

interface CertificateInputs {
  caCertPem: string;
  caKeyPem: string;
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  usages: ("serverAuth" | "clientAuth")[];
  validityDays: number;
  renewBeforeDays: number;
}

/** The inputs whose change means a new certificate (the renewal window is a setting, not part of the certificate). */
const REISSUED_ON = ["caCertPem", "commonName", "dnsNames", "ipAddresses", "usages", "validityDays"] as const;

/** A certificate's CRUD: issued again on a change of {@link REISSUED_ON} or inside its renewal window. */
export const issuedCertificateProvider: pulumi.dynamic.ResourceProvider<CertificateInputs, CertificateInputs & IssuedPem> = {
  async create(inputs) {
    const issued = await issueCertificate({
      ca: { certPem: inputs.caCertPem, keyPem: inputs.caKeyPem },
      commonName: inputs.commonName,
      dnsNames: inputs.dnsNames,
      ipAddresses: inputs.ipAddresses,
      usages: inputs.usages,
      validityDays: inputs.validityDays,
    });
    return { id: issued.fingerprint, outs: { ...inputs, ...issued } };
  },
  async diff(_id, olds, news) {
    const replaces: string[] = REISSUED_ON.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    if (replaces.length === 0 && dueForRenewal(olds.notAfter, news.renewBeforeDays)) replaces.push("notAfter");
    // Only the renewal window changed: keep the certificate, take the new setting.
    const changes = replaces.length > 0 || olds.renewBeforeDays !== news.renewBeforeDays;
    return { changes, replaces, deleteBeforeReplace: false };
  },
  async update(_id, olds, news) {
    return { outs: { ...olds, renewBeforeDays: news.renewBeforeDays } };
  },
};

export interface IssuedCertificateArgs {
  /** The issuing CA (its key stays a secret). */
  ca: CertificateAuthority;
  commonName: string;
  /** @default none */
  dnsNames?: string[];
  /** @default none */
  ipAddresses?: string[];
  usages: ("serverAuth" | "clientAuth")[];
  validityDays: number;
  renewBeforeDays: number;
}

/** A certificate of the stack's CA; `keyPem` is a Pulumi secret. */
export class IssuedCertificate extends pulumi.dynamic.Resource {
  static readonly type = "pulumi-nodejs:dynamic/seaweed:IssuedCertificate";
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: IssuedCertificateArgs, opts?: pulumi.CustomResourceOptions) {
    const { ca, ...rest } = args;
    const inputs = {
      ...rest,
      dnsNames: rest.dnsNames ?? [],
      ipAddresses: rest.ipAddresses ?? [],
      caCertPem: ca.certPem,
      caKeyPem: pulumi.secret(ca.keyPem),
      certPem: undefined,
      keyPem: undefined,
      notAfter: undefined,
      fingerprint: undefined,
      subject: undefined,
      issuer: undefined,
      serialNumber: undefined,
      notBefore: undefined,
    };
    super(issuedCertificateProvider, name, inputs, { ...opts, additionalSecretOutputs: ["keyPem", "caKeyPem"] }, "seaweed", "IssuedCertificate");
  }
}
