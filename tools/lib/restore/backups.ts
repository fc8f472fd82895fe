/**
 * The backups in S3, as the agent laid them out: list them, pick the latest or a named one, and download one with
 * every file checked against its manifest's sha256. Works against AWS or any S3 endpoint (moto in the drills).
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { BACKUP_LAYOUT, BackupManifest, parseManifest } from "../../../infra/seaweed/backup";

/** Where the backups are. */
export interface BackupStore {
  client: S3Client;
  bucket: string;
  cluster: string;
}

/** An S3 client for the operator's credentials, or for a local endpoint (moto) when `endpoint` is given. */
export function s3Client(options: { region?: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } }): S3Client {
  return new S3Client({
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}

/** Every complete backup (one with a manifest) of the cluster, oldest first, as key prefixes without a trailing slash. */
export async function listBackups(store: BackupStore): Promise<string[]> {
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const page = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: `${store.cluster}/`, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (object.Key?.endsWith(`/${BACKUP_LAYOUT.manifest}`)) prefixes.push(object.Key.slice(0, -(BACKUP_LAYOUT.manifest.length + 1)));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  // Keys are <cluster>/<date>/<yyyymmddThhmmssZ>: the stamp sorts in time order.
  return prefixes.sort((a, b) => (a.split("/").pop()! < b.split("/").pop()! ? -1 : 1));
}

/** The backup to restore: `latest`, or a prefix (or its stamp) that must exist. */
export function chooseBackup(backups: readonly string[], which: string): string {
  if (backups.length === 0) throw new Error("no backups found");
  if (which === "latest") return backups[backups.length - 1];
  const wanted = which.replace(/\/+$/, "");
  const found = backups.find((b) => b === wanted || b.endsWith(`/${wanted}`));
  if (!found) throw new Error(`backup ${which} not found; the latest is ${backups[backups.length - 1]}`);
  return found;
}

async function objectBytes(store: BackupStore, key: string): Promise<Buffer> {
  const answer = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
  if (!answer.Body) throw new Error(`s3://${store.bucket}/${key} has no body`);
  return Buffer.from(await answer.Body.transformToByteArray());
}

export async function readManifest(store: BackupStore, prefix: string): Promise<BackupManifest> {
  const manifest = parseManifest((await objectBytes(store, `${prefix}/${BACKUP_LAYOUT.manifest}`)).toString("utf8"));
  if (manifest.cluster !== store.cluster) throw new Error(`backup ${prefix} belongs to cluster ${manifest.cluster}, not ${store.cluster}`);
  return manifest;
}

/** A downloaded, verified backup: `raftDir` holds exactly the manifest's files. */
export interface LocalBackup {
  prefix: string;
  manifest: BackupManifest;
  raftDir: string;
}

/** Downloads a backup into `into` and checks every file's sha256 and size; throws on the first mismatch. */
export async function downloadBackup(store: BackupStore, prefix: string, into: string): Promise<LocalBackup> {
  const manifest = await readManifest(store, prefix);
  const raftDir = path.join(into, BACKUP_LAYOUT.raftFolder);
  fs.rmSync(raftDir, { recursive: true, force: true });
  for (const file of manifest.files) {
    const bytes = await objectBytes(store, `${prefix}/${BACKUP_LAYOUT.raftFolder}/${file.path}`);
    const digest = createHash("sha256").update(bytes).digest("hex");
    if (digest !== file.sha256 || bytes.length !== file.bytes) {
      throw new Error(`backup ${prefix}: ${file.path} has sha256 ${digest} (${bytes.length} bytes), the manifest says ${file.sha256} (${file.bytes} bytes); refusing to restore it`);
    }
    const target = path.join(raftDir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, bytes, { mode: 0o600 });
  }
  return { prefix, manifest, raftDir };
}
