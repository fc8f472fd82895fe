/**
 * The restore is proven, not described: a real SeaweedFS cluster (the dev stack's masters, two volume servers
 * taking writes) is backed up by the real agent script into a local moto S3, loses every -mdir, and is restored by
 * the real restore code. It must come back as the same cluster that never re-issues a volume or file id.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runRestoreDrill } from "../../tools/lib/drill/restore";

describe("wipe-and-restore of every master's -mdir (real weed, moto S3)", () => {
  it("brings back the same cluster: same TopologyId, MaxVolumeId not lower, no id handed out twice", { timeout: 240_000 }, async () => {
    const result = await runRestoreDrill({ stack: "dev", files: 10 });
    assert.equal(result.backup.skippedBy.length, 2, "the two followers' agents upload nothing");
    assert.equal(result.backup.metricPublished, true);
    assert.equal(result.bucketSettingsAccepted, true);
    assert.equal(result.topologyId.after, result.topologyId.before);
    assert.ok(result.maxVolumeId.after >= result.maxVolumeId.manifest, `MaxVolumeId ${result.maxVolumeId.after} < backup's ${result.maxVolumeId.manifest}`);
    assert.ok(result.maxVolumeId.grownAfterRestore.every((id) => id > result.maxVolumeId.before), "a volume grown after the restore gets a new id");
    assert.equal(result.fileIds.duplicates, 0);
    assert.ok(result.fileIds.before >= 10 && result.fileIds.after >= 10);
    assert.equal(result.rpoSeconds, 900, "the default backupIntervalMinutes (15)");
    assert.ok(result.rtoMs > 0 && result.rtoMs < 120_000, `RTO ${result.rtoMs} ms`);
  });
});
