/**
 * What a backup of a master's raft state is: where the state lives, which files make a copy, how backups are laid
 * out in S3 and what their manifest records. The AWS backup agent and host restore script (infra/aws/host), the
 * Kubernetes sidecar (infra/kubernetes/backup.ts), the operator's restore tool and the drill all read these facts
 * from here; the AWS agent's SSM parameters, systemd units and CloudWatch metric are in infra/aws/host/backupNames.ts.
 */
import { ENDPOINTS } from "./constants";

/**
 * The raft directory of a master: SeaweedFS keeps its state in `<mdir>/m<port>` (`weed/command/master.go`,
 * `path.Join(metaFolder, fmt.Sprintf("m%d", port))`). With `-raftHashicorp` it holds `logs.dat` and `stable.dat`
 * (raft-boltdb) and `snapshots/` (empty until 8192 entries), as the weed lab observed on 4.44.
 */
export function raftDirectory(mdir: string, port: number): string {
  return `${mdir.replace(/\/+$/, "")}/m${port}`;
}

/**
 * How old the newest backup may get before the backup-age alert fires (CloudWatch on AWS, the PrometheusRule on
 * Kubernetes): twice the interval, so one failed or skipped run (a leader change mid-interval) is not an alert.
 */
export function backupAgeLimitMinutes(intervalMinutes: number): number {
  return 2 * intervalMinutes;
}

/** S3 layout: `<cluster>/<yyyy-mm-dd>/<yyyymmddThhmmssZ>/` holding `manifest.json` and `raft/<files>`. */
export const BACKUP_LAYOUT = {
  manifest: "manifest.json",
  raftFolder: "raft",
} as const;

/** The key prefix of one backup (no trailing slash), from its UTC stamp `yyyymmddThhmmssZ`. */
export function backupPrefix(cluster: string, stamp: string): string {
  const match = /^(\d{4})(\d{2})(\d{2})T\d{6}Z$/.exec(stamp);
  if (!match) throw new Error(`backup stamp ${stamp} is not yyyymmddThhmmssZ`);
  return `${cluster}/${match[1]}-${match[2]}-${match[3]}/${stamp}`;
}

/** One file of a backup, relative to the raft directory. */
export interface BackupFile {
  path: string;
  sha256: string;
  bytes: number;
}

/** `manifest.json`: what the agent saw when it took the copy. Written last, so its presence marks a complete backup. */
export interface BackupManifest {
  format: 1;
  cluster: string;
  /** The slot of the master (the leader) whose raft directory was copied. */
  slot: number;
  /** `/dir/status` `Version`, e.g. `30GB 4.44 ...`. */
  seaweedfsVersion: string;
  /**
   * `/dir/status` `TopologyId`: the cluster's identity, which a restore must keep. Empty only in a survivor's export
   * whose master restarted without a leader (its state is on disk, not yet applied).
   */
  topologyId: string;
  /** `/cluster/status` `MaxVolumeId` read before the copy, so the copy holds at least this (0 when absent). */
  maxVolumeId: number;
  /** `/cluster/status` `Leader` (it carries a `.grpcPort` suffix). */
  leader: string;
  /** `/cluster/status` `Peers`. */
  peers: string[];
  /** The HTTP port whose `m<port>` directory was copied. */
  port: number;
  /** `/raft/stats` `term`, `last_log_index` and (newer agents) `last_log_term` when the copy was taken. */
  raft: { term: string; lastLogIndex: string; lastLogTerm?: string };
  /**
   * Who took it: the raft leader (every scheduled backup), or a surviving master that knew no leader, exported for a
   * quorum recovery (docs/runbooks/lost-quorum.md). Absent in manifests of older agents (the leader took those).
   */
  takenAs?: "leader" | "survivor";
  /** UTC ISO time of the copy. */
  createdAt: string;
  files: BackupFile[];
}

/** Parses and checks a manifest; throws naming the first missing or mistyped field. */
export function parseManifest(text: string): BackupManifest {
  const value = JSON.parse(text) as Record<string, unknown>;
  const need = (field: string, type: string) => {
    if (typeof value[field] !== type) throw new Error(`backup manifest: ${field} is missing or not a ${type}`);
  };
  need("cluster", "string");
  need("slot", "number");
  need("topologyId", "string");
  need("maxVolumeId", "number");
  need("port", "number");
  need("createdAt", "string");
  if (value.format !== 1) throw new Error(`backup manifest: unknown format ${String(value.format)}`);
  if (!Array.isArray(value.files) || value.files.length === 0) throw new Error("backup manifest: files is empty");
  for (const f of value.files as BackupFile[]) {
    if (typeof f.path !== "string" || f.path.startsWith("/") || f.path.split("/").includes("..")) throw new Error(`backup manifest: bad file path ${JSON.stringify(f.path)}`);
    if (!/^[0-9a-f]{64}$/.test(String(f.sha256))) throw new Error(`backup manifest: bad sha256 for ${f.path}`);
  }
  return value as unknown as BackupManifest;
}

