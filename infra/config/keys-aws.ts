/**
 * Config keys of the load balancer, DNS, protection and IAM of the AWS master tier. Same rules as config/keys.ts: every key declared once with type, default,
 * documentation and fix.
 */
import type { ConfigValues } from "../config";
import type { ConfigIssue } from "./spec";

export const AWS_KEYS = {};

/** Checks that span several keys of this area. */
export function awsCrossChecks(_values: ConfigValues, _issues: ConfigIssue[]): void {}
