/**
 * `npm run restore -- <list|verify|run> --stack <name> --bucket <backup bucket> [--backup latest|<prefix>|<stamp>]
 *   [--dry-run] [--endpoint <url>] [--region <region>] [--json]`
 *
 * list    the stack's complete backups, oldest first (the latest last)
 * verify  download one backup and check every file against its manifest's sha256
 * run     restore every master of the stack from one backup through SSM Run Command (each host fetches and verifies
 *         the backup, every master stops, each gets the copy, they start in slot order), then verify one leader, the
 *         backup's TopologyId and a MaxVolumeId not lower; --dry-run verifies the backup and prints the steps only
 *
 * `--endpoint` points S3 elsewhere (moto in the drills). Runbook: docs/runbooks/restore.md. Exit codes: 0 done,
 * 1 the restore or a check failed, 2 bad usage or config.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, parseConfig, projectKeys } from "../infra/config";
import { regionOfZones } from "../infra/config/keys-backup";
import { chooseBackup, downloadBackup, listBackups, s3Client } from "./lib/restore/backups";
import { restoreCluster, restorePlan } from "./lib/restore/restoreCluster";
import { ssmFleet } from "./lib/restore/ssmFleet";
import { readStackConfig, StackFileError } from "./lib/stackFiles";

interface RestoreArgs {
  command: "list" | "verify" | "run";
  stack: string;
  bucket: string;
  backup: string;
  dryRun: boolean;
  endpoint?: string;
  region?: string;
  json: boolean;
}

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run restore -- <list|verify|run> --stack <name> --bucket <bucket> [--backup latest|<prefix>|<stamp>] [--dry-run] [--endpoint <url>] [--region <region>] [--json]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): RestoreArgs {
  const [command, ...rest] = argv;
  if (command !== "list" && command !== "verify" && command !== "run") usage(`unknown command: ${command ?? "(none)"}`);
  const args: RestoreArgs = { command, stack: "", bucket: "", backup: "latest", dryRun: false, json: false };
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
  if (!args.bucket) usage("--bucket is required (the stack's backupBucket output)");
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = parseConfig(projectKeys(readStackConfig(args.stack).config), { stack: args.stack });
  const region = args.region ?? regionOfZones(config.availabilityZones);
  const store = { client: s3Client({ endpoint: args.endpoint, region }), bucket: args.bucket, cluster: config.clusterName };
  const print = (value: unknown, text: string) => process.stdout.write(args.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);

  const backups = await listBackups(store);
  if (args.command === "list") {
    print(backups, backups.length ? backups.join("\n") : `no backups of ${config.clusterName} in s3://${args.bucket}`);
    return;
  }
  const prefix = chooseBackup(backups, args.backup);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seaweedfs-restore-"));
  try {
    const backup = await downloadBackup(store, prefix, dir);
    const { manifest } = backup;
    const summary = `${prefix}: ${manifest.files.length} files verified; taken ${manifest.createdAt} on master ${manifest.slot}, TopologyId ${manifest.topologyId}, MaxVolumeId ${manifest.maxVolumeId}, SeaweedFS ${manifest.seaweedfsVersion}`;
    const slots = config.topology.slots.map((s) => ({ slot: s.slot, ip: s.ip }));
    const fleet = ssmFleet({ clusterName: config.clusterName, slots, port: config.httpPort, backupPrefix: prefix, region });
    if (args.command === "verify" || args.dryRun) {
      const steps = args.command === "run" ? restorePlan(fleet, manifest) : [];
      print({ backup: prefix, manifest, steps }, [summary, ...steps.map((s, i) => `${i + 1}. ${s}`)].join("\n"));
      return;
    }
    const result = await restoreCluster(fleet, backup, { log: (line) => process.stderr.write(`${line}\n`), timeoutMs: 180_000 });
    print({ backup: prefix, result }, `${summary}\nrestored: master ${result.leaderSlot} leads, TopologyId ${result.topologyId}, MaxVolumeId ${result.maxVolumeId}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  const usageError = error instanceof ConfigError || error instanceof StackFileError;
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(usageError ? 2 : 1);
});
