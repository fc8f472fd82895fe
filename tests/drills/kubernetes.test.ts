/**
 * `npm run drill -- --stack k8s-dev`, exactly as a new user runs it: every scenario it lists, with its baseline, in
 * the private network + mount namespace it creates. Masters with pod DNS identities form a cluster; the partition
 * scenarios get a cluster of their own after the first one stopped (each maps the DNS names with a private
 * /etc/hosts, which once failed for every cluster after the first); with the kubelet stand-in running the
 * StatefulSet's liveness probe a frozen leader is killed and restarted, so writes come back while it is still frozen;
 * the backup sidecar's script backs the cluster up to moto and the restore brings it back. Outside the namespace,
 * /etc/hosts is untouched. One drill run serves every assertion (it is the slowest drill file: about 4.5 minutes).
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { DrillReport } from "../../tools/lib/drill/runner";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { stopChildrenAtExit } from "../../tools/lib/cluster/processes";
import { TSX } from "../support/runTool";

// The drill runs as a child process: if this test is interrupted, it and its clusters stop with it.
stopChildrenAtExit();

/**
 * What `npm run drill -- --stack k8s-dev` runs (the default set minus the AWS-only day-2 suite), written out so
 * that a scenario dropped or skipped on this platform shows here.
 */
const K8S_DEV_SCENARIOS = [
  "formation",
  "leader-kill",
  "follower-kill",
  "majority-loss",
  "az-loss",
  "frozen-leader",
  "frozen-leader-long",
  "leader-partitioned",
  "follower-partitioned",
  "asymmetric",
  "full-restart",
  "misconfiguration",
  "restore",
];

describe("npm run drill -- --stack k8s-dev (every scenario, DNS identities)", { timeout: 540_000 }, () => {
  let report: DrillReport;
  let hostsBefore: string;

  before(async () => {
    hostsBefore = fs.readFileSync("/etc/hosts", "utf8");
    const { stdout } = await promisify(execFile)(TSX, ["tools/drill.ts", "--stack", "k8s-dev", "--json"], {
      cwd: REPO_ROOT,
      timeout: 480_000,
      maxBuffer: 16 << 20,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      // The drill exits 1 when a scenario fails; its report is still on stdout.
      if (error.stdout?.trim().startsWith("{")) return { stdout: error.stdout };
      return assert.fail(`the drill did not report: ${error.message}\n${error.stderr?.slice(-3000)}`);
    });
    report = JSON.parse(stdout) as DrillReport;
  });

  it("runs every scenario it lists, partitions included, and each passes", () => {
    assert.deepEqual(
      report.scenarios.map((s) => [s.id, s.passed, s.failures]),
      K8S_DEV_SCENARIOS.map((id) => [id, true, []]),
    );
    assert.deepEqual(report.skippedScenarios, []);
    assert.equal(report.clustersNotStarted, 0);
    assert.equal(report.duplicateFileIds, 0);
    assert.equal(report.maxVolumeIdRegressions, 0);
    assert.ok(report.passed);
  });

  it("runs its SeaweedFS-defaults baseline too (a cluster after the partition scenarios' one)", () => {
    assert.ok(report.baseline, "no baseline series");
    assert.equal(report.baseline.clustersNotStarted, 0, JSON.stringify(report.baseline.scenarios.map((s) => s.failures)));
    assert.deepEqual(
      report.baseline.scenarios.map((s) => s.id),
      ["leader-kill"],
    );
    assert.ok(report.baseline.scenarios[0].newLeaderMs !== null, `the baseline timed nothing: ${JSON.stringify(report.baseline.scenarios[0])}`);
  });

  it("with the exec liveness probe, restarts a frozen leader and gets writes back while it is still frozen", () => {
    const frozen = report.scenarios.find((s) => s.id === "frozen-leader")!;
    assert.ok((frozen.extra.kubeletRestarts?.min ?? 0) >= 1, `the prober restarted nothing: ${JSON.stringify(frozen)}`);
    // The 120 s freeze: the scenario itself fails unless a write worked while the old leader was frozen.
    const long = report.scenarios.find((s) => s.id === "frozen-leader-long")!;
    assert.ok(long.extra.watchdogKillMs !== null && long.writesBackMs !== null, `the frozen leader was not replaced: ${JSON.stringify(long)}`);
  });

  it("backs up with the rendered sidecar script (moto as the S3-compatible store) and restores the same cluster from raft state alone", () => {
    const restore = report.scenarios.find((s) => s.id === "restore")!;
    const notes = restore.notes.join("\n");
    // The drill itself fails unless only the leader uploaded and the restored masters alone report the backup's
    // TopologyId; here the report must also show a backup of real files and the control that saw a different cluster.
    assert.match(notes, /backup [1-9]\d* files, [1-9]\d* bytes, uploaded by the leader only/);
    assert.match(notes, /without a restore the masters reported TopologyId \S+, MaxVolumeId 0/);
  });

  it("leaves the host's /etc/hosts untouched", () => {
    assert.equal(fs.readFileSync("/etc/hosts", "utf8"), hostsBefore);
  });
});
