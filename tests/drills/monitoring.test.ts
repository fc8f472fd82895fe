/**
 * The monitoring signals on real SeaweedFS 4.44 masters (the dev stack's rendered cluster on loopback, with volume
 * servers): every series the agent publishes and the alarms and dashboard read is exposed on `/metrics` under the
 * exact name and label the pipeline selects; `is_leader` sums to exactly 1; and the leader-count alarm, its own
 * rendered metric math replayed on `is_leader` scraped every second from every master (tests/support/alarmMath.ts),
 * stays OK through a single leader kill and fires when the leader is killed in every period of its window.
 * Periods are compressed: one alarm minute is PERIOD_MS here, so the window of 3 "minutes" takes 45 s.
 *
 * Not proven here: `volume_layout_writable`, which only the leader's volume-grow pass sets, 5 to 5.5 minutes after
 * a master starts; no test in the suite waits that long.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { METRIC_NAMESPACE } from "../../infra/aws/monitoring/metrics";
import { agentPublishedMetricNames } from "../../infra/aws/monitoring/agentConfig";
import { parseExposition, Sample, SCRAPED_METRICS, ScrapedMetric } from "../../infra/aws/monitoring/cloudwatch";
import { METRICS } from "../../infra/seaweed/constants";
import { poll } from "../../tools/lib/cluster/http";
import { LocalCluster } from "../../tools/lib/localCluster";
import { evaluateAlarm, RenderedAlarm, Sample as Scraped } from "../support/alarmMath";
import { alarmMetrics, dashboardMetrics, monitoringGraph } from "../support/monitoringGraph";

/** One alarm "minute", compressed: long enough for an election and the 5 s `is_leader` tick after a kill at +1 s. */
const PERIOD_MS = 15_000;

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

describe("monitoring signals on a real SeaweedFS 4.44 cluster (dev stack)", { timeout: 300_000 }, () => {
  let cluster: LocalCluster;
  let usedNames: Set<string>;
  let leaderCount: RenderedAlarm;

  before(async () => {
    const run = await monitoringGraph("dev");
    const ours = (names: Set<string>) => [...names].filter((n) => n.startsWith(`${METRIC_NAMESPACE}/`)).map((n) => n.slice(METRIC_NAMESPACE.length + 1));
    usedNames = new Set([...agentPublishedMetricNames(), ...ours(alarmMetrics(run)), ...ours(dashboardMetrics(run))]);
    leaderCount = run.mine("aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => String(a.inputs.name).endsWith("-leader-count"))!.inputs as unknown as RenderedAlarm;
    cluster = await LocalCluster.start({ stack: "dev" });
  });
  after(async () => {
    await cluster?.stop();
  });

  it("exposes every SeaweedFS series the agent config, alarms and dashboard use", async () => {
    const seaweedNames = [...usedNames].filter((n) => n.startsWith("SeaweedFS_"));
    assert.deepEqual(seaweedNames.sort(), SCRAPED_METRICS.map((m) => m.name).sort(), "alarms and dashboard use only scraped series");
    const due = SCRAPED_METRICS.filter((m) => m.appears !== "growPass");
    const missing = await poll(async () => {
      const all = [...(await scrape(cluster)).values()].flat();
      const absent = due.filter((m) => !exposes(all, m));
      return absent.length === 0 ? [] : undefined;
    }, 30_000, 1000);
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

  it("the leader-count alarm's own math on scraped is_leader: OK through one failover, ALARM when the leader dies every period", async (t) => {
    assert.equal(leaderCount.evaluationPeriods, 3, "the dev stack's window (alarmLeaderCountMinutes)");
    const samples: Scraped[] = [];
    let scraping = true;
    const scraper = (async () => {
      while (scraping) {
        const at = Date.now();
        await Promise.all(
          cluster.liveSlots().map(async (slot) => {
            // A master that is down publishes nothing, as its agent would.
            const text = await cluster.metrics(slot).catch(() => undefined);
            for (const x of text ? parseExposition(text) : []) if (x.name === METRICS.isLeader) samples.push({ t: at, slot, metric: x.name, value: x.value });
          }),
        );
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - at))));
      }
    })();
    const start = Date.now() + 500;
    const periodStart = (p: number) => start + p * PERIOD_MS;
    const until = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));
    let elections = 0;
    /** Kills the leader 1 s into period p, waits for another, brings the old one back. */
    const failover = async (p: number) => {
      await until(periodStart(p) + 1000);
      const old = await cluster.waitForLeader({ timeoutMs: 30_000 });
      assert.ok(old !== undefined, `no leader to kill in period ${p}`);
      await cluster.kill(old, "SIGKILL");
      const next = await cluster.waitForLeader({ exclude: [old], timeoutMs: 30_000 });
      assert.ok(next !== undefined, `no new leader after killing master-${old} in period ${p}`);
      elections++;
      await cluster.start(old);
    };
    try {
      await until(periodStart(1));
      await failover(1);
      await until(periodStart(3));
      const single = evaluateAlarm(leaderCount, samples, start, PERIOD_MS, 3);
      t.diagnostic(`one failover: ABS(SUM(max is_leader) - 1) per period ${JSON.stringify(single.values)}`);
      assert.deepEqual([single.values[0], single.values[2]], [0, 0], "steady periods sum to exactly one leader");
      assert.equal(single.firstAlarmPeriod, -1, "a single failover must not page");
      for (const p of [3, 4, 5]) await failover(p);
      await until(periodStart(6));
      const flapping = evaluateAlarm(leaderCount, samples, start, PERIOD_MS, 6);
      t.diagnostic(`a failover in periods 3-5: ${JSON.stringify(flapping.values)}`);
      assert.deepEqual(flapping.breaching.slice(3), [true, true, true], "each failover period deviates from one leader");
      assert.equal(flapping.firstAlarmPeriod, 5, "the alarm fires at the end of the window of failovers, not before");
    } finally {
      scraping = false;
      await scraper;
    }
    assert.equal(elections, 4);
    await cluster.waitForQuorum(60_000);
    const won = [...(await scrape(cluster)).values()].flat().filter((x) => x.name === METRICS.leaderChanges && x.value >= 1);
    assert.ok(won.length > 0, "elections are counted in leader_changes (the flapping alarm's input)");
  });
});
