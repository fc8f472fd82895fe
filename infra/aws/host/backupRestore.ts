/**
 * The restore script on a master host, in phases the operator's tool (tools/restore.ts, over SSM) or a person on
 * the host runs in order on every master: `fetch` (download and verify a backup), `stop`, `install` (replace the
 * raft directory, keeping the old one aside), `start`. Every master must be stopped before any is started again, and
 * every master gets the same backup: an empty master started while there is no leader can bootstrap a new cluster.
 * A quorum recovery (npm run recover-quorum) also runs `set-aside` on a slot that rejoins empty: its raft directory
 * is moved aside and none is left, so the running leader admits it.
 */
import { BACKUP_LAYOUT, raftDirectory, shellQuote } from "../../seaweed/backup";
import { BACKUP_PARAMETERS, BACKUP_UNITS } from "./backupNames";
import { HOST_PATHS } from "./paths";

export interface HostRestoreOptions {
  clusterName: string;
  port: number;
  /** @default HOST_PATHS.mdir */
  mdir?: string;
  ssmPrefix: string;
  region: string;
  /** Where a fetched backup is staged. @default BACKUP_UNITS.stagingDir */
  stagingDir?: string;
}

export function renderHostRestoreScript(options: HostRestoreOptions): string {
  const raftDir = raftDirectory(options.mdir ?? HOST_PATHS.mdir, options.port);
  return `#!/usr/bin/env bash
# SeaweedFS master restore, rendered by infra/aws/host/backupRestore.ts. Runbook: docs/runbooks/restore.md.
# usage: seaweedfs-restore list | fetch <latest|prefix|stamp> | stop | install | set-aside | start
set -euo pipefail
umask 077

readonly CLUSTER=${shellQuote(options.clusterName)}
readonly RAFT_DIR=${shellQuote(raftDir)}
readonly STAGING=${shellQuote(options.stagingDir ?? BACKUP_UNITS.stagingDir)}
readonly SSM_PREFIX=${shellQuote(options.ssmPrefix)}
readonly MASTER_UNIT=${shellQuote(HOST_PATHS.unitName)}
readonly BACKUP_TIMER=${shellQuote(BACKUP_UNITS.timer)}
OWNER="\${SEAWEEDFS_RESTORE_OWNER:-${HOST_PATHS.user}}"
export AWS_DEFAULT_REGION="\${AWS_DEFAULT_REGION:-${options.region}}"
AWS="\${SEAWEEDFS_RESTORE_AWS:-aws}"
SYSTEMCTL="\${SEAWEEDFS_RESTORE_SYSTEMCTL:-systemctl}"

die() { printf 'seaweedfs-restore: %s\\n' "$*" >&2; exit 1; }
bucket() { "$AWS" ssm get-parameter --name "$SSM_PREFIX/${BACKUP_PARAMETERS.bucket}" --query Parameter.Value --output text; }

# Complete backups (those with a manifest), oldest first: <cluster>/<date>/<stamp>.
list() {
  "$AWS" s3 ls --recursive "s3://$(bucket)/$CLUSTER/" | awk '{print $4}' | sed -n 's#/${BACKUP_LAYOUT.manifest}$##p' | LC_ALL=C sort -t/ -k3
}

fetch() {
  local wanted=\${1:?fetch needs latest, a backup prefix or its stamp} prefix
  if [ "$wanted" = latest ]; then prefix=$(list | tail -n 1); else prefix=$(list | grep -E "(^|/)\${wanted%/}$" | tail -n 1 || true); fi
  [ -n "$prefix" ] || die "no backup $wanted of $CLUSTER"
  rm -rf "$STAGING"
  mkdir -p "$STAGING"
  "$AWS" s3 cp --recursive --only-show-errors "s3://$(bucket)/$prefix/" "$STAGING/download/"
  EXPECTED_CLUSTER="$CLUSTER" python3 - "$STAGING/download" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
manifest = json.load(open(os.path.join(root, "${BACKUP_LAYOUT.manifest}")))
if manifest["cluster"] != os.environ["EXPECTED_CLUSTER"]:
    sys.exit(f"seaweedfs-restore: the backup belongs to cluster {manifest['cluster']}")
for f in manifest["files"]:
    if f["path"].startswith("/") or ".." in f["path"].split("/"):
        sys.exit(f"seaweedfs-restore: bad path {f['path']} in the manifest")
    digest = hashlib.sha256(open(os.path.join(root, "${BACKUP_LAYOUT.raftFolder}", f["path"]), "rb").read()).hexdigest()
    if digest != f["sha256"]:
        sys.exit(f"seaweedfs-restore: {f['path']} has sha256 {digest}, the manifest says {f['sha256']}; refusing it")
print(f"verified {len(manifest['files'])} files; TopologyId {manifest['topologyId']}, MaxVolumeId {manifest['maxVolumeId']}")
PY
  mv "$STAGING/download" "$STAGING/ready"
  printf '%s\\n' "$prefix" > "$STAGING/ready/prefix"
}

# Moves the raft directory aside under a name of its own (never over an earlier one: mv -T refuses to nest it).
move_aside() {
  local aside
  aside="$RAFT_DIR.before-restore-$(date -u +%Y%m%dT%H%M%S.%NZ)"
  mv -T "$RAFT_DIR" "$aside"
  printf 'moved %s aside to %s\n' "$RAFT_DIR" "$aside"
}

install_backup() {
  [ -d "$STAGING/ready/${BACKUP_LAYOUT.raftFolder}" ] || die "nothing fetched: run 'fetch' first"
  if "$SYSTEMCTL" is-active --quiet "$MASTER_UNIT"; then die "$MASTER_UNIT is running: run 'stop' on every master first"; fi
  if [ -e "$RAFT_DIR" ]; then move_aside; fi
  mkdir -p "$(dirname "$RAFT_DIR")"
  cp -R "$STAGING/ready/${BACKUP_LAYOUT.raftFolder}" "$RAFT_DIR"
  chown -R "$OWNER:$OWNER" "$RAFT_DIR"
  printf 'installed %s into %s\\n' "$(cat "$STAGING/ready/prefix")" "$RAFT_DIR"
}

# A master to be admitted by a running leader (a quorum recovery's rejoining slot) must start with no raft state.
set_aside() {
  if "$SYSTEMCTL" is-active --quiet "$MASTER_UNIT"; then die "$MASTER_UNIT is running: run 'stop' first"; fi
  if [ -e "$RAFT_DIR" ]; then
    move_aside
  else
    printf 'no raft directory at %s\n' "$RAFT_DIR"
  fi
}

case "\${1:-}" in
  list) list ;;
  fetch) fetch "\${2:-}" ;;
  stop) "$SYSTEMCTL" stop "$BACKUP_TIMER" "$MASTER_UNIT" ;;
  install) install_backup ;;
  set-aside) set_aside ;;
  start) "$SYSTEMCTL" start "$MASTER_UNIT" "$BACKUP_TIMER" ;;
  *) die "usage: seaweedfs-restore list | fetch <latest|prefix|stamp> | stop | install | set-aside | start" ;;
esac
`;
}
