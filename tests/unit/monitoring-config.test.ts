/**
 * Monitoring config: a threshold that could never fire (or would always fire) and a subscription endpoint SNS could
 * never deliver to are refused before anything is registered, naming the key.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { projectKeys } from "../../infra/config";
import { parseConfig } from "../../infra/platforms";
import { readStackConfig } from "../../tools/lib/stackFiles";
import { refusal } from "../support/configRefusal";

const prod = projectKeys(readStackConfig("prod").config);
import { healthyHostsThreshold } from "../../infra/config/keys-monitoring";


const refused: { name: string; overrides: Record<string, string>; key: string; mentions: RegExp }[] = [
  { name: "healthy hosts below 0 (can never fire)", overrides: { alarmHealthyHostsBelow: "0" }, key: "alarmHealthyHostsBelow", mentions: /never fire/ },
  { name: "healthy hosts below -1", overrides: { alarmHealthyHostsBelow: "-1" }, key: "alarmHealthyHostsBelow", mentions: /never fire/ },
  { name: "healthy hosts below more masters than exist (always fires)", overrides: { alarmHealthyHostsBelow: "6" }, key: "alarmHealthyHostsBelow", mentions: /always fire.*5 masters/ },
  { name: "healthy hosts below a word other than quorum", overrides: { alarmHealthyHostsBelow: "majority" }, key: "alarmHealthyHostsBelow", mentions: /quorum or a whole number/ },
  { name: "unhealthy hosts above the master count", overrides: { alarmUnhealthyHostsAbove: "5" }, key: "alarmUnhealthyHostsAbove", mentions: /never fire/ },
  { name: "a negative unhealthy-host threshold", overrides: { alarmUnhealthyHostsAbove: "-1" }, key: "alarmUnhealthyHostsAbove", mentions: /always fire/ },
  { name: "disk use above 100%", overrides: { alarmDiskUsedPercent: "100" }, key: "alarmDiskUsedPercent", mentions: /never fire/ },
  { name: "memory use above 0%", overrides: { alarmMemoryUsedPercent: "0" }, key: "alarmMemoryUsedPercent", mentions: /fire all the time/ },
  { name: "an invalid email address", overrides: { alarmEmails: JSON.stringify(["oncall@example.com", "not-an-address"]) }, key: "alarmEmails", mentions: /\[1\] not an email address/ },
  { name: "an email listed twice", overrides: { alarmEmails: JSON.stringify(["a@example.com", "a@example.com"]) }, key: "alarmEmails", mentions: /twice/ },
  { name: "a plain-http endpoint", overrides: { alarmHttpsEndpoints: JSON.stringify(["http://hooks.example.com/x"]) }, key: "alarmHttpsEndpoints", mentions: /https/ },
  { name: "a log retention CloudWatch does not offer", overrides: { logRetentionDays: "10" }, key: "logRetentionDays", mentions: /only accepts/ },
  { name: "a zero-minute leader-count window", overrides: { alarmLeaderCountMinutes: "0" }, key: "alarmLeaderCountMinutes", mentions: /at least 1/ },
];

describe("monitoring config", () => {
  for (const c of refused) {
    it(`refuses ${c.name}, naming ${c.key}`, () => {
      const error = refusal(c.overrides);
      const issue = error.issues.find((i) => i.key === c.key);
      assert.ok(issue, `no issue for ${c.key} in: ${error.message}`);
      assert.match(`${issue.message}`, c.mentions);
      assert.match(error.message, new RegExp(`seaweed-infra:${c.key} = `));
      assert.ok(issue.fix.length > 0);
    });
  }

  it("accepts valid subscriptions and thresholds", () => {
    const config = parseConfig(
      {
        ...prod,
        alarmEmails: JSON.stringify(["storage-oncall@example.com"]),
        alarmHttpsEndpoints: JSON.stringify(["https://events.example.com/integration/abc/enqueue"]),
        alarmHealthyHostsBelow: "5",
        alarmUnhealthyHostsAbove: "1",
        logRetentionDays: "90",
      },
      { stack: "prod" },
    );
    assert.deepEqual(config.alarmEmails, ["storage-oncall@example.com"]);
    assert.equal(healthyHostsThreshold(config.alarmHealthyHostsBelow, config.topology.quorum), 5);
  });

  it("resolves the default healthy-host threshold to the quorum", () => {
    const config = parseConfig(prod, { stack: "prod" });
    assert.equal(config.alarmHealthyHostsBelow, "quorum");
    assert.equal(healthyHostsThreshold(config.alarmHealthyHostsBelow, config.topology.quorum), 3);
  });
});
