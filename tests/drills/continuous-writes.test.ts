/**
 * The day-2 drills' continuous writer against fake masters (a scripted `/dir/assign`) and a fake volume server on
 * loopback, in a few seconds and without weed: what its summaries count when a write is still failing at a window's
 * close, and what the settled-window rule refuses.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { ContinuousWrites, settledWriteProblem, WriteTarget } from "../../tools/lib/drill/continuousWrites";
import { sleep } from "../../tools/lib/cluster/http";

/** A volume server that keeps the file part of each upload and serves it back. */
function fakeVolumeServer(): { server: http.Server; blobs: Map<string, string> } {
  const blobs = new Map<string, string>();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === "POST") {
      const form = await new Request("http://volume", { method: "POST", headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) }).formData();
      blobs.set(req.url!, await (form.get("file") as File).text());
      res.writeHead(201).end("{}");
    } else if (blobs.has(req.url!)) res.writeHead(200).end(blobs.get(req.url!));
    else res.writeHead(404).end();
  });
  return { server, blobs };
}

/** Three fake masters: each assignment is refused when `refuses(via)` says so, else handed out on the fake volume server. */
function fakeMasters(volumeUrl: () => string, refuses: (via: number) => boolean): WriteTarget {
  let needle = 0;
  return {
    timeline: undefined,
    liveSlots: () => [0, 1, 2],
    async assign(via = 0) {
      if (refuses(via)) return { ok: false, status: 503, via, stored: false, body: `master-${via} refuses` };
      return { ok: true, status: 200, via, fid: `1,${(++needle).toString(16)}0000abcd`, url: volumeUrl(), stored: false, body: "" };
    },
  };
}

describe("the continuous writer's summaries (fake masters, no weed)", () => {
  const volume = fakeVolumeServer();
  let url = "";
  before(async () => {
    await new Promise<void>((resolve) => volume.server.listen(0, "127.0.0.1", resolve));
    url = `127.0.0.1:${(volume.server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => volume.server.close(() => resolve())));

  it("counts a write still failing at stop() as unfinished, and the time since the last stored write as a gap", async () => {
    const writer = new ContinuousWrites(fakeMasters(() => url, () => true), 60_000);
    writer.start();
    const started = Date.now();
    await sleep(500);
    const stopping = Date.now();
    const summary = await writer.stop();
    assert.equal(summary.stored, 0);
    assert.equal(summary.failed, 0, "it had not been retried for giveUpMs");
    assert.equal(summary.unfinished, 1, JSON.stringify(summary));
    assert.ok(summary.failedAttempts > 0);
    assert.ok(summary.longestGapMs >= stopping - started, `gap ${summary.longestGapMs} ms, but nothing was stored for ${stopping - started} ms`);
    assert.deepEqual(writer.totals, summary);
  });

  it("waits at a reset for the write begun in the closing window, so its give-up lands there and not in the next", async () => {
    let refusing = true;
    const writer = new ContinuousWrites(fakeMasters(() => url, () => refusing), 800);
    writer.start();
    const started = Date.now();
    await sleep(200);
    const closing = Date.now();
    const closed = await writer.resetSummary();
    refusing = false;
    await sleep(500);
    const next = await writer.stop();
    assert.deepEqual({ stored: closed.stored, failed: closed.failed, unfinished: closed.unfinished }, { stored: 0, failed: 1, unfinished: 0 }, JSON.stringify(closed));
    assert.ok(closed.longestGapMs >= closing - started, `closed window's gap ${closed.longestGapMs} ms, nothing stored for ${closing - started} ms`);
    assert.ok(next.stored > 0 && next.failed === 0 && next.failedAttempts === 0, JSON.stringify(next));
    assert.deepEqual({ stored: writer.totals.stored, failed: writer.totals.failed }, { stored: next.stored, failed: 1 });
    assert.deepEqual(await writer.verifyAll(), []);
  });

  it("calls a window settled only when every attempt was stored at once", async () => {
    const run = async (refuses: (via: number) => boolean) => {
      const writer = new ContinuousWrites(fakeMasters(() => url, refuses), 5000);
      writer.start();
      await sleep(700);
      return writer.stop();
    };
    const healthy = await run(() => false);
    assert.equal(settledWriteProblem(healthy), undefined, JSON.stringify(healthy));
    // One master refusing everything: each refused write is retried through the next master at once, so no write
    // fails and the gaps stay short; only the failed attempts show it.
    const oneRefuses = await run((via) => via === 1);
    assert.ok(oneRefuses.failed === 0 && oneRefuses.stored > 0, JSON.stringify(oneRefuses));
    assert.match(settledWriteProblem(oneRefuses) ?? "", /write attempts failed after the gates passed.*master-1 refuses/);
    const allRefuse = await run(() => true);
    assert.match(settledWriteProblem(allRefuse) ?? "", /no write was stored/);
  });

  it("reports a stored blob that no longer reads back", async () => {
    volume.blobs.clear();
    const writer = new ContinuousWrites(fakeMasters(() => url, () => false), 5000);
    writer.start();
    await sleep(300);
    await writer.stop();
    assert.ok(writer.blobCount > 0);
    assert.deepEqual(await writer.verifyAll(), []);
    const [first] = volume.blobs.keys();
    volume.blobs.set(first, "something else");
    assert.equal((await writer.verifyAll()).length, 1);
  });
});
