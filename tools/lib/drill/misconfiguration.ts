/**
 * h. Misconfiguration: an even number of masters is refused by the project's own validation (config and
 * renderer) before anything is deployed, and — proven separately — `weed master` itself exits on an even peer list.
 */
import * as fs from "node:fs";
import { ConfigError, projectKeys, PROJECT } from "../../../infra/config";
import { parseConfig } from "../../../infra/platforms";
import { masterAddress, MasterConfigError, renderMasterArgs } from "../../../infra/seaweed/master";
import { EVEN_MASTERS_FATAL } from "../../../infra/seaweed/quorum";
import { spareLoopbackIp } from "../cluster/loopback";
import { readStackConfig } from "../stackFiles";
import { expect, Scenario } from "./types";

/** The fatal log line of `checkPeers()` in weed/command/master.go. */
const EVEN_PEERS_FATAL = EVEN_MASTERS_FATAL;
const EXIT_BOUND_MS = 15_000;

/** The error `fn` throws, or undefined. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error;
  }
}

export const misconfiguration: Scenario = {
  id: "misconfiguration",
  letter: "h",
  title: "misconfiguration: an even peer list is refused by validation and makes weed master exit",
  async run({ cluster, step }) {
    const even = cluster.masters.length + 1;
    step(`validating the stack with masterCount ${even}`);
    const raw = projectKeys(readStackConfig(cluster.stack).config);
    const configError = thrown(() => parseConfig({ ...raw, masterCount: String(even) }, { stack: cluster.stack }));
    expect(configError instanceof ConfigError, `parseConfig accepted masterCount ${even}`);
    expect(configError.issues.some((i) => i.key === "masterCount"), `parseConfig refused masterCount ${even} without naming ${PROJECT}:masterCount`);

    const { settings } = cluster.plan;
    const spare = [1, 2, 3].map((n) => spareLoopbackIp(cluster.network, n));
    const optionsFor = (peers: string[]) => ({ ...settings, ip: spare[0], mdir: `${cluster.runDir}/even-peers/mdir`, peers });
    const evenPeers = spare.slice(0, 2).map((ip) => masterAddress(ip, settings.port));
    const renderError = thrown(() => renderMasterArgs(optionsFor(evenPeers)));
    expect(renderError instanceof MasterConfigError, `renderMasterArgs rendered a master with 2 peers`);

    step("running weed master with an even peer list");
    const oddPeers = spare.map((ip) => masterAddress(ip, settings.port));
    const valid = renderMasterArgs(optionsFor(oddPeers));
    const args = valid.map((arg) => (arg.endsWith(`=${oddPeers.join(",")}`) ? arg.replace(oddPeers.join(","), evenPeers.join(",")) : arg));
    expect(args.some((arg) => arg.endsWith(`=${evenPeers.join(",")}`)), "could not find the peer list in the rendered argv");
    fs.mkdirSync(`${cluster.runDir}/even-peers/mdir`, { recursive: true });
    const proc = cluster.spawnWeed("even-peers", args);
    const started = Date.now();
    const exit = await proc.waitExit(EXIT_BOUND_MS);
    if (!exit) await proc.kill();
    expect(exit, `weed master with peers ${evenPeers.join(",")} was still running after ${EXIT_BOUND_MS} ms`);
    expect(exit.code !== 0, `weed master with an even peer list exited with code ${exit.code}, expected a failure`);
    const log = fs.readFileSync(proc.options.logFile, "utf8");
    expect(log.includes(EVEN_PEERS_FATAL), `weed master exited without "${EVEN_PEERS_FATAL}" in its log`);
    const exitMs = Date.now() - started;
    step(`refused by parseConfig and renderMasterArgs; weed master exited with code ${exit.code} after ${exitMs} ms`);
    return { extra: { weedExitMs: exitMs } };
  },
};
