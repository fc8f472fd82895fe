/**
 * security.toml for a master: JWT-signed writes with short-lived tokens. The key itself never appears in it:
 * SeaweedFS reads `[jwt.signing] key` from the `WEED_JWT_SIGNING_KEY` environment variable, which a systemd
 * environment file (AWS) or a Secret (Kubernetes) provides, so this file holds no secret and can live in user data
 * or a ConfigMap.
 */
import { JWT_SIGNING_KEY_ENV } from "./constants";

export interface SecurityTomlOptions {
  /** @default 10 */
  jwtExpiresAfterSeconds?: number;
  /** Where the platform loads the key from, for the file's comment (e.g. "loaded by systemd from /etc/..."). */
  keySource: string;
}

export function renderSecurityToml(options: SecurityTomlOptions): string {
  return `# SeaweedFS security settings for a master. The signing key is NOT here: it is read from the
# ${JWT_SIGNING_KEY_ENV} environment variable, ${options.keySource}.
[jwt.signing]
expires_after_seconds = ${options.jwtExpiresAfterSeconds ?? 10}
`;
}
