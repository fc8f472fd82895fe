/**
 * The platform a stack deploys, picked from its validated config: each platform has its own composition root
 * (infra/aws/platform.ts, infra/kubernetes/platform.ts); nothing here knows either.
 */
import type { StackSettings } from "./platforms";
import { awsPlatform } from "./aws/platform";
import { kubernetesPlatform } from "./kubernetes/platform";

/** Builds every resource of the stack on its platform and returns its outputs. */
export async function seaweedPlatform(config: StackSettings): Promise<Record<string, unknown>> {
  return config.platform === "kubernetes" ? kubernetesPlatform(config) : awsPlatform(config);
}
