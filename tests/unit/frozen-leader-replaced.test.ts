/**
 * The frozen-leader scenario (tools/lib/drill/frozenLeader.ts) judged on a scripted cluster, for the one outcome a
 * real cluster produces only under load: the liveness probe (or the watchdog) replaces the frozen leader's process
 * before the other masters have elected anyone, and the restarted master, holding the freshest log, wins the
 * election. The tier then has one healthy leader, the frozen process none: the scenario must pass. It failed CI
 * once with "no new leader while master-1 is frozen" (k8s-dev drill at a load of 10, right after az-loss, whose
 * rejoined master slows the election from under a second to 3-5 s, while the probe restarts the frozen master about
 * 9 s into the freeze). The control: when another master was elected, the resumed old leader must still step down.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { frozenLeaderFor } from "../../tools/lib/drill/frozenLeader";
import type { LocalCluster } from "../../tools/lib/localCluster";
import type { MasterStatus } from "../../tools/lib/cluster/status";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Three masters, master-0 leading. SIGSTOP freezes master-0 (it answers nothing); `afterFreeze` scripts what
 * happens next. Only what the scenario calls is modelled, with LocalCluster's meaning (a frozen process is not live).
 */
class ScriptedCluster {
  readonly masters = [0, 1, 2].map((slot) => ({ slot }));
  readonly plan = { settings: { raft: { electionTimeout: "2s" } } };
  readonly prober = { restarts: [] as { slot: number }[] };
  leader = 0;
  frozen = new Set<number>();
  /** A master that claims leadership after SIGCONT although another leads (a split brain). */
  resumedClaimsLeadership = false;

  constructor(private readonly afterFreeze: (cluster: ScriptedCluster) => void) {}

  liveSlots(): number[] {
    return this.masters.map((m) => m.slot).filter((s) => !this.frozen.has(s));
  }
  partitionedSlots(): number[] {
    return [];
  }
  async waitForQuorum(): Promise<number> {
    return this.leader;
  }
  async kill(slot: number, signal: NodeJS.Signals): Promise<void> {
    if (signal === "SIGSTOP") {
      this.frozen.add(slot);
      this.leader = -1;
      setTimeout(() => this.afterFreeze(this), 50);
    }
    if (signal === "SIGCONT") this.frozen.delete(slot);
  }
  async statusOf(slot: number): Promise<MasterStatus> {
    if (this.frozen.has(slot)) return { slot, reachable: false, isLeader: false } as MasterStatus;
    const claims = slot === this.leader || (this.resumedClaimsLeadership && slot === 0);
    return { slot, reachable: true, isLeader: claims, leaderSlot: claims ? slot : this.leader } as MasterStatus;
  }
  async leaders(slots = this.liveSlots()): Promise<number[]> {
    return (await Promise.all(slots.map((s) => this.statusOf(s)))).filter((s) => s.isLeader).map((s) => s.slot);
  }
  async waitForLeader(options: { exclude?: number[]; timeoutMs?: number }): Promise<number | undefined> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const leaders = (await this.leaders()).filter((s) => !options.exclude?.includes(s));
      if (leaders.length === 1) return leaders[0];
      await sleep(20);
    }
    return undefined;
  }
  async assign(): Promise<{ ok: boolean }> {
    return { ok: this.leader >= 0 };
  }
}

const scenario = frozenLeaderFor(500);
const run = (cluster: ScriptedCluster) => scenario.run({ cluster: cluster as unknown as LocalCluster, step: () => {} });

describe("frozen-leader when the frozen process is replaced before the others elect a leader", () => {
  it("passes when the restarted master-0 wins the election, noting it, and accepts it leading after the freeze", async () => {
    const cluster = new ScriptedCluster((c) => {
      c.prober.restarts.push({ slot: 0 });
      c.frozen.delete(0); // the probe killed the frozen process and started a new one
      c.leader = 0;
    });
    const measured = await run(cluster);
    assert.ok(measured.newLeaderMs! >= 50, `new leader after ${measured.newLeaderMs} ms, before the replacement`);
    assert.deepEqual(measured.notes, ["master-0's frozen process was replaced before the others elected a leader; the restarted master-0 won the election"]);
  });

  it("control: when master-1 was elected, a resumed master-0 still claiming leadership fails the scenario", async () => {
    const cluster = new ScriptedCluster((c) => {
      c.leader = 1;
    });
    cluster.resumedClaimsLeadership = true;
    await assert.rejects(run(cluster), /two leaders at once\b.*master-0, master-1/);
  });
});
