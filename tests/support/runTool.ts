/**
 * Runs one of the repository's `tools/*.ts` commands as `npm run` would (tsx), never throwing on a non-zero exit.
 * A tool still running when the test process ends (interrupted, crashed) is stopped with what it started.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../tools/lib/stackFiles";
import { stopChildrenAtExit } from "../../tools/lib/cluster/processes";

stopChildrenAtExit();

const run = promisify(execFile);

/** The repository's tsx, as `npm run` finds it (npx would first spend half a second of CPU looking it up). */
export const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `tools/<script>` with `args` from the repository root; the exit code, stdout and stderr. */
export async function runTool(script: string, args: string[], timeoutMs = 120_000): Promise<ToolRun> {
  try {
    const { stdout, stderr } = await run(TSX, [path.join(REPO_ROOT, "tools", script), ...args], { cwd: REPO_ROOT, timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as ToolRun;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
