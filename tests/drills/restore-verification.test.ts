/**
 * The production restore verifier runs in the prod drill exactly as slot 0's timer runs it (its script rendered by
 * the Backups component's function, fetched from SSM in moto, as root): it verifies a real backup the real agent
 * took while the live cluster's raft does not move, the same scratch tier with one path out does move it (the
 * negative control of the isolation), and a truncated or consistently tampered backup fails with the failure alarm
 * firing (tools/lib/drill/restoreVerification.ts). This test holds the scenario to what the `--json` report carries.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { LocalCluster } from "../../tools/lib/localCluster";
import { restoreVerification } from "../../tools/lib/drill/restoreVerification";
import type { ScenarioMeasurements } from "../../tools/lib/drill/types";

describe("restore verification in the prod drill (real weed, moto S3/SSM/CloudWatch)", { timeout: 300_000 }, () => {
  let cluster: LocalCluster;
  let measured: ScenarioMeasurements;
  before(async () => {
    cluster = await LocalCluster.start({ stack: "prod" });
    measured = await restoreVerification.run({ cluster, step: () => {} });
  });
  after(async () => {
    await cluster?.stop();
  });

  it("verifies the newest backup in an isolated scratch tier and reports result and duration", () => {
    const [verified] = measured.restoreVerifications ?? assert.fail("no restoreVerifications in the report");
    assert.equal(verified.result, "verified", JSON.stringify(verified));
    assert.equal(verified.isolated, true);
    assert.equal(typeof verified.seconds, "number");
    assert.equal(verified.scratch?.topologyId, verified.liveTopologyId);
    assert.equal(measured.extra?.liveRaftViews, 1, "the live raft did not move during the verification");
  });

  it("would have moved the live raft without the isolation (negative control)", () => {
    assert.ok((measured.extra?.leakMovedLiveRaftMs ?? -1) >= 0, JSON.stringify(measured.extra));
  });

  it("fails on a truncated backup and on one whose manifest was rewritten to match", () => {
    const [, truncated, consistent] = measured.restoreVerifications ?? [];
    assert.equal(truncated?.result, "failed");
    assert.equal(consistent?.result, "failed");
    assert.ok(consistent.reasons?.some((r) => /scratch/.test(r)), `the restore, not the checksums, refused it: ${consistent.reasons}`);
  });
});
