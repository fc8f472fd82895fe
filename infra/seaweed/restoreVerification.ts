/**
 * Restore verification: proof, on a schedule and in production, that the newest backup restores. A downloaded backup
 * is checked against its manifest, then restored into a scratch master tier (one scratch `weed master` per slot, the
 * stack's own argv with only `-mdir` moved to scratch space) inside a network namespace of its own, where the slots'
 * addresses exist on loopback and nothing else does. A single restored master cannot show anything: hashicorp raft
 * applies its log only once a leader commits it, and the restored membership needs a majority; the scratch tier is
 * that majority. The check is the restore drill's: one leader, the live cluster's TopologyId, a MaxVolumeId not lower
 * than the manifest's, the whole log readable (last index not lower than the manifest's).
 *
 * Why the namespace is not optional: the scratch masters carry the live members' identities and the restored
 * membership. With a path to a live master, a scratch leader's higher term makes that master step down or follow it
 * (the drill's negative control shows the live term and leader change). The namespace holds only loopback, and the
 * script refuses to start a scratch master if anything else is there.
 *
 * This module renders the platform-neutral part as bash (`verify_restore`); the AWS verifier
 * (infra/aws/host/restoreVerifier.ts) pastes it after its settings, downloads the backup, and publishes the result.
 */
import { BACKUP_LAYOUT, shellQuote } from "./backup";
import { ENDPOINTS } from "./constants";
import { quorumOf } from "./quorum";

/** One slot of the tier to rehearse: its raft identity's host and its rendered `weed` argv (with its `-mdir`). */
export interface VerificationMaster {
  slot: number;
  host: string;
  args: readonly string[];
}

export interface VerificationOptions {
  clusterName: string;
  /** The masters' HTTP port (the raft directory is `m<port>`). */
  port: number;
  masters: readonly VerificationMaster[];
  /** How long the scratch tier may take to elect a leader and apply the log. @default 120 */
  timeoutSeconds?: number;
}

/** The one JSON line `verify_restore` prints (the `--json` of a drill carries it as is). */
export interface VerificationResult {
  result: "verified" | "failed";
  /** Why it failed (absent when verified). */
  reasons?: string[];
  backup: string;
  /** Seconds from the start of the checks to the verdict (the download is the caller's). */
  seconds: number;
  /** The namespace held nothing but loopback when the scratch masters started. */
  isolated: boolean;
  liveTopologyId: string;
  manifest?: { topologyId: string; maxVolumeId: number; lastLogIndex: number; files: number };
  scratch?: { leaderSlot: number; topologyId: string; maxVolumeId: number; lastLogIndex: number };
}

/** Loopback stand-ins for DNS-name identities inside the namespace (IP identities are used as they are). */
function namespaceAddress(host: string, slot: number): string | undefined {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) ? undefined : `127.0.2.${slot + 1}`;
}

/** The argv of a scratch master: the slot's own, with `-mdir` moved to `$scratch/<slot>` (expanded by bash). */
function scratchArgs(master: VerificationMaster): string {
  const mdir = master.args.filter((a) => a.startsWith("-mdir="));
  if (mdir.length !== 1) throw new Error(`slot ${master.slot}: expected one -mdir in its argv, found ${mdir.length}`);
  return master.args.map((a) => (a.startsWith("-mdir=") ? `"-mdir=$scratch/${master.slot}"` : shellQuote(a))).join(" ");
}

