/**
 * EC2 user data as the slots' launch templates carry it: the boot script gzip-compressed, then base64. EC2 caps user
 * data at 16 KiB and the boot script (TLS, recovery hold, every boot step) outgrew it; cloud-init decompresses gzip
 * user data itself before it runs the script ("Gzip Compressed Content", cloud-init's user-data formats,
 * https://github.com/canonical/cloud-init/blob/20.2/doc/rtd/topics/format.rst). Everything that reads a launch
 * template's user data (policy pack, tests, secret and private-key scans) decodes it here, so each sees the script
 * the instance runs, never the compressed bytes.
 */
import * as zlib from "node:zlib";

/** The first two bytes of every gzip stream (RFC 1952), which cloud-init also looks for. */
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/**
 * The launch template's `userData` for a boot script: gzip (level 9; Node writes mtime 0, so the same script always
 * gives the same bytes with the same Node) in base64.
 */
export function encodeUserData(script: string): string {
  return zlib.gzipSync(Buffer.from(script, "utf8"), { level: 9 }).toString("base64");
}

/** The bytes EC2 receives for base64 user data (what its 16 KiB cap counts): compressed, if it is. */
export function userDataBytes(encoded: string): number {
  return Buffer.from(encoded, "base64").length;
}

/**
 * The text cloud-init runs for base64 user data: gunzipped when it is gzip (as cloud-init does), as-is otherwise;
 * `""` for a missing value. Corrupt gzip throws: a script nobody can read is never judged clean.
 */
export function decodeUserData(encoded: unknown): string {
  if (typeof encoded !== "string") return "";
  const bytes = Buffer.from(encoded, "base64");
  return (bytes.subarray(0, 2).equals(GZIP_MAGIC) ? zlib.gunzipSync(bytes) : bytes).toString("utf8");
}
