/**
 * k8s-dev through the real drill CLI, inside the private network + mount namespace it creates: masters with pod
 * DNS identities form a cluster (a), and with the kubelet stand-in running the StatefulSet's liveness probe a frozen
 * leader is killed and restarted, so writes come back while it is still frozen (f); the backup sidecar's script backs
 * the cluster up to moto and the restore brings it back (restore). Outside the namespace, /etc/hosts is untouched.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { DrillReport } from "../../tools/lib/drill/runner";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { stopChildrenAtExit } from "../../tools/lib/cluster/processes";

// The drills run as child processes: if this test is interrupted, they and their clusters stop with it.
stopChildrenAtExit();

describe("drill of k8s-dev with DNS identities", () => {
  it("forms a cluster of pod DNS names and, with liveness probes, gets writes back during a leader freeze", async () => {
    const hostsBefore = fs.readFileSync("/etc/hosts", "utf8");
    const { stdout } = await promisify(execFile)("npx", ["tsx", "tools/drill.ts", "--stack", "k8s-dev", "--scenario", "a,f", "--no-baseline", "--json"], {
      cwd: REPO_ROOT,
      timeout: 240_000,
      maxBuffer: 16 << 20,
    });
    const report = JSON.parse(stdout) as DrillReport;
    const byId = new Map(report.scenarios.map((s) => [s.id, s]));
    assert.ok(report.passed, JSON.stringify(report.scenarios.map((s) => [s.id, s.failures])));
    assert.deepEqual([...byId.keys()].sort(), ["formation", "frozen-leader"]);
    const frozen = byId.get("frozen-leader")!;
    assert.ok((frozen.extra.kubeletRestarts?.min ?? 0) >= 1, `the prober restarted nothing: ${JSON.stringify(frozen)}`);
    assert.ok(frozen.writesBackMs !== null, `no write during the freeze: ${JSON.stringify(frozen)}`);
    assert.equal(fs.readFileSync("/etc/hosts", "utf8"), hostsBefore);
  });

  it("backs up with the rendered sidecar script (moto as the S3-compatible store) and restores the same cluster from raft state alone", async () => {
    const { stdout } = await promisify(execFile)("npx", ["tsx", "tools/drill.ts", "--stack", "k8s-dev", "--scenario", "restore", "--no-baseline", "--json"], {
      cwd: REPO_ROOT,
      timeout: 240_000,
      maxBuffer: 16 << 20,
    });
    const report = JSON.parse(stdout) as DrillReport;
    assert.ok(report.passed, JSON.stringify(report.scenarios.map((s) => [s.id, s.failures])));
    const [restore] = report.scenarios;
    assert.equal(restore.id, "restore");
    const notes = restore.notes.join("\n");
    // The drill itself fails unless only the leader uploaded and the restored masters alone report the backup's
    // TopologyId; here the report must also show a backup of real files and the control that saw a different cluster.
    assert.match(notes, /backup [1-9]\d* files, [1-9]\d* bytes, uploaded by the leader only/);
    assert.match(notes, /without a restore the masters reported TopologyId \S+, MaxVolumeId 0/);
  });
});
