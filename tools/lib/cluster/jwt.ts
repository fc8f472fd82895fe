/**
 * Checking the write token a master hands out with `/dir/assign` (response header `Authorization: Bearer <jwt>`):
 * an HS256 JWT over `{fid, exp}` signed with `[jwt.signing] key`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export interface FileIdClaims {
  fid: string;
  exp: number;
}

/** The bearer token of an `Authorization` header value, if any. */
export function bearerToken(header: string | null): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
}

/** The token's claims when its HS256 signature verifies with `key`, else undefined. */
export function verifyFileIdToken(token: string, key: string): FileIdClaims | undefined {
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || !signature) return undefined;
  const expected = createHmac("sha256", key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as FileIdClaims;
}
