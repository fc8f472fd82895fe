/** Writes Pulumi.yaml and README's config reference from the config schema. */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderProjectFile, withConfigReference } from "./lib/projectFile";
import { REPO_ROOT } from "./lib/stackFiles";

fs.writeFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), renderProjectFile());
const readme = path.join(REPO_ROOT, "README.md");
fs.writeFileSync(readme, withConfigReference(fs.readFileSync(readme, "utf8")));
console.log("wrote Pulumi.yaml and README.md's config reference");
