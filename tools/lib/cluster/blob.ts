/**
 * The data half of a write probe: a unique blob uploaded to an assigned file id on its volume server and read back.
 * Shared by the drill harness (LocalCluster.write) and the rollout gates, which write through a deployed tier.
 */
import { randomBytes } from "node:crypto";
import { request } from "./http";

/**
 * Uploads a unique blob to `fid` on the volume server `url` (host:port), with the assignment's JWT when given, and
 * reads it back.
 * @returns undefined when the blob came back byte-identical, else what went wrong
 */
export async function uploadAndReadBack(url: string, fid: string, auth?: string, timeoutMs = 3000, blob = uniqueBlob(fid)): Promise<string | undefined> {
  const form = new FormData();
  form.append("file", new Blob([blob]), "drill.txt");
  const headers: Record<string, string> = auth ? { Authorization: `Bearer ${auth}` } : {};
  const upload = await request(`http://${url}/${fid}`, { method: "POST", body: form, headers, timeoutMs });
  if (upload.status !== 201 && upload.status !== 200) return `upload of ${fid} to ${url}: HTTP ${upload.status} ${upload.body || upload.error || ""}`.trim();
  return readBack(url, fid, blob, timeoutMs);
}

/** A blob no other write produces. */
export function uniqueBlob(fid: string): string {
  return `drill ${fid} ${randomBytes(8).toString("hex")}\n`;
}

/** Reads `fid` from the volume server `url`: undefined when it is byte-identical to `blob`, else what went wrong. */
export async function readBack(url: string, fid: string, blob: string, timeoutMs = 3000): Promise<string | undefined> {
  const read = await request(`http://${url}/${fid}`, { timeoutMs });
  if (read.status !== 200) return `read-back of ${fid} from ${url}: HTTP ${read.status} ${read.error ?? ""}`.trim();
  return read.body === blob ? undefined : `read-back of ${fid} from ${url} differs from the upload (${read.body.length} bytes, ${blob.length} written)`;
}
