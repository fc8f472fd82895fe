/**
 * Reads this stack's config the way the engine hands it to the program, validates it, and guards slot identity:
 * the placement is compared with the `slots` output of this stack's last deployment, and a change that would move
 * a master to another zone or address is refused before anything is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { projectKeys } from "./config";
import { parseStackConfig, StackSettings } from "./platforms";
import { describeChange, membershipChangeSince } from "./seaweed/membership";
import type { PreviousSlot } from "./aws/placement";
import type { DeployedPodSlot } from "./kubernetes/identity";

async function previousSlots(): Promise<(PreviousSlot | DeployedPodSlot)[]> {
  const organization = pulumi.getOrganization();
  const self = [organization, pulumi.getProject(), pulumi.getStack()].filter(Boolean).join("/");
  const reference = new pulumi.StackReference(`${pulumi.getStack()}-previous-slots`, { name: self });
  const details = await reference.getOutputDetails("slots");
  return Array.isArray(details.value) ? (details.value as (PreviousSlot | DeployedPodSlot)[]) : [];
}

/**
 * The validated config of the running stack; throws a ConfigError listing every problem. The config is checked
 * against the last deployment's slots: an AWS slot must not move, a Kubernetes master must not be renamed.
 */
export async function loadStackConfig(): Promise<StackSettings> {
  const all = pulumi.runtime.allConfig();
  const raw = projectKeys(all);
  const stack = pulumi.getStack();
  const region = all["aws:region"];
  parseStackConfig(raw, { stack, region });
  const previous = await previousSlots();
  const config = parseStackConfig(raw, { stack, region, previousSlots: previous });
  // A scale-out is applied by this update (new slots start with the new peer list and are admitted by the leader);
  // the kept masters still run the old -peers until the rollout restarts them, leader last.
  const change = membershipChangeSince(previous.map((p) => p.slot), config.masterCount);
  if (change) pulumi.log.warn(describeChange(change, "<the new peer list of every slot>").join("\n"));
  return config;
}
