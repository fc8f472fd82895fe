/**
 * A `node --test` reporter that prints the slowest test files at the end of a run, so that the next file that makes
 * `npm test` slow is visible in every run (CI's log included). A file's time is its whole run as the test runner
 * measured it: loading its imports, its hooks and its tests. Used beside the spec reporter:
 *   node --import tsx --test --test-reporter=spec --test-reporter-destination=stdout \
 *     --test-reporter=./tools/test-reporters/slowest-files.mts --test-reporter-destination=stdout <files>
 * Environment: SLOWEST_FILES (how many to list; default 10).
 */
import * as path from "node:path";

interface TestEvent {
  type: string;
  data: { name?: string; file?: string; nesting?: number; details?: { duration_ms?: number; passed?: boolean } };
}

/** How many files to list. */
const COUNT = Number(process.env.SLOWEST_FILES ?? 10);

export default async function* slowestFiles(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const files: { file: string; ms: number; passed: boolean }[] = [];
  for await (const event of source) {
    const { name, file, nesting, details } = event.data;
    // The runner reports each file as a top-level test named after the file itself.
    if (event.type === "test:complete" && nesting === 0 && file !== undefined && name === file && details?.duration_ms !== undefined) {
      files.push({ file: path.relative(process.cwd(), file), ms: details.duration_ms, passed: details.passed !== false });
    }
  }
  if (files.length === 0) return;
  const total = files.reduce((sum, f) => sum + f.ms, 0);
  const lines = [...files]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, COUNT)
    .map((f) => `  ${(f.ms / 1000).toFixed(1).padStart(7)} s  ${f.file}${f.passed ? "" : "  (failed)"}`);
  yield `\nslowest ${lines.length} of ${files.length} test files (time in each file, ${(total / 60_000).toFixed(1)} min in all):\n${lines.join("\n")}\n`;
}
