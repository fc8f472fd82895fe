/**
 * The RPO drill (issue #24): on a real local cluster of an AWS stack, the backup timer's run once (as at the start of
 * an interval, longer than the drill) and then the rendered change watcher on every master, fetched from SSM (moto)
 * by its launcher and running the real agent. Volumes grow at random moments, a quiet period follows, one more grow,
 * then at a random moment every master's state is destroyed (masters killed, every -mdir wiped, volume servers
 * stopped with them so nothing re-reports ids) and the newest backup is restored with the operator's restore code.
 * Once the volume servers are back, volumes grown must get ids above every one grown before the loss.
 *
 * RPO, the age of the newest state that survived: the restored cluster holds every change up to some point; the
 * state of the cluster was that state until the first change it misses. RPO = the destruction time minus the time of
 * the first change the restored masters (alone, volume servers down) do not hold, 0 when they miss none. The
 * timer-only figure of the same run applies the same rule to the timer's backup (what the cluster would hold with
 * backupOnChangeSeconds 0). Both pass the same gate ({@link rpoProblems}); the timer-only figure failing it is the
 * drill's negative control. Each change's time to a durable backup (the watcher's upload holding it) is reported too.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CHANGE_RPO_OBJECTIVE_SECONDS } from "../../../infra/seaweed/backup";
import { BACKUP_PARAMETERS } from "../../../infra/aws/host/backupNames";
import { renderBackupWatchScript } from "../../../infra/aws/host/backupWatch";
import { ssmPrefixOf } from "../../../infra/aws/naming";
import { regionOfZones } from "../../../infra/config/keys-backup";
import { LocalCluster } from "../localCluster";
import { ManagedProcess } from "../cluster/processes";
import { BackupStore, chooseBackup, downloadBackup, listBackups, readManifest, s3Client } from "../restore/backups";
import { awsCli, prepareBackupBucket } from "../restore/drillBucket";
import { hostAgentEnv, hostLauncher, runHostAgents } from "../restore/hostAgent";
import { localFleet } from "../restore/localFleet";
import { MOTO_CREDENTIALS, startMoto } from "../restore/moto";
import { restoreCluster } from "../restore/restoreCluster";
import { identityProblems, mastersView } from "./restore";
import { DrillFailure, expect, Scenario } from "./types";
import { backInService, grow, rpoOf, type VolumeChange } from "./volumeChanges";

/** The drill's schedule (ms): random grows early, a quiet period, a last grow, the destruction at a random moment. */
export const RPO_SCHEDULE = {
  /** Grows after the first one, each at a random moment within `growWindowMs` of it. */
  extraGrows: 2,
  growWindowMs: 15_000,
  /**
   * The last grow comes no earlier than this after the first, and the destruction 3-20 s after it (before or after the
   * watcher's next check and upload, at random): at least 61 s after the first grow, so the timer's backup (which
   * misses it) is beyond the 60 s objective, the negative control.
   */
  lastGrowAfterMs: 58_000,
  destructionAfterLastGrowMs: { min: 3_000, max: 20_000 },
} as const;

/** One change to what a backup protects: a grown volume, when the grow answered and the MaxVolumeId after it. */
export interface Change extends VolumeChange {
  /** When the first watcher upload holding it was in S3 (undefined: none before the destruction). */
  backedUpAt?: number;
}

/** One watcher upload in S3: when its agent reported it (or the destruction, if it had not yet), its manifest's slot and MaxVolumeId. */
export interface Upload {
  at: number;
  slot: number;
  prefix: string;
  maxVolumeId: number;
}

