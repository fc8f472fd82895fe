/**
 * Prometheus's own rule engine for the tests: `promtool test rules` (pinned in tools/promtool/versions.env, built
 * once by tools/setup-promtool.sh, which tools/setup.sh runs) evaluates rendered PrometheusRule groups on input
 * series and compares the alerts that fire with the expected ones. A missing binary is an error, never a skip.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { REPO_ROOT } from "../../tools/lib/stackFiles";

const run = promisify(execFile);

/** The pinned promtool's path; throws when it has not been built. */
export async function promtoolBinary(): Promise<string> {
  const { stdout } = await run("bash", [path.join(REPO_ROOT, "tools/setup-promtool.sh"), "--path"]);
  const binary = stdout.trim();
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run \`bash tools/setup.sh\` (it builds promtool)`);
  return binary;
}

/** One `promtool test rules` test group (its format: prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules). */
export interface RuleTest {
  name: string;
  interval: string;
  input_series: { series: string; values: string }[];
  alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: { exp_labels: Record<string, string> }[] }[];
  /** Expressions evaluated at a time, with the samples they must give (labels as PromQL writes them, e.g. "{}"). */
  promql_expr_test?: { expr: string; eval_time: string; exp_samples: { labels: string; value: number }[] }[];
}

/**
 * Runs `promtool test rules` on `groups` (a PrometheusRule's spec.groups, which is the rule-file format) with
 * `tests`. Annotations are dropped from the rules (tests compare labels only; annotations are checked as text).
 * Resolves with promtool's exit code and output; the caller asserts on them.
 */
export async function testRules(groups: unknown[], tests: RuleTest[]): Promise<{ code: number; output: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-"));
  try {
    const rules = (groups as { rules: Record<string, unknown>[] }[]).map((g) => ({ ...g, rules: g.rules.map(({ annotations: _annotations, ...rule }) => rule) }));
    fs.writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups: rules }));
    fs.writeFileSync(path.join(dir, "tests.yaml"), stringify({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests }));
    try {
      const { stdout, stderr } = await run(await promtoolBinary(), ["test", "rules", "tests.yaml"], { cwd: dir, timeout: 60_000 });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string; message: string };
      if (typeof failed.code !== "number") throw error;
      return { code: failed.code, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