/** Quotes a value for bash (single quotes). */
export function shellQuote(value: string | number): string {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/**
 * How soon after a change to what a backup protects a new backup must be durable in S3 (issue #24): the event-driven
 * RPO. Each platform's change check polls every `backupOnChangeSeconds`, so that period plus one upload must fit in it
 * (config/keys-backup.ts bounds the period; the `rpo` drill measures the figure).
 */
export const CHANGE_RPO_OBJECTIVE_SECONDS = 60;

/** The file in `$BACKUP_STATE_DIR` holding the protected-state line of the last upload from this master. */
export const PROTECTED_STATE_FILE = "uploaded-state";

/**
 * What a backup protects, as one line: the `/dir/status` TopologyId, the `/cluster/status` MaxVolumeId and the raft
 * membership (`Peers` with the leader, sorted, the `.grpcPort` suffix dropped), the same fields the manifest records.
 * A restore loses exactly the changes to these since the backup (volume locations and file keys are rebuilt from the
 * volume servers' heartbeats), so a backup is worth uploading when the line differs from the last uploaded one.
 *
 * Bash functions for both platforms' agents (after `master` of {@link BACKUP_SNAPSHOT}): `protected_state_of DIR
 * STATUS` renders the line from the two JSON answers; `leader_protected_state` asks this master and prints the line
 * only while it leads (nothing on a follower, failure when it does not answer), one curl on a follower, two on the
 * leader; `record_protected_state LINE` keeps the line in `$BACKUP_STATE_DIR` (when set) after an upload.
 */
const PROTECTED_STATE_FUNCTIONS = `protected_state_of() {
  DIR_STATUS="$1" STATUS="$2" python3 -c 'import json, os, re
d, s = json.loads(os.environ["DIR_STATUS"]), json.loads(os.environ["STATUS"])
members = set(s.get("Peers") or [])
if s.get("Leader"):
    members.add(re.sub(r"[.][0-9]+$", "", s["Leader"]))
print("topology=%s maxVolumeId=%s members=%s" % (d.get("TopologyId", ""), s.get("MaxVolumeId", 0), ",".join(sorted(members))))'
}
leader_protected_state() {
  local status
  status=$(master ${ENDPOINTS.clusterStatus}) || return 1
  [ "$(printf '%s' "$status" | python3 -c 'import json,sys; print(bool(json.load(sys.stdin).get("IsLeader")))')" = True ] || return 0
  protected_state_of "$(master ${ENDPOINTS.dirStatus})" "$status"
}
record_protected_state() {
  [ -n "\${BACKUP_STATE_DIR:-}" ] || return 0
  printf '%s\\n' "$1" > "$BACKUP_STATE_DIR/${PROTECTED_STATE_FILE}.tmp" && mv -f "$BACKUP_STATE_DIR/${PROTECTED_STATE_FILE}.tmp" "$BACKUP_STATE_DIR/${PROTECTED_STATE_FILE}"
}
`;

/**
 * The platform-neutral part of every backup agent (bash): only on the raft leader, a consistent copy of the raft
 * directory (the seqlock described in infra/aws/host/backupAgent.ts) and its manifest, laid out as above. The AWS
 * agent and the Kubernetes sidecar paste `functions` after their settings and `steps` before their upload.
 *
 * Contract: the script sets `set -euo pipefail` and `CLUSTER`, `PORT`, `SLOT`, `MASTER_URL` (this master's
 * `http://host:port`) and `RAFT_DIR`; it needs curl, python3 and GNU find. On a follower the steps `exit 0`.
 * `BACKUP_SURVIVOR=yes` also lets a master that knows no leader at all export its own state (a survivor of a lost
 * quorum, for `npm run recover-quorum`); a follower that knows a leader still exits, so it can never stand in for the
 * leader's backup. After
 * them, `$work/${BACKUP_LAYOUT.raftFolder}/` holds the copy, `$work/${BACKUP_LAYOUT.manifest}` the manifest and `$prefix` the backup's
 * key prefix (see {@link backupPrefix}); `$work` is removed on exit.
 */
export const BACKUP_SNAPSHOT = {
  functions: `log() { printf 'seaweedfs-backup: %s\\n' "$*" >&2; }
master() { curl -fsS --max-time 10 "$MASTER_URL$1"; }
${PROTECTED_STATE_FUNCTIONS}`,
  steps: `# What must not move while the copy is taken: every file's size, mtime (ns) and inode, the raft term and last index.
fingerprint() {
  find "$RAFT_DIR" -printf '%P %y %s %T@ %i\\n' | LC_ALL=C sort
  master ${ENDPOINTS.raftStats} | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["term"], s["last_log_index"])'
}

status=$(master ${ENDPOINTS.clusterStatus})
# leader, follower (knows a leader) or leaderless (knows none: no quorum, or an election under way).
role=$(printf '%s' "$status" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("leader" if s.get("IsLeader") else "follower" if s.get("Leader") else "leaderless")')
taken_as=leader
if [ "$role" != leader ]; then
  if [ "\${BACKUP_SURVIVOR:-no}" = yes ] && [ "$role" = leaderless ]; then
    log "no leader: exporting this surviving master's own raft state (quorum recovery)"
    taken_as=survivor
  else
    log "this master is not the raft leader; the leader takes the backup"
    exit 0
  fi
fi
dir_status=$(master ${ENDPOINTS.dirStatus})
raft_stats=$(master ${ENDPOINTS.raftStats})
# What this copy holds of what the backup protects (read before the copy, so the copy holds at least this).
protected=$(protected_state_of "$dir_status" "$status")

work=$(mktemp -d "\${TMPDIR:-/tmp}/seaweedfs-backup.XXXXXX")
trap 'rm -rf "$work"' EXIT
consistent=no
for attempt in 1 2 3 4 5; do
  before=$(fingerprint)
  rm -rf "$work/${BACKUP_LAYOUT.raftFolder}"
  cp -R "$RAFT_DIR" "$work/${BACKUP_LAYOUT.raftFolder}"
  after=$(fingerprint)
  if [ "$before" = "$after" ]; then consistent=yes; break; fi
  log "the raft directory changed during copy $attempt; retrying"
  sleep "$attempt"
done
if [ "$consistent" != yes ]; then
  log "no quiet moment to copy the raft directory in 5 attempts; giving up"
  exit 1
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
prefix="$CLUSTER/\${stamp:0:4}-\${stamp:4:2}-\${stamp:6:2}/$stamp"
export CLUSTER SLOT PORT
TAKEN_AS="$taken_as" STATUS="$status" DIR_STATUS="$dir_status" RAFT_STATS="$raft_stats" STAMP="$stamp" python3 - "$work/${BACKUP_LAYOUT.raftFolder}" > "$work/${BACKUP_LAYOUT.manifest}" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
status, dir_status, raft = (json.loads(os.environ[k]) for k in ("STATUS", "DIR_STATUS", "RAFT_STATS"))
# A survivor that restarted without a leader has its state on disk only (raft applies it once a leader commits it).
if not dir_status.get("TopologyId") and os.environ["TAKEN_AS"] == "leader":
    sys.exit("seaweedfs-backup: the leader reports no TopologyId; nothing worth backing up yet")
files = []
for folder, _, names in os.walk(root):
    for name in sorted(names):
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        files.append({"path": os.path.relpath(path, root), "sha256": digest, "bytes": os.path.getsize(path)})
s = os.environ["STAMP"]
json.dump({
    "format": 1,
    "cluster": os.environ["CLUSTER"],
    "slot": int(os.environ["SLOT"]),
    "seaweedfsVersion": dir_status.get("Version", ""),
    "topologyId": dir_status.get("TopologyId", ""),
    "maxVolumeId": int(status.get("MaxVolumeId", 0)),
    "leader": status.get("Leader", ""),
    "peers": status.get("Peers", []),
    "port": int(os.environ["PORT"]),
    "raft": {"term": raft.get("term", ""), "lastLogIndex": raft.get("last_log_index", ""), "lastLogTerm": raft.get("last_log_term", "")},
    "takenAs": os.environ["TAKEN_AS"],
    "createdAt": f"{s[0:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}:{s[13:15]}Z",
    "files": sorted(files, key=lambda f: f["path"]),
}, sys.stdout, indent=2)
PY
`,
} as const;

/**
 * The change check both platforms run every `backupOnChangeSeconds` beside their timer (the AWS watcher service, the
 * Kubernetes sidecar's loop): `backup_if_changed CMD...` runs the backup command only while this master leads and
 * what the backup protects differs from the line the agent recorded after its last upload from this master, so a
 * quiet cluster uploads nothing between timer runs. Needs `MASTER_URL` and `BACKUP_STATE_DIR`; a master that does
 * not answer is logged and skipped (its check runs again next period).
 */
export const BACKUP_CHANGE_CHECK = {
  functions: `${BACKUP_SNAPSHOT.functions}backup_if_changed() {
  local now last
  if ! now=$(leader_protected_state); then
    log "this master does not answer; no change check this time"
    return 0
  fi
  [ -n "$now" ] || return 0
  last=$(cat "$BACKUP_STATE_DIR/${PROTECTED_STATE_FILE}" 2>/dev/null || true)
  [ "$now" != "$last" ] || return 0
  log "what the backup protects changed (\${last:-no upload recorded} -> $now); backing up"
  "$@"
}
`,
} as const;
