/**
 * The restore is proven, not described: a real SeaweedFS cluster (the dev stack's masters, two volume servers
 * taking writes) is backed up by the real agent script into a local moto S3, its volume servers are stopped, every
 * -mdir is wiped, and the real restore code brings the masters back. The masters alone (volume servers still down,
 * so nothing can re-report ids to them) must be the backup-time cluster; the same wipe without a restore, run first
 * in the same drill, must not be (the negative control); once the volume servers are back, no volume or file id that
 * existed at backup time is handed out again. The agent's requests reach S3 over TLS, as on a host, and are judged
 * with that transport; the RPO is measured, bracketed here by the drill's own progress lines.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runRestoreDrill } from "../../tools/lib/drill/restore";

describe("wipe-and-restore of every master's -mdir (real weed, moto S3)", () => {
  it("brings back the same cluster from raft state alone, which a wipe without restore does not", { timeout: 300_000 }, async () => {
    // When each progress line arrived, by this test's clock: the RPO the drill measures must fall between them.
    const lines: { at: number; line: string }[] = [];
    const result = await runRestoreDrill({ stack: "dev", files: 10, log: (line) => lines.push({ at: Date.now(), line }) });
    const at = (start: string) => lines.find((l) => l.line.startsWith(start))?.at ?? assert.fail(`no progress line starting "${start}": ${lines.map((l) => l.line).join(" | ")}`);
    const { before } = result.maxVolumeId;
    assert.ok(before >= 1, "volumes existed at backup time, so a lower MaxVolumeId is visible");
    // Negative control: the checks below see the difference between a restore and none.
    assert.ok(
      result.withoutRestore.topologyId !== result.topologyId.before || result.withoutRestore.maxVolumeId < before,
      `without a restore the masters reported ${JSON.stringify(result.withoutRestore)}, indistinguishable from backup time`,
    );
    // The restored masters alone, volume servers down.
    assert.equal(result.mastersOnly.topologyId, result.topologyId.before);
    assert.ok(result.mastersOnly.maxVolumeId >= before, `MaxVolumeId ${result.mastersOnly.maxVolumeId} from the masters alone, ${before} at backup time`);
    // Volume servers back: nothing that existed at backup time is issued again.
    assert.equal(result.topologyId.after, result.topologyId.before);
    assert.ok(result.maxVolumeId.grownAfterRestore.length > 0 && result.maxVolumeId.grownAfterRestore.every((id) => id > before), `grown after the restore: ${result.maxVolumeId.grownAfterRestore}, backup time ${before}`);
    assert.equal(result.fileIds.duplicates, 0);
    assert.ok(result.fileIds.before >= 10 && result.fileIds.after >= 10);
    // The agent: only the leader uploads, under the bucket's real policy, and reports its success metric.
    assert.equal(result.backup.skippedBy.length, 2, "the two followers' agents upload nothing");
    assert.equal(result.backup.metricPublished, true);
    assert.ok(result.backup.policyChecked.uploads >= 2, `only ${result.backup.policyChecked.uploads} uploads judged against the bucket policy`);
    assert.equal(result.backup.policyChecked.refused, 0);
    assert.equal(result.backup.policyChecked.overTls, result.backup.policyChecked.requests, "every request of the agent went over TLS");
    assert.equal(result.bucketSettingsAccepted, true);
    // RPO: the restored state's age at the wipe. The backup ended before "stopping the volume servers" and the wipe came
    // after "the disaster", so it is at least their distance apart (the negative control ran between them); the copy
    // began after "backing up" and the wipe came before "restoring", so it is at most theirs (+1 s: createdAt is in
    // whole seconds).
    const rpo = { min: at("the disaster") - at("stopping the volume servers"), max: at("restoring ") - at("backing up") + 1000 };
    assert.ok(rpo.min > 0, `the progress lines do not bracket the wipe: ${JSON.stringify(rpo)}`);
    assert.ok(result.rpoMeasuredMs >= rpo.min && result.rpoMeasuredMs <= rpo.max, `RPO measured ${result.rpoMeasuredMs} ms, expected within ${JSON.stringify(rpo)}`);
  });
});
