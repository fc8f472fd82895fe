/**
 * RPO under a minute (issue #24): on the dev stack's real masters, the timer's backup and then the rendered change
 * watcher on every master (from SSM, against moto); volumes grow at random moments, every master's state is destroyed
 * at a random moment and the newest backup restored. The figures are checked against what the test sees itself:
 * the timer-only RPO against its own clock between the first grow and the destruction, the restored masters against
 * the changes the watcher's uploads held, the bucket against the uploads counted. The negative control: the same gate
 * that the event-driven figure passes refuses the timer-only figure of the same run.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { rpoProblems, runRpoDrill } from "../../tools/lib/drill/rpo";

describe("backups on change (real weed, moto S3 and SSM)", () => {
  it("keep the RPO of a full metadata loss within a minute, where the timer alone does not, and upload nothing while quiet", { timeout: 240_000 }, async () => {
    const lines: { at: number; line: string }[] = [];
    const result = await runRpoDrill({ stack: "dev", log: (line) => lines.push({ at: Date.now(), line }) });
    const at = (start: string) => lines.find((l) => l.line.startsWith(start))?.at ?? assert.fail(`no progress line starting "${start}": ${lines.map((l) => l.line).join(" | ")}`);

    // The timer-only figure by this test's clock: the first grow is the first change the timer's backup misses.
    const byClock = (at("the disaster") - at("grew a volume")) / 1000;
    assert.ok(Math.abs(result.timerOnlyRpoSeconds - byClock) <= 1, `timer-only RPO ${result.timerOnlyRpoSeconds} s, ${byClock} s between the progress lines`);
    // Negative control: the gate the event-driven figure passed refuses the timer-only one of the same run.
    assert.equal(rpoProblems("timer-only", result.timerOnlyRpoSeconds, result.objectiveSeconds).length, 1);
    assert.ok(result.eventDrivenRpoSeconds < result.timerOnlyRpoSeconds);

    // The restored masters hold every change a watcher upload held, and none after the first one no upload held.
    const saved = result.changes.filter((c) => c.backedUpAt !== undefined);
    const unsaved = result.changes.filter((c) => c.backedUpAt === undefined);
    assert.ok(saved.length >= 3, `only ${saved.length} changes reached a backup: ${JSON.stringify(result.changes)}`);
    assert.ok(saved.every((c) => result.maxVolumeId.restoredMasters >= c.maxVolumeId), JSON.stringify(result));
    assert.ok(unsaved.every((c) => result.maxVolumeId.restoredManifest < c.maxVolumeId), JSON.stringify(result));
    assert.ok(result.maxVolumeId.timerBackup < result.changes[0].maxVolumeId);

    // Uploads: every watcher upload but at most the one in flight at the destruction was reported by its agent run;
    // the quiet period spanned a check of every watcher.
    assert.equal(result.backupsInBucket, result.uploads.length + 1);
    assert.ok(result.uploadsUnreportedAtDestruction <= 1, `${result.uploadsUnreportedAtDestruction} uploads in S3 that no agent run reported`);
    assert.ok(result.uploads.length >= 1 && result.uploads.length <= result.changes.length, `${result.uploads.length} uploads for ${result.changes.length} changes`);
    assert.ok(result.quietSeconds > result.checkSeconds, `a quiet period of ${result.quietSeconds} s may have missed a check every ${result.checkSeconds} s`);
  });
});
