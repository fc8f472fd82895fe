/**
 * One real local cluster shared by the tests of a `describe` block, and the way those tests run a drill scenario on
 * it: the cluster starts in `before()` and stops in `after()` (also when a test failed), and every scenario starts
 * from a recovered cluster (every master and volume server running, one agreed leader, writes working).
 */
import { after, before } from "node:test";
import { LocalCluster } from "../../tools/lib/localCluster";
import { recover } from "../../tools/lib/drill/steps";
import type { Scenario, ScenarioMeasurements } from "../../tools/lib/drill/types";

export interface SharedDrillClusterOptions {
  /** Stack whose rendered masters run (stacks/Pulumi.<stack>.yaml). */
  stack: string;
  /**
   * How many of the last progress lines (the harness's and the scenario's) a failing scenario adds to its error
   * message, so that a red test shows what led to it. 0 rethrows the scenario's error as it is.
   * @default 0
   */
  failureContextLines?: number;
}

export interface SharedDrillCluster {
  /** The running cluster; only valid inside tests (it is started by `before()`). */
  readonly cluster: LocalCluster;
  /** Recovers the cluster, then runs `scenario` on it; resolves to its measurements, rejects when it fails. */
  drill(scenario: Scenario): Promise<ScenarioMeasurements>;
}

/** Registers the `before()`/`after()` hooks of the enclosing `describe` that start and stop the stack's cluster. */
export function sharedDrillCluster(options: SharedDrillClusterOptions): SharedDrillCluster {
  let cluster: LocalCluster | undefined;
  // Progress lines: the harness's as they come, a scenario's prefixed with its id (the context of a failure).
  const steps: string[] = [];
  before(async () => {
    cluster = await LocalCluster.start({ stack: options.stack, log: (line) => steps.push(line) });
  });
  after(async () => {
    await cluster?.stop();
  });
  const started = (): LocalCluster => {
    if (!cluster) throw new Error(`the ${options.stack} cluster is not running: use it inside a test, after before() started it`);
    return cluster;
  };
  const contextLines = options.failureContextLines ?? 0;
  return {
    get cluster() {
      return started();
    },
    async drill(scenario) {
      const running = started();
      await recover(running);
      try {
        return await scenario.run({ cluster: running, step: (line) => steps.push(`${scenario.id}: ${line}`) });
      } catch (error) {
        if (contextLines === 0) throw error;
        throw new Error(`${(error as Error).message}\n${steps.slice(-contextLines).join("\n")}`, { cause: error });
      }
    },
  };
}
