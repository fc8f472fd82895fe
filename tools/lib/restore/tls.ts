/**
 * A throw-away TLS identity for a loopback endpoint of the drills: the backup agent on a host talks to S3 over https
 * (the AWS CLI's default endpoint), so the drill gives it an https endpoint too, whose certificate the agent trusts
 * through `AWS_CA_BUNDLE` and nothing else does.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface TlsIdentity {
  key: string;
  cert: string;
  /** The certificate as a file, for `AWS_CA_BUNDLE`. */
  certFile: string;
}

/**
 * A self-signed P-256 certificate for `ip` (its only subject alternative name), valid for a day, written into `dir`.
 * @param dir an existing directory of the caller's (the key is written there with mode 0600)
 */
export function selfSignedIdentity(dir: string, ip = "127.0.0.1"): TlsIdentity {
  const keyFile = path.join(dir, "endpoint.key");
  const certFile = path.join(dir, "endpoint.crt");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", `/CN=${ip}`, "-addext", `subjectAltName=IP:${ip}`, "-keyout", keyFile, "-out", certFile],
    { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 },
  );
  fs.chmodSync(keyFile, 0o600);
  return { key: fs.readFileSync(keyFile, "utf8"), cert: fs.readFileSync(certFile, "utf8"), certFile };
}
