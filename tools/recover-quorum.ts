/**
 * `npm run recover-quorum -- <hold|plan|run|release> --stack <name> --lost <slots> [--bucket <backup bucket>]
 *   [--endpoint <url>] [--region <region>] [--json]`
 *
 * When a majority of the masters lost their disks for good, forms the tier again from the surviving masters' own
 * raft state instead of a backup (runbook: docs/runbooks/lost-quorum.md §4; the mechanism and its evidence:
 * infra/seaweed/quorumRecovery.ts):
 *
 * hold  before the lost slots get new data volumes: sets each one's recovery hold (an SSM parameter), so its boot
 *       does not start a master on the empty volume (with no leader anywhere it would mint a second cluster, or be
 *       pulled into one, as the drill's negative control shows).
 * plan  observes every master, checks the declared lost slots (`--lost 0,1,2`: their disks are gone for good) and the
 *       newest backup, and prints what `run` would do, or why it must not run (exit 1).
 * run   the same checks, then: stop the lost slots' masters, export the newest survivor's raft state as a backup,
 *       seed just enough lost slots to make a majority with the survivors, wait for a leader with the cluster's
 *       TopologyId and a MaxVolumeId not lower, start the other lost slots empty (the leader admits them) and wait
 *       until every master follows it; then the holds are released.
 * release  removes the lost slots' holds (after recovering by hand, or to give up the recovery).
 *
 * AWS stacks only: every step runs on the slots' instances through SSM Run Command with the operator's AWS CLI and
 * credentials, and the masters are observed over HTTP at their fixed IPs (as `npm run restore` does). `--bucket`
 * (plan and run) is the stack's backupBucket output: the newest backup there names the TopologyId to keep when no survivor reports one,
 * and a survivor whose log ends before it is refused. Exit codes: 0 done, 1 refused or failed, 2 bad usage or config.
 */
import { ConfigError, projectKeys } from "../infra/config";
import { parseStackConfig } from "../infra/platforms";
import { regionOfZones } from "../infra/config/keys-backup";
import { QuorumRecoveryRefusal } from "../infra/seaweed/quorumRecovery";
import { s3Client } from "./lib/restore/backups";
import { newestBackupReference, planFor, recoverQuorum } from "./lib/quorum/recoverQuorum";
import { ssmQuorumFleet } from "./lib/quorum/ssmQuorumFleet";
import { ssmHosts } from "./lib/restore/ssmFleet";
import { recoveryHoldParameterOf } from "../infra/aws/naming";
import { readStackConfig, StackFileError } from "./lib/stackFiles";

const COMMANDS = ["hold", "plan", "run", "release"] as const;

interface Args {
  command: (typeof COMMANDS)[number];
  stack: string;
  lost: number[];
  bucket?: string;
  endpoint?: string;
  region?: string;
  json: boolean;
}

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run recover-quorum -- <hold|plan|run|release> --stack <name> --lost <slot,slot,...> [--bucket <backup bucket>] [--endpoint <url>] [--region <region>] [--json]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (!(COMMANDS as readonly string[]).includes(command)) usage(`unknown command: ${command ?? "(none)"}`);
  const args: Args = { command: command as Args["command"], stack: "", lost: [], json: false };
  for (let i = 0; i < rest.length; i++) {
    const value = () => rest[++i] ?? usage(`${rest[i - 1]} needs a value`);
    switch (rest[i]) {
      case "--stack": args.stack = value(); break;
      case "--lost": {
        const raw = value();
        args.lost = raw.split(",").map((s) => (/^\d+$/.test(s.trim()) ? Number(s) : usage(`--lost ${raw}: give slot numbers, e.g. 0,1,2`)));
        break;
      }
      case "--bucket": args.bucket = value(); break;
      case "--endpoint": args.endpoint = value(); break;
      case "--region": args.region = value(); break;
      case "--json": args.json = true; break;
      default: usage(`unknown argument: ${rest[i]}`);
    }
  }
  if (!args.stack) usage("--stack is required");
  if (args.lost.length === 0) usage("--lost is required: the slots whose disks are lost for good");
  if (!args.bucket && (args.command === "plan" || args.command === "run")) usage("--bucket is required (the stack's backupBucket output)");
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = parseStackConfig(projectKeys(readStackConfig(args.stack).config), { stack: args.stack });
  if (config.platform !== "aws") usage(`${args.stack} is a ${config.platform} stack: recover-quorum runs on AWS stacks (docs/runbooks/lost-quorum.md §4 gives the steps by hand)`);
  const region = args.region ?? regionOfZones(config.availabilityZones);
  const unknown = args.lost.filter((s) => !config.topology.slots.some((p) => p.slot === s));
  if (unknown.length > 0) usage(`--lost: ${args.stack} has no slot ${unknown.join(", ")}`);
  const hostsOptions = { clusterName: config.clusterName, slots: config.topology.slots.map((s) => ({ slot: s.slot, ip: s.ip })), port: config.httpPort, region };
  const print = (value: unknown, text: string) => process.stdout.write(args.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
  const { aws } = ssmHosts(hostsOptions);
  const holds = args.lost.map((s) => recoveryHoldParameterOf(config.clusterName, s));
  const release = async () => {
    for (const name of holds) await aws(["ssm", "delete-parameter", "--name", name]).catch((error: Error) => (/ParameterNotFound/.test(error.message) ? "" : Promise.reject(error)));
  };
  if (args.command === "hold") {
    const reason = `held for a quorum recovery by npm run recover-quorum at ${new Date().toISOString()}`;
    for (const name of holds) await aws(["ssm", "put-parameter", "--name", name, "--type", "String", "--overwrite", "--value", reason]);
    print({ held: holds }, `held: ${holds.join(", ")}\nnow give the lost slots new data volumes; their masters will not start until the recovery`);
    return;
  }
  if (args.command === "release") {
    await release();
    print({ released: holds }, `released: ${holds.join(", ")}`);
    return;
  }
  const store = { client: s3Client({ endpoint: args.endpoint, region }), bucket: args.bucket!, cluster: config.clusterName };
  const fleet = ssmQuorumFleet(hostsOptions);
  const newestBackup = await newestBackupReference(store);
  const plan = await planFor(fleet, args.lost, newestBackup);
  if (args.command === "plan") {
    print({ plan, newestBackup }, plan.steps.map((s, i) => `${i + 1}. ${s}`).join("\n"));
    return;
  }
  const result = await recoverQuorum(fleet, plan, { log: (line) => process.stderr.write(`${line}\n`), timeoutMs: 180_000 });
  await release();
  print(result, `recovered from survivor ${plan.source}: master ${result.leaderSlot} leads, TopologyId ${result.topologyId}, MaxVolumeId ${result.maxVolumeId}; every master follows it`);
}

main().catch((error: unknown) => {
  const usageError = error instanceof ConfigError || error instanceof StackFileError;
  const refused = error instanceof QuorumRecoveryRefusal ? "refused: " : "";
  process.stderr.write(`${refused}${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(usageError ? 2 : 1);
});
