/**
 * The monitoring signals on real SeaweedFS 4.44 masters (the dev stack's rendered cluster on loopback, with volume
 * servers): every series the agent publishes and the alarms and dashboard read is exposed on `/metrics` under the
 * exact name and label the pipeline selects; `is_leader` sums to exactly 1; after the leader is killed it sums to 1
 * again, on the new leader, well within the leader-count alarm's window, so a clean failover does not page.
 *
 * `volume_layout_writable` is only set by the leader's volume-grow pass, 5 to 5.5 minutes after it takes over; it is
 * proven only with SEAWEED_SLOW_DRILLS=1 (the suite must stay under 10 minutes).
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { METRIC_NAMESPACE } from "../../infra/aws/monitoring/metrics";
import { agentPublishedMetricNames } from "../../infra/aws/monitoring/agentConfig";
import { parseExposition, Sample, SCRAPED_METRICS, ScrapedMetric } from "../../infra/aws/monitoring/cloudwatch";
import { METRICS } from "../../infra/seaweed/constants";
import { poll } from "../../tools/lib/cluster/http";
import { LocalCluster } from "../../tools/lib/localCluster";
import { alarmMetrics, dashboardMetrics, monitoringGraph } from "../support/monitoringGraph";

const SLOW = process.env.SEAWEED_SLOW_DRILLS === "1";

/** The samples of every live master, by slot. */
async function scrape(cluster: LocalCluster): Promise<Map<number, Sample[]>> {
  const slots = cluster.liveSlots();
  const texts = await Promise.all(slots.map((s) => cluster.metrics(s)));
  return new Map(slots.map((s, i) => [s, parseExposition(texts[i])]));
}

/** The slots whose `is_leader` is 1, and the sum over every live master. */
async function leaderGauge(cluster: LocalCluster): Promise<{ sum: number; slots: number[] }> {
  const samples = await scrape(cluster);
  const slots = [...samples].filter(([, s]) => s.some((x) => x.name === METRICS.isLeader && x.value === 1)).map(([slot]) => slot);
  const sum = [...samples.values()].flat().filter((x) => x.name === METRICS.isLeader).reduce((total, x) => total + x.value, 0);
  return { sum, slots };
}

function exposes(samples: Sample[], metric: ScrapedMetric): boolean {
  return samples.some((x) => x.name === metric.name && (!metric.only || x.labels[metric.only.label] === metric.only.value));
}

describe("monitoring signals on a real SeaweedFS 4.44 cluster (dev stack)", { timeout: SLOW ? 600_000 : 240_000 }, () => {
  let cluster: LocalCluster;
  let usedNames: Set<string>;
  let leaderCountWindowSeconds: number;

  before(async () => {
    const run = await monitoringGraph("dev");
    const ours = (names: Set<string>) => [...names].filter((n) => n.startsWith(`${METRIC_NAMESPACE}/`)).map((n) => n.slice(METRIC_NAMESPACE.length + 1));
    usedNames = new Set([...agentPublishedMetricNames(), ...ours(alarmMetrics(run)), ...ours(dashboardMetrics(run))]);
    leaderCountWindowSeconds = run.config.alarmLeaderCountMinutes * 60;
    cluster = await LocalCluster.start({ stack: "dev" });
  });
  after(async () => {
    await cluster?.stop();
  });

  it("exposes every SeaweedFS series the agent config, alarms and dashboard use", async () => {
    const seaweedNames = [...usedNames].filter((n) => n.startsWith("SeaweedFS_"));
    assert.deepEqual(seaweedNames.sort(), SCRAPED_METRICS.map((m) => m.name).sort(), "alarms and dashboard use only scraped series");
    const due = SCRAPED_METRICS.filter((m) => SLOW || m.appears !== "growPass");
    const missing = await poll(async () => {
      const all = [...(await scrape(cluster)).values()].flat();
      const absent = due.filter((m) => !exposes(all, m));
      return absent.length === 0 ? [] : undefined;
    }, SLOW ? 420_000 : 30_000, 1000);
    const all = [...(await scrape(cluster)).values()].flat();
    assert.deepEqual(missing, [], `not exposed: ${due.filter((m) => !exposes(all, m)).map((m) => m.name).join(", ")}`);
  });

  it("reports exactly one leader: is_leader sums to 1, on the master /cluster/status calls leader", async () => {
    const leader = await cluster.waitForLeader({ timeoutMs: 30_000 });
    assert.notEqual(leader, undefined);
    const gauge = await poll(async () => {
      const g = await leaderGauge(cluster);
      return g.sum === 1 ? g : undefined;
    }, 30_000, 500);
    assert.deepEqual(gauge?.slots, [leader]);
  });

  it("returns to exactly one leader after the leader is killed, well inside the leader-count alarm's window", async (t) => {
    const old = await cluster.waitForLeader({ timeoutMs: 30_000 });
    assert.ok(old !== undefined);
    const killedAt = Date.now();
    await cluster.kill(old, "SIGKILL");
    const next = await cluster.waitForLeader({ exclude: [old], timeoutMs: 60_000 });
    assert.ok(next !== undefined, "a new leader is elected");
    let deviatingSamples = 0;
    const gauge = await poll(async () => {
      const g = await leaderGauge(cluster);
      if (g.sum !== 1) deviatingSamples++;
      return g.sum === 1 && g.slots[0] === next ? g : undefined;
    }, 60_000, 250);
    const seconds = (Date.now() - killedAt) / 1000;
    t.diagnostic(`is_leader summed to 1 again on slot ${next} ${seconds.toFixed(1)} s after the kill (${deviatingSamples} samples != 1 before)`);
    assert.deepEqual(gauge?.slots, [next]);
    assert.ok(seconds < leaderCountWindowSeconds, `${seconds} s of deviation would page (window ${leaderCountWindowSeconds} s)`);
    const samples = (await scrape(cluster)).get(next)!;
    const won = samples.filter((x) => x.name === METRICS.leaderChanges && x.value >= 1);
    assert.ok(won.length > 0, "the new leader counts its election in leader_changes (the flapping alarm's input)");
  });
});
