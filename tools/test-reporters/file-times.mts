/**
 * A `node --test` reporter that writes one JSON line per test file: `{"file", "ms", "passed"}`, where `ms` is the
 * file's whole run as the test runner measured it (loading its imports, its hooks and its tests). `tools/test.ts`
 * gives it a file per lane and prints the slowest test files of the whole run from them.
 */
import * as path from "node:path";

interface TestEvent {
  type: string;
  data: { name?: string; file?: string; nesting?: number; details?: { duration_ms?: number; passed?: boolean } };
}

export default async function* fileTimes(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    const { name, file, nesting, details } = event.data;
    // The runner reports each file as a top-level test named after the file, as it was given on the command line.
    if (event.type === "test:complete" && nesting === 0 && file !== undefined && name !== undefined && path.resolve(name) === file && details?.duration_ms !== undefined) {
      yield `${JSON.stringify({ file: path.relative(process.cwd(), file), ms: Math.round(details.duration_ms), passed: details.passed !== false })}\n`;
    }
  }
}
