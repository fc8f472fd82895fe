/**
 * Mutual TLS proven by attack, with real `weed` 4.44 on loopback (the staging stack: 3 masters, TLS on): each
 * attack of the security drill is first tried against the same stack with TLS off, where it must succeed (so every
 * control can fail), then against the stack's rendered TLS, where it must be refused. One cluster per side, shared
 * by every control.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runSecurityDrill, SecurityReport } from "../../tools/lib/drill/security";
import { SECURITY_CONTROLS } from "../../tools/lib/drill/securityControls";
import { MASTER_GRPC_CHANNELS } from "../../infra/seaweed/tls";

describe("the staging stack's mutual TLS against real weed", { timeout: 400_000 }, () => {
  let report: SecurityReport;
  const progress: string[] = [];
  before(async () => {
    report = await runSecurityDrill({ stack: "staging", progress: (line) => progress.push(line) });
  });
  const control = (id: string) => {
    const found = report.controls.find((c) => c.id === id);
    assert.ok(found, `control ${id} did not run: ${report.controls.map((c) => c.id).join(", ")}`);
    return found;
  };

  it("lets every attack through when TLS is off (each control can fail)", () => {
    assert.deepEqual(
      report.controls.filter((c) => c.tlsOff.outcome !== "accepted").map((c) => `${c.id}: ${c.tlsOff.evidence}`),
      [],
      progress.slice(-20).join("\n"),
    );
    assert.deepEqual(report.controls.map((c) => c.id), SECURITY_CONTROLS.map((c) => c.id));
  });

  it("keeps a volume server without a client certificate out of the topology", () => {
    const c = control("volume-server-without-certificate");
    assert.equal(c.tlsOn.outcome, "refused", c.tlsOn.evidence);
    assert.match(c.tlsOn.evidence, /not in the leader's topology/);
  });

  it("answers no `weed shell` without a certificate: it can neither list nor change raft membership", () => {
    for (const id of ["shell-without-certificate-lists-raft", "shell-without-certificate-changes-raft"]) {
      const c = control(id);
      assert.equal(c.tlsOn.outcome, "refused", `${id}: ${c.tlsOn.evidence}`);
    }
  });

  it("never admits a master whose certificate comes from another CA (so it never votes)", () => {
    const c = control("master-from-another-ca");
    assert.equal(c.tlsOn.outcome, "refused", c.tlsOn.evidence);
    assert.match(c.tlsOn.evidence, /bad certificate/, "the masters refused its certificate in the handshake");
  });

  it("refuses a certificate of its own CA whose common name no channel allows", () => {
    const c = control("common-name-not-allowed");
    assert.equal(c.tlsOn.outcome, "refused", c.tlsOn.evidence);
    assert.match(c.tlsOn.evidence, /a master logged: invalid subject client common name: seaweedfs-staging-intruder-/, "refused for its name, not for something else");
  });

  it("refuses a plain-text gRPC client on the masters' gRPC port", () => {
    const c = control("plain-grpc-client");
    assert.equal(c.tlsOff.outcome, "accepted", "without TLS the same call is answered");
    assert.equal(c.tlsOn.outcome, "refused", c.tlsOn.evidence);
  });

  it("reports every channel of the masters' gRPC port as covered, and the whole drill as passed", () => {
    assert.deepEqual(report.tls.channels.map((c) => c.id), MASTER_GRPC_CHANNELS.map((c) => c.id));
    assert.equal(report.tls.https, false);
    assert.equal(report.passed, true);
  });
});
