/**
 * Config keys of the metrics pipeline, alarms, SNS and dashboard. Same rules as config/keys.ts: every key declared once with type, default,
 * documentation and fix.
 */
import type { ConfigValues } from "../config";
import type { ConfigIssue } from "./spec";

export const MONITORING_KEYS = {};

/** Checks that span several keys of this area. */
export function monitoringCrossChecks(_values: ConfigValues, _issues: ConfigIssue[]): void {}