/** The script run inside the namespace (`unshare --net --mount`): scratch tier up, facts out as one JSON line. */
function namespaceScript(o: VerificationOptions): string {
  const timeout = o.timeoutSeconds ?? 120;
  const names = o.masters.flatMap((m) => {
    const ip = namespaceAddress(m.host, m.slot);
    return ip ? [`${ip} ${m.host}`] : [];
  });
  const addresses = o.masters.map((m) => namespaceAddress(m.host, m.slot) ?? m.host);
  return `set -euo pipefail
dir=$1
scratch="$dir/scratch"
ip link set lo up
# Isolation: a scratch master is started only in a namespace that holds nothing but loopback.
if ip -o link show | awk -F': ' '{print $2}' | grep -vx lo | grep -q .; then
  printf '{"isolated": false, "error": "the namespace has interfaces besides loopback: %s"}\\n' "$(ip -o link show | awk -F': ' '{print $2}' | tr '\\n' ' ')"
  exit 3
fi
for address in ${addresses.map(shellQuote).join(" ")}; do ip -4 addr add "$address/32" dev lo 2>/dev/null || true; done
${names.length > 0 ? `printf '%s\\n' ${names.map(shellQuote).join(" ")} > "$scratch/hosts" && mount --bind "$scratch/hosts" /etc/hosts\n` : ""}pids=()
trap 'kill -KILL "\${pids[@]}" 2>/dev/null || true' EXIT
start() {
  local slot=$1
  shift
  mkdir -p "$scratch/$slot"
  cp -R "$dir/${BACKUP_LAYOUT.raftFolder}" "$scratch/$slot/m${o.port}"
  # weed reads the first security.toml of ., ~/.seaweedfs, /etc/seaweedfs: without this empty one a scratch master
  # would take the host's (its master certificate), so with a path out it could speak the live tier's TLS.
  : > "$scratch/$slot/security.toml"
  (cd "$scratch/$slot" && exec "$WEED" "$@") > "$scratch/master-$slot.log" 2>&1 &
  pids+=($!)
}
${o.masters.map((m) => `start ${m.slot} ${scratchArgs(m)}`).join("\n")}
ask() { curl -fsS --max-time 2 "http://$1:${o.port}$2"; }
deadline=$((SECONDS + ${timeout}))
while [ "$SECONDS" -lt "$deadline" ]; do
  # A restored log weed cannot open makes it exit at once: without a quorum of scratch masters no leader can come.
  alive=0
  for pid in "\${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=$((alive + 1)); fi; done
  if [ "$alive" -lt ${quorumOf(o.masters.length)} ]; then
    why=$(grep -h -m 1 -E '^F[0-9]{4} |panic:' "$scratch"/master-*.log 2>/dev/null | head -n 1 | cut -c 1-300 || true)
    python3 -c 'import json, sys; print(json.dumps({"isolated": True, "error": "scratch masters exited, " + sys.argv[1] + " of ${o.masters.length} left: " + sys.argv[2]}))' "$alive" "\${why:-see their logs}"
    exit 4
  fi
  for slot_host in ${o.masters.map((m) => shellQuote(`${m.slot}=${m.host}`)).join(" ")}; do
    slot=\${slot_host%%=*}
    host=\${slot_host#*=}
    status=$(ask "$host" ${ENDPOINTS.clusterStatus}) || continue
    printf '%s' "$status" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("IsLeader") else 1)' || continue
    dir_status=$(ask "$host" ${ENDPOINTS.dirStatus}) || continue
    raft=$(ask "$host" ${ENDPOINTS.raftStats}) || continue
    if SLOT="$slot" STATUS="$status" DIR_STATUS="$dir_status" RAFT="$raft" python3 -c '
import json, os, sys
status, dir_status, raft = (json.loads(os.environ[k]) for k in ("STATUS", "DIR_STATUS", "RAFT"))
if not dir_status.get("TopologyId"):
    sys.exit(1)  # elected, the log not applied yet
print(json.dumps({"isolated": True, "leaderSlot": int(os.environ["SLOT"]), "topologyId": dir_status["TopologyId"],
                  "maxVolumeId": int(status.get("MaxVolumeId", 0)), "lastLogIndex": int(raft.get("last_log_index", 0))}))
'; then exit 0; fi
  done
  sleep 0.5
done
printf '{"isolated": true, "error": "no scratch leader with a TopologyId within ${timeout} s"}\\n'
exit 4
`;
}

/**
 * Bash defining `verify_restore DIR PREFIX`: DIR holds a downloaded backup (`manifest.json` and `raft/`); it prints
 * one {@link VerificationResult} line and returns 0 when verified, 1 otherwise. Contract: the caller sets
 * `set -euo pipefail`, `CLUSTER`, `MASTER_URL` (a live master, for the cluster's TopologyId) and `WEED` (the binary);
 * it runs as root (a network and mount namespace, loopback addresses); it needs curl, python3, ip and unshare.
 */
