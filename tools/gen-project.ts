/** Writes Pulumi.yaml from the config schema. */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderProjectFile } from "./lib/projectFile";
import { REPO_ROOT } from "./lib/stackFiles";

fs.writeFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), renderProjectFile());
console.log("wrote Pulumi.yaml");
