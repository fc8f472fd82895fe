/**
 * Backup config: lifecycle days S3 would reject or that are out of order, a retention shorter than the backup
 * interval, Object Lock half-configured, a DR region equal to the stack's own and a change check too slow for the
 * 60 s RPO objective are refused before anything is registered, naming the key.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ConfigError, projectKeys } from "../../infra/config";
import { parseConfig, parseStackConfig } from "../../infra/platforms";
import { checkRegions } from "../../infra/aws/backup";
import { readStackConfig } from "../../tools/lib/stackFiles";
import { refusal } from "../support/configRefusal";

const prod = projectKeys(readStackConfig("prod").config);


const refused: { name: string; overrides: Record<string, string>; key: string; mentions: RegExp }[] = [
  { name: "a STANDARD_IA transition before day 30", overrides: { backupTransitionToIaDays: "7" }, key: "backupTransitionToIaDays", mentions: /30 days/ },
  { name: "Glacier IR before STANDARD_IA", overrides: { backupTransitionToIaDays: "60", backupTransitionToGlacierIrDays: "45" }, key: "backupTransitionToGlacierIrDays", mentions: /at least 30 days after backupTransitionToIaDays \(60\)/ },
  { name: "Glacier IR less than 30 days after STANDARD_IA", overrides: { backupTransitionToIaDays: "30", backupTransitionToGlacierIrDays: "50" }, key: "backupTransitionToGlacierIrDays", mentions: /at least 30 days after/ },
  { name: "expiry before the last transition", overrides: { backupExpirationDays: "60" }, key: "backupExpirationDays", mentions: /later than the last transition \(day 90\)/ },
  { name: "expiry on the day of the only transition", overrides: { backupTransitionToGlacierIrDays: "0", backupExpirationDays: "30" }, key: "backupExpirationDays", mentions: /later than the last transition \(day 30\)/ },
  { name: "backups kept for less than two intervals", overrides: { backupTransitionToIaDays: "0", backupTransitionToGlacierIrDays: "0", backupExpirationDays: "1", backupIntervalMinutes: "1440" }, key: "backupExpirationDays", mentions: /less than two backup intervals/ },
  { name: "snapshots kept for less than one backup interval", overrides: { snapshotIntervalHours: "1", snapshotRetainCount: "2", backupIntervalMinutes: "240" }, key: "snapshotRetainCount", mentions: /less than one backup interval/ },
  { name: "an interval the backup-age alarm cannot watch", overrides: { backupIntervalMinutes: "6000" }, key: "backupIntervalMinutes", mentions: /7 days/ },
  { name: "an Object Lock mode without days", overrides: { backupObjectLockMode: "COMPLIANCE", backupObjectLockDays: "0" }, key: "backupObjectLockDays", mentions: /must be set when backupObjectLockMode is COMPLIANCE/ },
  { name: "Object Lock days without a mode", overrides: { backupObjectLockMode: "", backupObjectLockDays: "30" }, key: "backupObjectLockMode", mentions: /empty while backupObjectLockDays is 30/ },
  { name: "an unknown Object Lock mode", overrides: { backupObjectLockMode: "LEGAL_HOLD", backupObjectLockDays: "30" }, key: "backupObjectLockMode", mentions: /GOVERNANCE|COMPLIANCE/ },
  { name: "replication to the stack's own region", overrides: { backupReplicationRegion: "us-east-1" }, key: "backupReplicationRegion", mentions: /own region \(us-east-1\)/ },
  { name: "snapshot copies to the stack's own region", overrides: { snapshotCopyRegion: "us-east-1" }, key: "snapshotCopyRegion", mentions: /own region/ },
  { name: "a change check too slow for the 60 s RPO", overrides: { backupOnChangeSeconds: "50" }, key: "backupOnChangeSeconds", mentions: /at most 45: the check period plus an upload \(15 s\) must stay within the 60 s RPO objective/ },
  { name: "a change check polling more than every 5 s", overrides: { backupOnChangeSeconds: "2" }, key: "backupOnChangeSeconds", mentions: /0 \(timer only\) or at least 5 seconds/ },
  { name: "a negative change check", overrides: { backupOnChangeSeconds: "-15" }, key: "backupOnChangeSeconds", mentions: /0 \(timer only\) or at least 5 seconds/ },
  { name: "a snapshot interval DLM does not offer", overrides: { snapshotIntervalHours: "5" }, key: "snapshotIntervalHours", mentions: /DLM accepts only/ },
];

describe("backup config", () => {
  for (const c of refused) {
    it(`refuses ${c.name}, naming ${c.key}`, () => {
      const error = refusal(c.overrides);
      const issue = error.issues.find((i) => i.key === c.key);
      assert.ok(issue, `no issue for ${c.key} in: ${error.message}`);
      assert.match(issue.message, c.mentions);
      assert.match(error.message, new RegExp(`seaweed-infra:${c.key} = `));
      assert.ok(issue.fix.length > 0);
    });
  }

  it("accepts a change check from 0 (timer only) to 45 s on both platforms: the key is neutral", () => {
    for (const stack of ["prod", "k8s-dev"]) {
      for (const value of [0, 5, 45]) {
        assert.equal(parseStackConfig({ ...projectKeys(readStackConfig(stack).config), backupOnChangeSeconds: String(value) }, { stack }).backupOnChangeSeconds, value);
      }
    }
  });

  it("accepts a legal, ordered lifecycle with Object Lock and DR copies in another region", () => {
    const config = parseConfig(
      {
        ...prod,
        backupTransitionToIaDays: "30",
        backupTransitionToGlacierIrDays: "60",
        backupExpirationDays: "400",
        backupObjectLockMode: "GOVERNANCE",
        backupObjectLockDays: "14",
        backupReplicationRegion: "us-west-2",
        snapshotCopyRegion: "us-west-2",
      },
      { stack: "prod" },
    );
    assert.equal(config.backupTransitionToGlacierIrDays, 60);
    assert.equal(config.backupReplicationRegion, "us-west-2");
  });

  it("locks backups by default: COMPLIANCE for 30 days on prod, GOVERNANCE for 7 days on dev and staging", () => {
    const locked = (stack: string) => {
      const c = parseConfig(projectKeys(readStackConfig(stack).config), { stack });
      return [c.backupObjectLockMode, c.backupObjectLockDays];
    };
    assert.deepEqual(locked("prod"), ["COMPLIANCE", 30]);
    assert.deepEqual(locked("staging"), ["GOVERNANCE", 7]);
    assert.deepEqual(locked("dev"), ["GOVERNANCE", 7]);
    const off = parseConfig({ ...prod, backupObjectLockMode: "", backupObjectLockDays: "0" }, { stack: "prod" });
    assert.deepEqual([off.backupObjectLockMode, off.backupObjectLockDays], ["", 0], "both keys together turn it off");
  });

  it("refuses a DR region equal to the stack's aws:region even when the zones do not tell", () => {
    assert.throws(
      () => checkRegions({ backupReplicationRegion: "eu-west-1", snapshotCopyRegion: "" }, "eu-west-1"),
      (e: unknown) => e instanceof ConfigError && e.issues[0].key === "backupReplicationRegion" && /aws:region \(eu-west-1\)/.test(e.message),
    );
    assert.doesNotThrow(() => checkRegions({ backupReplicationRegion: "eu-west-2", snapshotCopyRegion: "" }, "eu-west-1"));
  });
});
