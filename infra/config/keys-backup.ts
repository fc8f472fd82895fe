/**
 * Config keys of the backup bucket, EBS snapshots and the backup agent. Same rules as config/keys.ts: every key declared once with type, default,
 * documentation and fix.
 */
import type { ConfigValues } from "../config";
import type { ConfigIssue } from "./spec";

export const BACKUP_KEYS = {};

/** Checks that span several keys of this area. */
export function backupCrossChecks(_values: ConfigValues, _issues: ConfigIssue[]): void {}
