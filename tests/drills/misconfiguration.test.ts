/**
 * An even number of masters never reaches a host: the project's validation refuses it, and SeaweedFS itself
 * would exit on it anyway (scenario h, against the real binary).
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { LocalCluster } from "../../tools/lib/localCluster";
import { misconfiguration } from "../../tools/lib/drill/misconfiguration";

describe("an even peer list", { timeout: 60_000 }, () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.create({ stack: "staging" });
  });
  after(async () => {
    await cluster?.stop();
  });

  it("is refused by parseConfig and renderMasterArgs, and makes weed master exit (h)", async () => {
    const steps: string[] = [];
    await misconfiguration.run({ cluster, step: (line) => steps.push(line) });
    assert.match(steps.join("\n"), /exited with code [1-9]\d*/);
  });
});
