/**
 * X.509 for the tier's mutual TLS, with `@peculiar/x509` over Node's WebCrypto: a stack's CA and the certificates
 * it issues (ECDSA P-256, SHA-256). Pure apart from randomness and the clock; no Pulumi. The dynamic resources
 * (./resources.ts) run these functions inside Pulumi's dynamic-provider process, which serialises them: so every
 * function loads its modules itself ({@link x509Library}) instead of relying on top-level imports.
 */
import type * as X509 from "@peculiar/x509";
import type { webcrypto } from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** A certificate and its private key, both PEM (the key PKCS#8, `-----BEGIN PRIVATE KEY-----`). */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

/** What a certificate says about itself that the stack reports and renews on. */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  serialNumber: string;
  /** ISO 8601. */
  notBefore: string;
  /** ISO 8601. */
  notAfter: string;
  /** SHA-256 of the DER, hex. */
  fingerprint: string;
}

/** A minted certificate: the pair and its facts. */
export type IssuedPem = PemPair & CertificateFacts;

/** Extended key usages by name (RFC 5280). */
const KEY_USAGE_OIDS = { serverAuth: "1.3.6.1.5.5.7.3.1", clientAuth: "1.3.6.1.5.5.7.3.2" } as const;

/** How far back a new certificate's validity starts, so a host whose clock is a little behind accepts it. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The library with its WebCrypto provider set (it needs a Reflect polyfill loaded first, see its README). */
export function x509Library(): typeof X509 {
  require("reflect-metadata");
  const x509 = require("@peculiar/x509") as typeof X509;
  const { webcrypto } = require("node:crypto") as typeof import("node:crypto");
  x509.cryptoProvider.set(webcrypto as ReturnType<typeof x509.cryptoProvider.get>);
  return x509;
}

function algorithm() {
  return { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
}

/** 16 random bytes, hex, with the top bit cleared (a positive serial). */
function serialNumber(): string {
  const { randomBytes } = require("node:crypto") as typeof import("node:crypto");
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString("hex");
}

/** Facts of a PEM certificate (the first one of a bundle). */
export async function certificateFacts(certPem: string): Promise<CertificateFacts> {
  const x509 = x509Library();
  const cert = new x509.X509Certificate(certPem);
  const fingerprint = Buffer.from(await cert.getThumbprint("SHA-256")).toString("hex");
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    fingerprint,
  };
}

async function exportPair(cert: X509.X509Certificate, privateKey: CryptoKey): Promise<PemPair> {
  const x509 = x509Library();
  const { webcrypto } = require("node:crypto") as typeof import("node:crypto");
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", privateKey);
  return { certPem: cert.toString("pem"), keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") };
}

export interface CaRequest {
  commonName: string;
  validityDays: number;
  /** @default now */
  now?: Date;
}

/** A self-signed CA that may sign leaf certificates only (path length 0). */
export async function createCertificateAuthority(request: CaRequest): Promise<IssuedPem> {
  const x509 = x509Library();
  const { webcrypto } = require("node:crypto") as typeof import("node:crypto");
  const now = request.now ?? new Date();
  const keys = (await webcrypto.subtle.generateKey(algorithm(), true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: new x509.Name([{ CN: [request.commonName] }]),
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + request.validityDays * DAY_MS),
    keys,
    signingAlgorithm: algorithm(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pair = await exportPair(cert, keys.privateKey);
  return { ...pair, ...(await certificateFacts(pair.certPem)) };
}

export interface CertificateRequest {
  /** The signing CA: its certificate and private key. */
  ca: PemPair;
  commonName: string;
  /** Subject alternative names. @default none */
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  usages: readonly (keyof typeof KEY_USAGE_OIDS)[];
  validityDays: number;
  /** @default now */
  now?: Date;
}

/** A leaf certificate signed by `ca`; it never outlives the CA. */
export async function issueCertificate(request: CertificateRequest): Promise<IssuedPem> {
  const x509 = x509Library();
  const { webcrypto } = require("node:crypto") as typeof import("node:crypto");
  const now = request.now ?? new Date();
  const caCert = new x509.X509Certificate(request.ca.certPem);
  const caKey = await webcrypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(request.ca.keyPem), algorithm(), false, ["sign"]);
  const keys = (await webcrypto.subtle.generateKey(algorithm(), true, ["sign", "verify"])) as CryptoKeyPair;
  const notAfter = new Date(Math.min(now.getTime() + request.validityDays * DAY_MS, caCert.notAfter.getTime()));
  const names = [...(request.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })), ...(request.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value }))];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: new x509.Name([{ CN: [request.commonName] }]),
    issuer: caCert.subjectName,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: algorithm(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(request.usages.map((u) => KEY_USAGE_OIDS[u])),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const pair = await exportPair(cert, keys.privateKey);
  return { ...pair, ...(await certificateFacts(pair.certPem)) };
}

/** Whether a certificate expiring at `notAfter` is inside its renewal window at `now`. */
export function dueForRenewal(notAfter: string, renewBeforeDays: number, now: Date = new Date()): boolean {
  return new Date(notAfter).getTime() - now.getTime() <= renewBeforeDays * DAY_MS;
}

/** A CA bundle: the PEM certificates one after the other. */
export function caBundle(certPems: readonly string[]): string {
  return certPems.map((pem) => (pem.endsWith("\n") ? pem : `${pem}\n`)).join("");
}