export interface RpoFigures {
  /** The objective (infra/seaweed/backup.ts) the event-driven figure is held to. */
  objectiveSeconds: number;
  /** backupOnChangeSeconds of the stack. */
  checkSeconds: number;
  /** The age of the newest surviving state with the change watcher (restored and read from the masters alone). */
  eventDrivenRpoSeconds: number;
  /** The same with the timer only: what the timer's backup at the start held. */
  timerOnlyRpoSeconds: number;
  /** The longest time from a change to a watcher upload holding it (changes still unsaved at the destruction count until then). */
  worstChangeToBackupSeconds: number;
  changes: Change[];
  uploads: Upload[];
  /** Uploads during the quiet period (from the upload holding the early grows until the last grow): must be 0. */
  quietUploads: number;
  quietSeconds: number;
  /**
   * MaxVolumeId: at the timer's backup, in the restored backup's manifest, from the restored masters alone, and the
   * volumes grown once the volume servers were back (each above the last change before the destruction).
   */
  maxVolumeId: { timerBackup: number; restoredManifest: number; restoredMasters: number; grownAfterRestore: number[] };
  restoredPrefix: string;
  /** How old the restored backup was at the destruction (from its manifest's createdAt, whole seconds). */
  restoredBackupAgeSeconds: number;
  /** Complete backups in the bucket at the restore: the timer's and every watcher upload. */
  backupsInBucket: number;
  /** Watcher uploads in S3 whose agent had not yet reported them when it was killed (dated at the destruction). */
  uploadsUnreportedAtDestruction: number;
}

/** Seconds from `from` to `to`, one decimal. */
const seconds = (from: number, to: number) => Math.round((to - from) / 100) / 10;

/** The RPO of a state holding MaxVolumeId `held`, destroyed at `destroyedAt` (see the file comment), in seconds. */
export const rpoSecondsOf = (changes: readonly Change[], held: number, destroyedAt: number) => seconds(0, rpoOf(changes, held, destroyedAt));

/** Why a figure misses the objective (empty when it meets it): the gate both figures face. */
export function rpoProblems(label: string, rpoSeconds: number, objectiveSeconds: number): string[] {
  return rpoSeconds <= objectiveSeconds ? [] : [`${label} RPO ${rpoSeconds} s exceeds the ${objectiveSeconds} s objective`];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);

/**
 * The agent as the watcher runs it, wrapped to note when each upload finished (the prefix the agent prints) in
 * `record`, one `<ms> <prefix>` line per upload.
 */
function timestampingAgent(dir: string, launcher: string, record: string): string {
  const file = path.join(dir, "agent-with-timestamps");
  fs.writeFileSync(file, `#!/usr/bin/env bash\nset -o pipefail\nout=$(bash '${launcher}' "$@") || exit $?\n[ -z "$out" ] || printf '%s %s\\n' "$(date +%s%3N)" "$out" >> '${record}'\nprintf '%s\\n' "$out"\n`, { mode: 0o700 });
  return file;
}

