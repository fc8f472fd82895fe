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

/** Where the masters are and how to reach them. */
export interface SsmHostsOptions {
  clusterName: string;
  /** Slot number -> the master's fixed IP. */
  slots: { slot: number; ip: string }[];
  port: number;
  region?: string;
  /** The AWS CLI. @default "aws" */
  aws?: string;
}

export interface SsmFleetOptions extends SsmHostsOptions {
  /** The backup prefix every host fetches. */
  backupPrefix: string;
}

/** The masters' hosts: the AWS CLI, and a shell command run as root on a slot's instance (resolves to its stdout). */
export interface SsmHosts {
  aws(args: string[]): Promise<string>;
  onHost(slot: number, command: string): Promise<string>;
  /** Runs one phase of the host restore script (infra/aws/host/backupRestore.ts) on a slot's instance. */
  restorePhase(slot: number, phase: string): Promise<void>;
  url(slot: number): string;
}

export function ssmHosts(options: SsmHostsOptions): SsmHosts {
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
  const onHost = async (slot: number, command: string) => {
    const instance = await instanceOf(slot);
    const id = await aws(["ssm", "send-command", "--document-name", "AWS-RunShellScript", "--instance-ids", instance, "--parameters", JSON.stringify({ commands: [command] }), "--query", "Command.CommandId", "--output", "text"]);
    // `wait` fails on a failed command too; the invocation's status and output say why.
    await aws(["ssm", "wait", "command-executed", "--command-id", id, "--instance-id", instance]).catch(() => undefined);
    const output = await aws(["ssm", "get-command-invocation", "--command-id", id, "--instance-id", instance, "--output", "json"]);
    const invocation = JSON.parse(output) as { Status?: string; StandardOutputContent?: string; StandardErrorContent?: string };
    if (invocation.Status !== "Success") throw new Error(`slot ${slot} (${instance}): '${command}' did not succeed: ${invocation.Status} ${invocation.StandardOutputContent ?? ""} ${invocation.StandardErrorContent ?? ""}`);
    return invocation.StandardOutputContent ?? "";
  };
  const ipOf = (slot: number) => options.slots.find((s) => s.slot === slot)!.ip;
  const restorePhase = async (slot: number, phase: string) => {
    await onHost(slot, `${BACKUP_UNITS.restoreScript} ${phase}`);
  };
  return { aws, onHost, restorePhase, url: (slot) => `http://${ipOf(slot)}:${options.port}` };
}

export function ssmFleet(options: SsmFleetOptions): MasterFleet {
  const hosts = ssmHosts(options);
  const phase = hosts.restorePhase;
  return {
    slots: options.slots.map((s) => s.slot),
    url: hosts.url,
    prepare: (slot) => phase(slot, `fetch ${options.backupPrefix}`),
    stop: (slot) => phase(slot, "stop"),
    install: (slot) => phase(slot, "install"),
    start: (slot) => phase(slot, "start"),
  };
}
