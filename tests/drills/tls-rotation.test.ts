/**
 * The CA rotation drill on prod's five masters, real weed, while a client writes: the CA and every master's and
 * volume server's certificate change in the three overlap steps, one master at a time through the rollout engine and
 * its gates, each party re-reading its files (no restart). At most one election, no write failed after retries,
 * every master serving the new chain at the end, and a certificate of the old CA refused (accepted one step earlier,
 * when issue-new still trusted it). prod's tlsReloadSeconds (300) is lowered to 2 for the drill.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { projectKeys } from "../../infra/config";
import { parseStackConfig } from "../../infra/platforms";
import { caCommonName } from "../../infra/tls/stackCertificates";
import { LocalCluster } from "../../tools/lib/localCluster";
import { rotateCertificateAuthority, TlsRotationReport } from "../../tools/lib/drill/tlsRotation";
import { readStackConfig } from "../../tools/lib/stackFiles";

describe("a CA rotation on prod's five masters while a client writes (real weed)", { timeout: 600_000 }, () => {
  let cluster: LocalCluster;
  let report: TlsRotationReport;
  const progress: string[] = [];
  before(async () => {
    const config = parseStackConfig({ ...projectKeys(readStackConfig("prod").config), tlsReloadSeconds: "2" }, { stack: "prod" });
    cluster = await LocalCluster.start({ stack: "prod", config, log: (line) => progress.push(line) });
    report = await rotateCertificateAuthority(cluster, (line) => progress.push(line));
    const phases = report.phases.map((p) => `${p.phase} ${(p.masters.ms / 1000).toFixed(1)} s + volume servers ${(p.volumeServersMs / 1000).toFixed(1)} s`).join(", ");
    console.log(`rotation: ${phases}; elections ${report.elections}; writes stored ${report.writes.stored}, failed ${report.writes.failed}, failed attempts ${report.writes.failedAttempts}, longest gap ${report.writes.longestGapMs} ms`);
  });
  after(async () => {
    await cluster?.stop();
  });

  it("rolls each step onto every master through the rollout engine, followers first, every gate passing", () => {
    assert.deepEqual(report.phases.map((p) => [p.phase, p.masters.passed, p.masters.order.length]), [["trust-new", true, 5], ["issue-new", true, 5], ["drop-old", true, 5]], progress.slice(-15).join("\n"));
  });

  it("costs at most one election and keeps quorum throughout", () => {
    assert.ok(report.elections <= 1, `${report.elections} leader changes`);
    assert.deepEqual(report.quorumLost, []);
  });

  it("fails no write after retries, and every stored blob reads back", () => {
    assert.ok(report.writes.stored > 0, "the client wrote");
    assert.equal(report.writes.failed, 0, report.writes.reasons.join("; "));
    assert.deepEqual(report.unreadable, []);
    assert.deepEqual(cluster.fileIds.duplicates, []);
  });

  it("ends with every master serving a chain of the new CA, and refusing a certificate of the old one", () => {
    assert.deepEqual(report.newChain.map((c) => c.issuer ?? c.error), Array(5).fill(caCommonName("seaweedfs-prod", 2)));
    assert.deepEqual(report.oldCaRefused.filter((c) => !c.refused).map((c) => `master-${c.slot}: ${c.detail}`), []);
  });
});
