/**
 * The deployed masters as a fleet the restore acts on from an operator's machine: each slot's running instance is
 * found by its tags, and the host restore script (infra/aws/host/backupRestore.ts) runs there through SSM Run
 * Command, phase by phase. Uses the operator's AWS CLI and credentials.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { BACKUP_UNITS } from "../../../infra/aws/host/backupNames";
import { TAG_KEYS } from "../../../infra/aws/naming";
import type { MasterFleet } from "./restoreCluster";

const run = promisify(execFile);

export interface SsmFleetOptions {
  clusterName: string;
  /** Slot number -> the master's fixed IP. */
  slots: { slot: number; ip: string }[];
  port: number;
  /** The backup prefix every host fetches. */
  backupPrefix: string;
  region?: string;
  /** The AWS CLI. @default "aws" */
  aws?: string;
}

export function ssmFleet(options: SsmFleetOptions): MasterFleet {
  const aws = async (args: string[]) => {
    const { stdout } = await run(options.aws ?? "aws", [...args, ...(options.region ? ["--region", options.region] : [])], { timeout: 600_000 });
    return stdout.trim();
  };
  const instances = new Map<number, string>();
  const instanceOf = async (slot: number) => {
    if (!instances.has(slot)) {
      const ids = await aws([
        "ec2", "describe-instances",
        "--filters", `Name=tag:${TAG_KEYS.cluster},Values=${options.clusterName}`, `Name=tag:${TAG_KEYS.slot},Values=${slot}`, "Name=instance-state-name,Values=running",
        "--query", "Reservations[].Instances[].InstanceId", "--output", "text",
      ]);
      const found = ids.split(/\s+/).filter(Boolean);
      if (found.length !== 1) throw new Error(`slot ${slot}: expected one running instance tagged ${TAG_KEYS.cluster}=${options.clusterName}, ${TAG_KEYS.slot}=${slot}; found ${found.length}`);
      instances.set(slot, found[0]);
    }
    return instances.get(slot)!;
  };
  const onHost = async (slot: number, phase: string) => {
    const instance = await instanceOf(slot);
    const command = `${BACKUP_UNITS.restoreScript} ${phase}`;
    const id = await aws(["ssm", "send-command", "--document-name", "AWS-RunShellScript", "--instance-ids", instance, "--parameters", JSON.stringify({ commands: [command] }), "--query", "Command.CommandId", "--output", "text"]);
    // `wait` fails on a failed command too; the invocation's status and output say why.
    await aws(["ssm", "wait", "command-executed", "--command-id", id, "--instance-id", instance]).catch(() => undefined);
    const output = await aws(["ssm", "get-command-invocation", "--command-id", id, "--instance-id", instance, "--query", "[Status,StandardOutputContent,StandardErrorContent]", "--output", "text"]);
    if (!output.startsWith("Success")) throw new Error(`slot ${slot} (${instance}): '${command}' did not succeed: ${output}`);
  };
  const ipOf = (slot: number) => options.slots.find((s) => s.slot === slot)!.ip;
  return {
    slots: options.slots.map((s) => s.slot),
    url: (slot) => `http://${ipOf(slot)}:${options.port}`,
    prepare: (slot) => onHost(slot, `fetch ${options.backupPrefix}`),
    stop: (slot) => onHost(slot, "stop"),
    install: (slot) => onHost(slot, "install"),
    start: (slot) => onHost(slot, "start"),
  };
}