export function renderVerificationFunctions(o: VerificationOptions): string {
  return `verify_restore() {
  local dir=$1 prefix=$2 started=$SECONDS live observed rc=0
  mkdir -p "$dir/scratch"
  live=$(curl -fsS --max-time 10 "$MASTER_URL${ENDPOINTS.dirStatus}" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("TopologyId", ""))') || live=""
  cat > "$dir/scratch/in-namespace.sh" <<'SEAWEEDFS_VERIFY_EOF'
${namespaceScript(o)}SEAWEEDFS_VERIFY_EOF
  # Checksums first: a tampered or truncated file never reaches a scratch master.
  if EXPECTED_CLUSTER="$CLUSTER" python3 - "$dir" > "$dir/scratch/manifest-check.json" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
problems = []
try:
    m = json.load(open(os.path.join(root, "${BACKUP_LAYOUT.manifest}")))
except Exception as e:
    print(json.dumps({"problems": [f"manifest unreadable: {e}"]})); sys.exit(1)
if m.get("format") != 1: problems.append(f"manifest format {m.get('format')}")
if m.get("cluster") != os.environ["EXPECTED_CLUSTER"]: problems.append(f"manifest of cluster {m.get('cluster')}")
files = m.get("files") or []
if not files: problems.append("manifest lists no files")
for f in files:
    path = os.path.join(root, "${BACKUP_LAYOUT.raftFolder}", f.get("path", ""))
    if f.get("path", "").startswith("/") or ".." in f.get("path", "").split("/"): problems.append(f"bad path {f.get('path')}"); continue
    try:
        data = open(path, "rb").read()
    except OSError as e:
        problems.append(f"{f.get('path')}: {e.strerror}"); continue
    if hashlib.sha256(data).hexdigest() != f.get("sha256") or len(data) != f.get("bytes"):
        problems.append(f"{f.get('path')}: sha256/size differ from the manifest ({len(data)} bytes, manifest {f.get('bytes')})")
facts = {"topologyId": m.get("topologyId", ""), "maxVolumeId": int(m.get("maxVolumeId", 0)), "lastLogIndex": int((m.get("raft") or {}).get("lastLogIndex") or 0), "files": len(files)}
print(json.dumps({"problems": problems, "manifest": facts}))
sys.exit(1 if problems else 0)
PY
  then
    WEED="$WEED" unshare --net --mount -- bash "$dir/scratch/in-namespace.sh" "$dir" > "$dir/scratch/observed.json" 2> "$dir/scratch/namespace.log" || rc=$?
  else
    printf '{"isolated": true, "error": "not restored: the backup failed its manifest check"}\\n' > "$dir/scratch/observed.json"
    rc=5
  fi
  observed=$(tail -n 1 "$dir/scratch/observed.json")
  PREFIX="$prefix" LIVE="$live" SECONDS_TAKEN=$((SECONDS - started)) OBSERVED="$observed" NAMESPACE_RC=$rc python3 - "$dir/scratch/manifest-check.json" <<'PY'
import json, os, sys
check = json.load(open(sys.argv[1]))
try:
    seen = json.loads(os.environ["OBSERVED"] or "{}")
except ValueError:
    seen = {"error": "the namespace step printed no result (see namespace.log)"}
live, m = os.environ["LIVE"], check.get("manifest")
reasons = list(check["problems"])
if not live: reasons.append("the live cluster reports no TopologyId")
if seen.get("error"): reasons.append(seen["error"])
if "leaderSlot" in seen and m:
    if seen["topologyId"] != live: reasons.append(f"scratch TopologyId {seen['topologyId']}, live {live}")
    if m["topologyId"] and seen["topologyId"] != m["topologyId"]: reasons.append(f"scratch TopologyId {seen['topologyId']}, manifest {m['topologyId']}")
    if seen["maxVolumeId"] < m["maxVolumeId"]: reasons.append(f"scratch MaxVolumeId {seen['maxVolumeId']}, lower than the manifest's {m['maxVolumeId']}")
    if seen["lastLogIndex"] < m["lastLogIndex"]: reasons.append(f"scratch log ends at {seen['lastLogIndex']}, before the manifest's {m['lastLogIndex']}")
elif not reasons: reasons.append(f"the namespace step failed (exit {os.environ['NAMESPACE_RC']}, see namespace.log)")
result = {"result": "failed" if reasons else "verified", "backup": os.environ["PREFIX"], "seconds": int(os.environ["SECONDS_TAKEN"]),
          "isolated": bool(seen.get("isolated")), "liveTopologyId": live}
if reasons: result["reasons"] = reasons
if m: result["manifest"] = m
if "leaderSlot" in seen: result["scratch"] = {k: seen[k] for k in ("leaderSlot", "topologyId", "maxVolumeId", "lastLogIndex")}
print(json.dumps(result))
sys.exit(1 if reasons else 0)
PY
}
`;
}
