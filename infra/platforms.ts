/**
 * The platform registry: what each platform derives from a stack's checked keys, contributed by the platform's own
 * folder (AWS: subnets and the placement of the slots on fixed IPs; Kubernetes: the zone placement and its DNS
 * identities). The neutral config layer (infra/config.ts, infra/config/) reads and checks the keys and imports no
 * platform; this is where a stack's config becomes a platform's.
 */
import { ConfigError, ConfigIssue, ConfigValues, KubernetesConfig, ParseOptions, Platform, readStackConfig } from "./config";
import { awsConfig, SeaweedConfig } from "./aws/config";
import { kubernetesConfig } from "./kubernetes/config";

export type { AmiSource, SeaweedConfig } from "./aws/config";
export type { KubernetesConfig, ParseOptions } from "./config";

/** The validated config of a stack of either platform. */
export type StackSettings = SeaweedConfig | KubernetesConfig;

/** Each platform's part of a stack's config: it adds its own issues to `issues` and throws them all, or finishes. */
const PLATFORM_CONFIG: { [P in Platform]: (values: ConfigValues, options: ParseOptions, issues: ConfigIssue[]) => Extract<StackSettings, { platform: P }> } = {
  aws: awsConfig,
  kubernetes: kubernetesConfig,
};

/**
 * Validates a stack's config, whatever its platform.
 *
 * @param raw the project's keys without namespace, each in the string form the engine passes to programs.
 * @throws ConfigError listing every problem.
 */
export function parseStackConfig(raw: Record<string, string>, options: ParseOptions = {}): StackSettings {
  const { platform, values, issues } = readStackConfig(raw, options);
  return PLATFORM_CONFIG[platform](values, options, issues);
}

/**
 * Validates the config of an AWS stack (what the AWS composition root, its tests and tools read).
 *
 * @throws ConfigError listing every problem, or naming `platform` when the stack is a Kubernetes one.
 */
export function parseConfig(raw: Record<string, string>, options: ParseOptions = {}): SeaweedConfig {
  const settings = parseStackConfig(raw, options);
  if (settings.platform !== "aws") {
    throw new ConfigError([{ key: "platform", value: settings.platform, message: "this reader takes AWS stacks only", fix: "read the stack with parseStackConfig" }], options.stack);
  }
  return settings;
}
