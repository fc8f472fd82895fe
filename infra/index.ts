/**
 * Pulumi program entry: config -> topology -> platform -> stack outputs. The language host calls the exported
 * function; a ConfigError thrown here stops the update before any resource is registered.
 */
import { loadStackConfig } from "./stackConfig";
import { seaweedPlatform } from "./program";

export = async (): Promise<Record<string, unknown>> => seaweedPlatform(await loadStackConfig());
