/**
 * Mutual TLS as Kubernetes renders it, with real `weed` 4.44: `npm run drill -- --stack k8s-prod --scenario
 * formation,leader-kill --security`. Every master runs with the ConfigMap's security.toml (one file for all pods, no
 * certificate path in it), the projected volume of every master's Secret, and the pod template's WEED_GRPC_*
 * variables naming its own certificate, under its pod DNS name. The masters form a cluster and fail over under TLS,
 * and every attack of the security drill is accepted by the same stack with TLS off and refused with it on.
 * (The AWS rendering is proven by tests/drills/security.test.ts on staging.)
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { DrillReport } from "../../tools/lib/drill/runner";
import { SECURITY_CONTROLS } from "../../tools/lib/drill/securityControls";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { stopChildrenAtExit } from "../../tools/lib/cluster/processes";
import { TSX } from "../support/runTool";

// The drill runs as a child process: if this test is interrupted, it and its clusters stop with it.
stopChildrenAtExit();

describe("npm run drill -- --stack k8s-prod --security (the Kubernetes TLS rendering)", { timeout: 420_000 }, () => {
  let report: DrillReport;

  before(async () => {
    const argv = ["tools/drill.ts", "--stack", "k8s-prod", "--scenario", "formation,leader-kill", "--security", "--no-baseline", "--json"];
    const { stdout } = await promisify(execFile)(TSX, argv, { cwd: REPO_ROOT, timeout: 400_000, maxBuffer: 16 << 20 }).catch(
      (error: { stdout?: string; stderr?: string; message: string }) => {
        // The drill exits 1 when a scenario or a control fails; its report is still on stdout.
        if (error.stdout?.trim().startsWith("{")) return { stdout: error.stdout };
        return assert.fail(`the drill did not report: ${error.message}\n${error.stderr?.slice(-3000)}`);
      },
    );
    report = JSON.parse(stdout) as DrillReport;
  });

  it("forms a cluster of pod-named masters and fails over with TLS on every gRPC channel", () => {
    assert.deepEqual(
      report.scenarios.map((s) => [s.id, s.passed, s.failures]),
      [
        ["formation", true, []],
        ["leader-kill", true, []],
      ],
    );
    assert.equal(report.security?.tls.enabled, true);
    assert.deepEqual(report.security?.tls.channels.map((c) => c.id), ["raft", "heartbeat", "keep-connected", "admin"]);
    assert.equal(report.duplicateFileIds, 0);
    assert.equal(report.clustersNotStarted, 0);
  });

  it("lets every attack through with TLS off and refuses each with the pods' TLS on", () => {
    const controls = report.security?.controls ?? assert.fail("the report has no security section");
    assert.deepEqual(controls.map((c) => c.id), SECURITY_CONTROLS.map((c) => c.id));
    assert.deepEqual(
      controls.map((c) => [c.id, c.tlsOff.outcome, c.tlsOn.outcome]),
      controls.map((c) => [c.id, "accepted", "refused"]),
      controls.map((c) => `${c.id}: off ${c.tlsOff.evidence}; on ${c.tlsOn.evidence}`).join("\n"),
    );
    assert.ok(report.passed);
  });
});
