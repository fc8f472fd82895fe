/**
 * `npm run restore -- <list|verify|run> --stack <name> [--bucket <backup bucket>] [--backup latest|<prefix>|<stamp>]
 *   [--dry-run] [--endpoint <url>] [--region <region>] [--json]`
 *
 * list    the stack's complete backups, oldest first (the latest last)
 * verify  download one backup and check every file against its manifest's sha256
 * run     restore every master of the stack from one backup, then verify one leader, the backup's TopologyId and a
 *         MaxVolumeId not lower; --dry-run verifies the backup and prints the steps only.
 *         AWS stacks: through SSM Run Command (each host fetches and verifies the backup, every master stops, each
 *         gets the copy, they start in slot order). Kubernetes stacks: through kubectl and the current kubeconfig
 *         (tools/lib/restore/kubectlFleet.ts: the StatefulSet scaled to 0, the verified copy streamed into every
 *         slot's claim, scaled back up, verified through a `kubectl port-forward` to each master).
 *
 * `--bucket` is required on AWS (the stack's backupBucket output); on Kubernetes it, `--endpoint` and `--region`
 * default to k8sBackupBucket, k8sBackupEndpoint and k8sBackupRegion. `--endpoint` points S3 elsewhere (moto in the
 * drills). Runbook: docs/runbooks/restore.md. Exit codes: 0 done, 1 the restore or a check failed, 2 bad usage or
 * config.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, projectKeys } from "../infra/config";
import { parseStackConfig } from "../infra/platforms";
import { regionOfZones } from "../infra/config/keys-backup";
import { chooseBackup, downloadBackup, listBackups, s3Client } from "./lib/restore/backups";
import { kubectlFleet } from "./lib/restore/kubectlFleet";
import { MasterFleet, restoreCluster, restorePlan } from "./lib/restore/restoreCluster";
import { ssmFleet } from "./lib/restore/ssmFleet";
import { readStackConfig, StackFileError } from "./lib/stackFiles";

interface RestoreArgs {
  command: "list" | "verify" | "run";
  stack: string;
  bucket?: string;
  backup: string;
  dryRun: boolean;
  endpoint?: string;
  region?: string;
  json: boolean;
}

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run restore -- <list|verify|run> --stack <name> [--bucket <bucket>] [--backup latest|<prefix>|<stamp>] [--dry-run] [--endpoint <url>] [--region <region>] [--json]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): RestoreArgs {
  const [command, ...rest] = argv;
  if (command !== "list" && command !== "verify" && command !== "run") usage(`unknown command: ${command ?? "(none)"}`);
  const args: RestoreArgs = { command, stack: "", backup: "latest", dryRun: false, json: false };
  for (let i = 0; i < rest.length; i++) {
    const value = () => rest[++i] ?? usage(`${rest[i - 1]} needs a value`);
    switch (rest[i]) {
      case "--stack": args.stack = value(); break;
      case "--bucket": args.bucket = value(); break;
      case "--backup": args.backup = value(); break;
      case "--endpoint": args.endpoint = value(); break;
      case "--region": args.region = value(); break;
      case "--dry-run": args.dryRun = true; break;
      case "--json": args.json = true; break;
      default: usage(`unknown argument: ${rest[i]}`);
    }
  }
  if (!args.stack) usage("--stack is required");
  return args;
}

/** Where a stack's backups are: from the arguments, else (Kubernetes) from the stack's own backup keys. */
function storeOf(args: RestoreArgs, config: ReturnType<typeof parseStackConfig>): { bucket: string; endpoint?: string; region?: string } {
  if (config.platform === "aws") {
    if (!args.bucket) usage("--bucket is required (the stack's backupBucket output)");
    return { bucket: args.bucket, endpoint: args.endpoint, region: args.region ?? regionOfZones(config.availabilityZones) };
  }
  const bucket = args.bucket ?? config.k8sBackupBucket;
  if (!bucket) usage(`${args.stack} has no k8sBackupBucket; name the bucket with --bucket`);
  return { bucket, endpoint: args.endpoint ?? (config.k8sBackupEndpoint || undefined), region: args.region ?? config.k8sBackupRegion };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = parseStackConfig(projectKeys(readStackConfig(args.stack).config), { stack: args.stack });
  const where = storeOf(args, config);
  const store = { client: s3Client({ endpoint: where.endpoint, region: where.region }), bucket: where.bucket, cluster: config.clusterName };
  const print = (value: unknown, text: string) => process.stdout.write(args.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);

  const backups = await listBackups(store);
  if (args.command === "list") {
    print(backups, backups.length ? backups.join("\n") : `no backups of ${config.clusterName} in s3://${where.bucket}`);
    return;
  }
  const prefix = chooseBackup(backups, args.backup);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seaweedfs-restore-"));
  const cleanups: (() => void)[] = [() => fs.rmSync(dir, { recursive: true, force: true })];
  try {
    const backup = await downloadBackup(store, prefix, dir);
    const { manifest } = backup;
    const summary = `${prefix}: ${manifest.files.length} files verified; taken ${manifest.createdAt} on master ${manifest.slot}, TopologyId ${manifest.topologyId}, MaxVolumeId ${manifest.maxVolumeId}, SeaweedFS ${manifest.seaweedfsVersion}`;
    const planOnly = args.command === "verify" || args.dryRun;
    let fleet: MasterFleet;
    if (config.platform === "aws") {
      const slots = config.topology.slots.map((s) => ({ slot: s.slot, ip: s.ip }));
      fleet = ssmFleet({ clusterName: config.clusterName, slots, port: config.httpPort, backupPrefix: prefix, region: where.region });
    } else {
      const kubectl = kubectlFleet({ config });
      cleanups.push(kubectl.close);
      fleet = kubectl;
    }
    if (planOnly) {
      const steps = args.command === "run" ? restorePlan(fleet, manifest) : [];
      print({ backup: prefix, manifest, steps }, [summary, ...steps.map((s, i) => `${i + 1}. ${s}`)].join("\n"));
      return;
    }
    const result = await restoreCluster(fleet, backup, { log: (line) => process.stderr.write(`${line}\n`), timeoutMs: 180_000 });
    print({ backup: prefix, result }, `${summary}\nrestored: master ${result.leaderSlot} leads, TopologyId ${result.topologyId}, MaxVolumeId ${result.maxVolumeId}`);
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup();
  }
}

main().catch((error: unknown) => {
  const usageError = error instanceof ConfigError || error instanceof StackFileError;
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(usageError ? 2 : 1);
});