/** Runs the drill on a running cluster of an AWS stack; throws a DrillFailure when a promise is broken. */
export async function measureRpo(cluster: LocalCluster, step: (line: string) => void): Promise<RpoFigures> {
  const config = cluster.config;
  expect(config.platform === "aws", "the rpo drill runs the AWS change watcher; use an AWS stack");
  const checkSeconds = config.backupOnChangeSeconds;
  expect(checkSeconds > 0, "backupOnChangeSeconds is 0 on this stack: no change watcher to drill");
  const region = regionOfZones(config.availabilityZones) ?? "us-east-1";
  await cluster.waitForQuorum();
  step("starting moto (S3, SSM, CloudWatch) on 127.0.0.1");
  const moto = await startMoto(region);
  const watchers: ManagedProcess[] = [];
  try {
    const s3 = s3Client({ endpoint: moto.endpoint, region, credentials: MOTO_CREDENTIALS });
    const { bucket } = await prepareBackupBucket(moto, s3, config);
    const store: BackupStore = { client: s3, bucket, cluster: config.clusterName };
    await awsCli(moto, ["ssm", "put-parameter", "--name", `${ssmPrefixOf(config.clusterName)}/${BACKUP_PARAMETERS.watchScript}`, "--type", "String", "--tier", "Advanced", "--value", renderBackupWatchScript(checkSeconds)]);
    // Each host's StateDirectory, shared by its timer's agent and its watcher.
    const stateDir = (slot: number) => {
      const dir = path.join(cluster.runDir, `backup-state-${slot}`);
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    };

    const before = await cluster.dirStatus();
    step(`the timer's backup (MaxVolumeId ${before.maxVolumeId}): the agent on every master, as seaweedfs-backup.timer runs it`);
    const timer = await runHostAgents(cluster, moto, region, (slot) => ({ STATE_DIRECTORY: stateDir(slot) }));
    expect(timer.uploads.length === 1 && timer.uploads[0].slot === before.leader, `only the leader (master-${before.leader}) should upload; uploads ${JSON.stringify(timer.uploads)}`);
    const timerBackup = await readManifest(store, timer.uploads[0].prefix);

    const record = path.join(cluster.runDir, "watcher-uploads.txt");
    fs.writeFileSync(record, "");
    const agent = timestampingAgent(cluster.runDir, hostLauncher(cluster, BACKUP_PARAMETERS.agentScript, "seaweedfs-backup", region), record);
    const watchLauncher = hostLauncher(cluster, BACKUP_PARAMETERS.watchScript, "seaweedfs-backup-watch", region);
    step(`starting the change watcher on every master (check every ${checkSeconds} s), fetched from SSM by its launcher`);
    for (const m of cluster.masters) {
      const watcher = new ManagedProcess({
        name: `backup-watch-${m.slot}`,
        binary: "bash",
        args: [watchLauncher],
        cwd: cluster.runDir,
        env: { ...hostAgentEnv(cluster, moto, m.slot), STATE_DIRECTORY: stateDir(m.slot), SEAWEEDFS_BACKUP_AGENT: agent },
        logFile: path.join(cluster.runDir, `backup-watch-${m.slot}.log`),
      });
      watcher.start();
      watchers.push(watcher);
    }
    const uploadsSoFar = () =>
      fs.readFileSync(record, "utf8").trim().split("\n").filter(Boolean).map((line) => {
        const [at, prefix] = line.split(" ");
        return { at: Number(at), prefix };
      });

    const changes: Change[] = [];
    const growOne = async () => step(`grew a volume: MaxVolumeId ${await grow(cluster, changes)}`);
    await growOne();
    const first = changes[0].at;
    for (const at of Array.from({ length: RPO_SCHEDULE.extraGrows }, () => first + between(0, RPO_SCHEDULE.growWindowMs)).sort((a, b) => a - b)) {
      await sleep(Math.max(0, at - Date.now()));
      await growOne();
    }
    const early = changes[changes.length - 1];
    const deadline = early.at + CHANGE_RPO_OBJECTIVE_SECONDS * 1000;
    let covering: { at: number; prefix: string } | undefined;
    while (!covering && Date.now() < deadline) {
      await sleep(500);
      for (const u of uploadsSoFar()) if (!covering && (await readManifest(store, u.prefix)).maxVolumeId >= early.maxVolumeId) covering = u;
    }
    if (!covering) throw new DrillFailure(`no backup held MaxVolumeId ${early.maxVolumeId} within ${CHANGE_RPO_OBJECTIVE_SECONDS} s of the grow`, { extra: { uploads: uploadsSoFar().length } });
    step(`a watcher upload holds MaxVolumeId ${early.maxVolumeId} ${seconds(early.at, covering.at)} s after the grow; quiet period`);

    const quietFrom = covering.at;
    const lastGrowAt = Math.max(first + RPO_SCHEDULE.lastGrowAfterMs, quietFrom + (checkSeconds + 3) * 1000);
    await sleep(Math.max(0, lastGrowAt - Date.now()));
    const quietUploads = uploadsSoFar().filter((u) => u.at > quietFrom).length;
    const quietSeconds = seconds(quietFrom, Date.now());
    await growOne();
    const { min, max } = RPO_SCHEDULE.destructionAfterLastGrowMs;
    await sleep(between(min, max));

    step("the disaster: every host's backup agents killed, every master killed and its -mdir wiped, the volume servers stopped with them");
    // The agents die first (SIGKILL, with their uploads), so nothing reaches S3 after this moment.
    const destroyedAt = Date.now();
    await Promise.all(watchers.map((w) => w.kill()));
    await Promise.all([...cluster.masters.map((m) => cluster.kill(m.slot, "SIGKILL")), ...cluster.volumeServers.map((v) => v.stop(1000))]);
    for (const m of cluster.masters) fs.rmSync(m.mdir, { recursive: true, force: true });

    // Every backup the watchers left in S3. The agent prints its prefix only after the metric call that follows the
    // manifest's upload, so one upload can be durable but unprinted at the destruction: it survived, dated then.
    const backups = await listBackups(store);
    const printed = uploadsSoFar();
    const uploads: Upload[] = [];
    for (const prefix of backups.filter((b) => b !== timer.uploads[0].prefix)) {
      const manifest = await readManifest(store, prefix);
      uploads.push({ at: Math.min(destroyedAt, printed.find((u) => u.prefix === prefix)?.at ?? destroyedAt), prefix, slot: manifest.slot, maxVolumeId: manifest.maxVolumeId });
    }
    const unprinted = uploads.filter((u) => !printed.some((p) => p.prefix === u.prefix)).length;
    for (const c of changes) c.backedUpAt = uploads.find((u) => u.maxVolumeId >= c.maxVolumeId)?.at;

    const chosen = chooseBackup(backups, "latest");
    step(`restoring the newest backup, ${chosen}, into every master`);
    const backup = await downloadBackup(store, chosen, path.join(cluster.runDir, "restore"));
    cluster.maxVolumeIds.rebase(backup.manifest.maxVolumeId, "restored from a backup older than the last volume growth (the RPO the rpo drill measures)");
    await restoreCluster(localFleet(cluster), backup, { log: step });
    const restored = await mastersView(cluster);
    const identity = identityProblems(restored, { topologyId: before.topologyId, maxVolumeId: backup.manifest.maxVolumeId }, "the restored backup");
    expect(identity.length === 0, `the restored masters are not the backed-up cluster: ${identity.join("; ")}`);
    // What a lost change must not cost, following the runbook (step 5): once the volume servers reported the volumes
    // the restored state lacks, no volume id is issued again.
    const lastChange = changes[changes.length - 1].maxVolumeId;
    step(`restored masters alone: MaxVolumeId ${restored.maxVolumeId}; volume servers back, MaxVolumeId ${lastChange} reported, two volumes grown above it`);
    const { grown } = await backInService(cluster, lastChange, [], lastChange);

    const figures: RpoFigures = {
      objectiveSeconds: CHANGE_RPO_OBJECTIVE_SECONDS,
      checkSeconds,
      eventDrivenRpoSeconds: rpoSecondsOf(changes, restored.maxVolumeId, destroyedAt),
      timerOnlyRpoSeconds: rpoSecondsOf(changes, timerBackup.maxVolumeId, destroyedAt),
      worstChangeToBackupSeconds: Math.max(...changes.map((c) => seconds(c.at, c.backedUpAt ?? destroyedAt))),
      changes,
      uploads,
      quietUploads,
      quietSeconds,
      maxVolumeId: { timerBackup: timerBackup.maxVolumeId, restoredManifest: backup.manifest.maxVolumeId, restoredMasters: restored.maxVolumeId, grownAfterRestore: grown },
      restoredPrefix: chosen,
      restoredBackupAgeSeconds: seconds(Date.parse(backup.manifest.createdAt), destroyedAt),
      backupsInBucket: backups.length,
      uploadsUnreportedAtDestruction: unprinted,
    };
    step(`RPO ${figures.eventDrivenRpoSeconds} s with the change watcher, ${figures.timerOnlyRpoSeconds} s with the timer only; worst change-to-backup ${figures.worstChangeToBackupSeconds} s; ${uploads.length} watcher uploads, ${quietUploads} in ${quietSeconds} s of quiet`);
    const measured = { extra: extraOf(figures), notes: notesOf(figures) };
    const problems = [
      ...rpoProblems("event-driven", figures.eventDrivenRpoSeconds, CHANGE_RPO_OBJECTIVE_SECONDS),
      ...rpoProblems("worst change-to-backup", figures.worstChangeToBackupSeconds, CHANGE_RPO_OBJECTIVE_SECONDS),
      ...(quietUploads > 0 ? [`${quietUploads} uploads in ${quietSeconds} s while nothing changed`] : []),
      ...(uploads.some((u) => u.slot !== before.leader) ? [`a follower's watcher uploaded: ${JSON.stringify(uploads)}`] : []),
    ];
    // The negative control: the gate is not vacuous when the timer's backup is all there is.
    if (rpoProblems("timer-only", figures.timerOnlyRpoSeconds, CHANGE_RPO_OBJECTIVE_SECONDS).length === 0) problems.push(`the timer-only figure (${figures.timerOnlyRpoSeconds} s) passes the gate too: the drill cannot tell the watcher from none`);
    if (problems.length > 0) throw new DrillFailure(problems.join("; "), measured);
    return figures;
  } finally {
    await Promise.all(watchers.map((w) => w.stop(2000)));
    await moto.stop();
  }
}

