/**
 * `npm run rollout -- --dry-run` needs no AWS: it prints the order and the gates of the stack's slots and touches
 * nothing; its `--json` is a contract (RolloutCliReport). Slot addresses and group names are checked against the
 * stack file itself, not against what the tool computed. Bad usage exits 2 naming the problem.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { runTool } from "../support/runTool";

const rollout = (args: string[]) => runTool("rollout.ts", args, 60_000);

describe("npm run rollout", { timeout: 120_000 }, () => {
  it("--dry-run --json lists prod's five slots, the order rule and the four gates, and touches nothing", async () => {
    const { code, stdout, stderr } = await rollout(["--stack", "prod", "--dry-run", "--json"]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout);
    const stackFile = parse(fs.readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.prod.yaml"), "utf8")).config;
    const ips: string[] = stackFile["seaweed-infra:masterIps"];
    assert.equal(report.dryRun, true);
    assert.equal(report.rollout, null, "a dry run rolls nothing");
    assert.equal(report.region, stackFile["aws:region"]);
    assert.deepEqual(report.slots.map((s: { address: string }) => s.address), ips.map((ip) => `${ip}:9333`));
    assert.deepEqual(report.slots.map((s: { group: string }) => s.group), ips.map((_, i) => `${stackFile["seaweed-infra:clusterName"]}-master-${i}`));
    assert.deepEqual(report.gates.map((g: { name: string }) => g.name), ["healthz", "leader", "membership", "write"]);
    assert.deepEqual([...report.plannedOrder].sort(), [0, 1, 2, 3, 4]);
    assert.equal(report.plannedOrder[4], 0, "with slot 0 leading, it goes last");
    assert.equal(report.leadershipTransfer, true);
    for (const key of ["stack", "orderRule", "stableMs", "gateTimeoutMs", "writePath", "passed"]) assert.ok(key in report, `--json lacks ${key}`);
  });

  it("prints the order and the gates without --json", async () => {
    const { code, stdout } = await rollout(["--stack", "dev", "--dry-run", "--no-leader-transfer"]);
    assert.equal(code, 0);
    assert.match(stdout, /dry run: nothing is touched/);
    assert.match(stdout, /TerminateInstanceInAutoScalingGroup \(ShouldDecrementDesiredCapacity=false\)/);
    assert.match(stdout, /leadership transfer before the leader's turn: no/);
  });

  it("--lb stack gates writes through the stack's load balancer alias on the HTTP port; without --lb, through each master", async () => {
    const withLb = JSON.parse((await rollout(["--stack", "prod", "--dry-run", "--json", "--lb", "stack"])).stdout);
    // prod's stack file sets no privateZoneName, so the zone is <clusterName>.internal (README's config reference).
    assert.equal(withLb.writePath, "http://masters.seaweedfs-prod.internal:9333");
    const without = JSON.parse((await rollout(["--stack", "prod", "--dry-run", "--json"])).stdout);
    assert.equal(without.writePath, "each master in turn (no --lb given)");
  });

  it("refuses a Kubernetes stack, an unknown slot and an unknown flag with exit 2", async () => {
    const k8s = await rollout(["--stack", "k8s-prod", "--dry-run"]);
    assert.equal(k8s.code, 2);
    assert.match(k8s.stderr, /kubernetes stack/);
    const slot = await rollout(["--stack", "dev", "--dry-run", "--slots", "7"]);
    assert.equal(slot.code, 2);
    assert.match(slot.stderr, /--slots 7: stack dev has slots 0,1,2/);
    const flag = await rollout(["--stack", "dev", "--frobnicate"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown argument: --frobnicate/);
  });
});
