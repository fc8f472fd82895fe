/**
 * The drill report names the SeaweedFS that really ran: what `weed version` of the binary in use says (WEED_BINARY,
 * else the project's .venv), in the `--json` fields and the text and HTML headlines, with the pinned release kept
 * in `seaweedfsVersion` (the contract only grows). A fake binary stands in for another release: no drill runs.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SEAWEEDFS_VERSION } from "../../infra/seaweed/constants";
import { weedVersionOf } from "../../tools/lib/cluster/weed";
import { renderDrillReportHtml } from "../../tools/lib/drill/report";
import { runDrill, seaweedfsRun } from "../../tools/lib/drill/runner";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "weed-version-"));

/** A script that answers `version` with `answer` (and fails anything else): another binary than the pinned one. */
function fakeWeed(name: string, answer: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n[ "$1" = version ] || exit 3\necho '${answer}'\n`, { mode: 0o755 });
  return file;
}

describe("the SeaweedFS release a drill reports", () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is what the pinned binary says of itself", () => {
    assert.equal(weedVersionOf(path.join(REPO_ROOT, ".venv", "bin", "weed")), "4.44");
  });

  it("is the release of the WEED_BINARY in use, the pinned one staying in seaweedfsVersion", async () => {
    const fake = fakeWeed("weed", "version 30GB 9.99 0123abcd linux amd64");
    const saved = process.env.WEED_BINARY;
    process.env.WEED_BINARY = fake;
    try {
      const report = await runDrill({ stack: "dev", scenarios: [], runs: 1, baseline: false, progress: () => {} });
      assert.equal(report.weedVersion, "9.99");
      assert.equal(report.weedBinary, fake);
      assert.equal(report.seaweedfsVersion, "4.44");
      const headline = `SeaweedFS 9.99 from ${fake}, not the pinned 4.44`;
      assert.equal(seaweedfsRun(report), headline);
      assert.ok(renderDrillReportHtml(report).includes(`<p>${headline}, `), "the HTML report does not name the binary that ran");
    } finally {
      if (saved === undefined) delete process.env.WEED_BINARY;
      else process.env.WEED_BINARY = saved;
    }
  });

  it("names only the release when the pinned one ran", () => {
    assert.equal(seaweedfsRun({ seaweedfsVersion: SEAWEEDFS_VERSION, weedVersion: SEAWEEDFS_VERSION, weedBinary: "/any/weed" }), `SeaweedFS ${SEAWEEDFS_VERSION}`);
  });

  it("refuses a WEED_BINARY that prints no version, naming it and what it printed", () => {
    const fake = fakeWeed("not-weed", "hello");
    assert.throws(() => weedVersionOf(fake), (error: Error) => error.message === `\`${fake} version\` printed no version line: "hello" (is WEED_BINARY a weed binary?)`);
  });
});