function extraOf(f: RpoFigures): Record<string, number> {
  return {
    rpoEventDrivenSeconds: f.eventDrivenRpoSeconds,
    rpoTimerOnlySeconds: f.timerOnlyRpoSeconds,
    rpoObjectiveSeconds: f.objectiveSeconds,
    worstChangeToBackupSeconds: f.worstChangeToBackupSeconds,
    restoredBackupAgeSeconds: f.restoredBackupAgeSeconds,
    backupOnChangeSeconds: f.checkSeconds,
    changes: f.changes.length,
    watcherUploads: f.uploads.length,
    quietUploads: f.quietUploads,
    quietSeconds: f.quietSeconds,
  };
}

function notesOf(f: RpoFigures): string[] {
  return [
    `RPO (age of the newest surviving state): ${f.eventDrivenRpoSeconds} s with uploads on change (objective ${f.objectiveSeconds} s), ${f.timerOnlyRpoSeconds} s with the timer only, same run`,
    `changes to a durable backup: ${f.changes.map((c) => (c.backedUpAt ? `${seconds(c.at, c.backedUpAt)} s` : "none before the destruction")).join(", ")}; ${f.uploads.length} watcher uploads, ${f.quietUploads} during ${f.quietSeconds} s without a change`,
    `restored ${f.restoredPrefix} (${f.restoredBackupAgeSeconds} s old at the destruction); MaxVolumeId: timer's backup ${f.maxVolumeId.timerBackup}, restored backup ${f.maxVolumeId.restoredManifest}, restored masters ${f.maxVolumeId.restoredMasters}, last grow ${f.changes[f.changes.length - 1].maxVolumeId}; grown after the restore ${f.maxVolumeId.grownAfterRestore.join(", ")}`,
  ];
}

/** The drill on its own, on a fresh cluster of `stack` (used by tests/drills/rpo.test.ts). */
export async function runRpoDrill(options: { stack: string; log?: (line: string) => void }): Promise<RpoFigures> {
  const cluster = await LocalCluster.start({ stack: options.stack, log: options.log });
  try {
    return await measureRpo(cluster, options.log ?? (() => {}));
  } finally {
    await cluster.stop();
  }
}

/** The `rpo` scenario of `npm run drill` (AWS stacks; opt-in with the day2 suite: it runs for about two minutes). */
export const rpo: Scenario = {
  id: "rpo",
  title: "backups on change: grow volumes, destroy every master's state at a random moment, restore the newest backup; RPO with the change watcher within 60 s, beside the timer-only figure",
  platforms: ["aws"],
  suite: "day2",
  async run({ cluster, step }) {
    const figures = await measureRpo(cluster, step);
    return { extra: extraOf(figures), notes: notesOf(figures) };
  },
};
