/**
 * The rollout engine's AWS back end. Each master slot is an Auto Scaling group of exactly one instance (min = max =
 * desired = 1, named after the slot; infra/aws/masterSlot.ts) whose launch template `pulumi up` may have changed.
 * A slot is replaced by TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity=false: the group
 * launches a replacement from the current template, which re-attaches the slot's network interface (its raft
 * identity) and data volume at boot. The back end waits until a new instance is InService and Healthy; the engine's
 * gates then decide whether its master rejoined. The slot's addresses come from the stack config, so nothing but
 * the Auto Scaling API and the masters' HTTP ports is needed.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  Instance,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import type { SeaweedConfig } from "../../../infra/platforms";
import { sleep } from "../cluster/http";
import type { RolloutBackend } from "./engine";
import { GateMaster, GateTier, writeThrough } from "./gates";

/** A slot as the AWS back end and the gates see it. */
export interface AwsSlot extends GateMaster {
  az: string;
  /** The slot's Auto Scaling group (its physical name is the slot's name). */
  group: string;
}

/** The slots of an AWS stack: group names, fixed private IPs and the masters' HTTP port, from the validated config. */
export function awsSlotsOf(config: SeaweedConfig): AwsSlot[] {
  return config.topology.slots.map((s) => ({
    slot: s.slot,
    az: s.az,
    group: s.name,
    address: `${s.ip}:${config.httpPort}`,
    url: `http://${s.ip}:${config.httpPort}`,
  }));
}

/** The gate tier of a deployed stack: the masters' fixed private addresses, writes through `lb` or the masters in turn. */
export function awsGateTier(slots: readonly AwsSlot[], lb?: string): GateTier {
  let next = 0;
  return { masters: slots, write: () => writeThrough(lb ?? slots[next++ % slots.length].url) };
}

export interface AwsBackendOptions {
  client: AutoScalingClient;
  slots: readonly AwsSlot[];
  /** How long a replacement may take to be InService and Healthy (boot, attach, user data). @default 15 min */
  inServiceTimeoutMs?: number;
  /** @default 5000 */
  pollMs?: number;
  /** Leadership transfer (e.g. {@link transferLeadershipWithShell} with a local weed); absent: the leader is replaced without one. */
  transferLeadership?: RolloutBackend["transferLeadership"];
}

const isUp = (i: Instance) => i.LifecycleState === "InService" && i.HealthStatus === "Healthy";

async function instancesOf(client: AutoScalingClient, group: string): Promise<Instance[]> {
  const answer = await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
  const found = answer.AutoScalingGroups?.[0];
  if (!found) throw new Error(`Auto Scaling group ${group} does not exist (is the stack deployed, and is AWS_REGION right?)`);
  return found.Instances ?? [];
}

export function awsBackend(options: AwsBackendOptions): RolloutBackend {
  const timeoutMs = options.inServiceTimeoutMs ?? 15 * 60_000;
  const pollMs = options.pollMs ?? 5000;
  return {
    name: "aws",
    transferLeadership: options.transferLeadership,
    async replace(master, log) {
      const slot = options.slots.find((s) => s.slot === master.slot);
      if (!slot) throw new Error(`no Auto Scaling group known for slot ${master.slot}`);
      const before = await instancesOf(options.client, slot.group);
      const up = before.filter(isUp);
      if (before.length !== 1 || up.length !== 1) {
        throw new Error(`group ${slot.group} has ${before.length} instance(s), ${up.length} InService and Healthy; expected exactly one: not touching it`);
      }
      const old = up[0].InstanceId!;
      log(`terminating ${old} in group ${slot.group} (desired capacity kept)`);
      await options.client.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: old, ShouldDecrementDesiredCapacity: false }));
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const fresh = (await instancesOf(options.client, slot.group)).filter((i) => i.InstanceId !== old && isUp(i));
        if (fresh.length > 0) {
          log(`replacement ${fresh[0].InstanceId} is InService`);
          return { group: slot.group, oldInstanceId: old, newInstanceId: fresh[0].InstanceId! };
        }
        if (Date.now() >= deadline) throw new Error(`no replacement of ${old} InService and Healthy in group ${slot.group} within ${Math.round(timeoutMs / 1000)} s`);
        await sleep(pollMs);
      }
    },
  };
}
