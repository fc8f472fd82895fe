/**
 * The change watcher a master host runs beside the backup timer: every `backupOnChangeSeconds` it asks its own master
 * (curl, no AWS call) what the backup protects, and runs the backup agent only when this master leads and that
 * differs from what the agent recorded after its last upload (infra/seaweed/backup.ts, BACKUP_CHANGE_CHECK). It
 * bounds the RPO of a full metadata loss at a minute; the timer stays as the safety net (a lost recording, a
 * watcher that died).
 */
import { BACKUP_CHANGE_CHECK } from "../../seaweed/backup";
import { BACKUP_UNITS } from "./backupNames";

/**
 * How long one watcher process runs before it exits for systemd to restart it through its launcher, which fetches the
 * current script from SSM: a changed backupOnChangeSeconds (or script) applies within this, at one SSM read an hour.
 */
export const WATCH_REFRESH_SECONDS = 3600;

/**
 * The watcher script (bash; curl and python3), kept in SSM and started by its launcher. `SEAWEEDFS_BACKUP_AGENT` names
 * the agent to run (the drill points it at its own launcher); systemd sets `STATE_DIRECTORY`.
 * @param checkSeconds backupOnChangeSeconds (positive: at 0 the boot step installs no watcher)
 */
export function renderBackupWatchScript(checkSeconds: number): string {
  if (!(checkSeconds > 0)) throw new Error(`the backup watcher needs a positive check period, not ${checkSeconds}`);
  return `#!/usr/bin/env bash
# SeaweedFS master backup on change, rendered by infra/aws/host/backupWatch.ts. Do not edit on the host.
# Every ${checkSeconds} s: while this master leads and what the backup protects changed since the last upload, run
# the agent. A failed run is logged and retried at the next check (the agent publishes no metric, so the backup-age
# alarm still fires when every run fails). After an hour it exits, for systemd to start the current version.
set -uo pipefail
umask 077
readonly MASTER_URL="\${SEAWEEDFS_MASTER_URL:?SEAWEEDFS_MASTER_URL is not set}"
readonly BACKUP_STATE_DIR="\${STATE_DIRECTORY:?STATE_DIRECTORY is not set (the StateDirectory of the unit)}"
readonly AGENT="\${SEAWEEDFS_BACKUP_AGENT:-${BACKUP_UNITS.script}}"

${BACKUP_CHANGE_CHECK.functions}
for ((check = 0; check < ${Math.ceil(WATCH_REFRESH_SECONDS / checkSeconds)}; check++)); do
  sleep ${checkSeconds}
  if ! backup_if_changed "$AGENT"; then
    log "the backup failed (see above); next try in ${checkSeconds} s"
  fi
done
# systemd restarts the watcher through its launcher, with the current script from SSM.
`;
}
