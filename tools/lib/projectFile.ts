/**
 * Renders `Pulumi.yaml` from the config schema, so the project file documents every key with the type, default
 * and description the program validates against. `npm run gen:project` writes it; a test keeps it in sync.
 */
import { stringify } from "yaml";
import { CONFIG_KEYS, KeySpec, PROJECT } from "../../infra/config";

export function renderProjectFile(): string {
  const config: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries(CONFIG_KEYS) as [string, KeySpec][]) {
    const description = spec.defaultFor
      ? `${spec.description} Default: dev ${JSON.stringify(spec.defaultFor("dev"))}, staging ${JSON.stringify(spec.defaultFor("staging"))}, prod ${JSON.stringify(spec.defaultFor("prod"))}.`
      : spec.required
        ? `${spec.description} Required.`
        : spec.description;
    config[name] = {
      type: spec.type,
      ...(spec.type === "array" ? { items: { type: "string" } } : {}),
      description,
      ...(spec.default !== undefined ? { default: spec.default } : {}),
    };
  }
  const project = {
    name: PROJECT,
    description: "Highly available SeaweedFS master tier on AWS: fixed-identity, self-healing masters behind an internal NLB.",
    runtime: { name: "nodejs", options: { typescript: true, packagemanager: "npm" } },
    stackConfigDir: "stacks",
    config,
  };
  return `# Generated from infra/config/*.ts by \`npm run gen:project\`; edit the schema, not this file.\n${stringify(project, { lineWidth: 0 })}`;
}
