# Functions and main of the master boot script. infra/aws/bootScript.ts puts the slot's settings (readonly
# variables) and the rendered SeaweedFS files (write_security_toml, write_master_unit) in front of this text.
CHANGED=0
INSTANCE_ID=""
ENI_MAC=""
VOLUME_ID=""
DEADLINE=0
WORK_DIR=""
FAILED_STEPS=""
declare -A SHUTTING_DOWN_SINCE=()
trap '[ -z "$WORK_DIR" ] || rm -rf "$WORK_DIR"' EXIT

# To the console (cloud-init's output, `get-console-output`) and to the journal (`journalctl -t seaweedfs-boot`).
log() {
  printf 'seaweedfs-boot[slot %s]: %s\n' "$SLOT" "$*" >&2
  logger -t seaweedfs-boot -- "slot $SLOT: $*" 2>/dev/null || true
}
# For what a new instance cannot fix (a bad artifact, a volume that must not be formatted): stop, keep the instance.
fail() { log "FATAL: $*"; exit 1; }

# For what another instance may fix (a predecessor that never lets go, an AWS API that keeps failing): the EC2
# status checks would keep this master-less instance forever, so it tells its Auto Scaling group to replace it.
give_up() {
  local attempt
  log "GIVING UP: $*"
  for attempt in 1 2 3; do
    if aws autoscaling set-instance-health --instance-id "$INSTANCE_ID" --health-status Unhealthy --no-should-respect-grace-period; then
      log "reported $INSTANCE_ID unhealthy: its Auto Scaling group replaces it"
      exit 1
    fi
    sleep "$attempt"
  done
  fail "could not report $INSTANCE_ID unhealthy either: slot $SLOT needs an operator"
}

# aws_call ARGS...: the AWS CLI, retried with exponential backoff (1, 2, 4, ... 30 s) on any failure: throttling, a
# network blip, an id not yet visible. After AWS_ATTEMPTS failures the boot gives up.
aws_call() {
  local attempt=1 delay=1
  until aws "$@"; do
    [ "$attempt" -lt "$AWS_ATTEMPTS" ] || give_up "aws $1 $2 failed $attempt times"
    log "aws $1 $2 failed (attempt $attempt of $AWS_ATTEMPTS); retrying in $delay s"
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
}

imds() {
  local token
  token=$(curl -fsS --retry 3 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)
  curl -fsS --retry 3 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}

# install_file PATH MODE < content: writes the file only when its content differs, and notes the change.
install_file() {
  local target="$ROOT$1" tmp
  mkdir -p "$(dirname "$target")"
  tmp=$(mktemp "$target.XXXXXX")
  cat > "$tmp"
  chmod "$2" "$tmp"
  if cmp -s "$tmp" "$target"; then rm -f "$tmp"; else mv -f "$tmp" "$target"; CHANGED=1; log "wrote $1"; fi
}

# single WHAT LINES: the one line describing the slot's WHAT; none or several is an error.
single() {
  local count
  count=$(grep -c . <<<"$2" || true)
  [ "$count" = 1 ] || fail "expected exactly one $1 of cluster $CLUSTER slot $SLOT (tags $TAG_CLUSTER, $TAG_SLOT, $TAG_ROLE), found $count"
  printf '%s\n' "$2"
}

wait_or_give_up() {
  [ "$SECONDS" -lt "$DEADLINE" ] || give_up "$1: still not attached to $INSTANCE_ID after $ATTACH_TIMEOUT_SECONDS s"
  log "$1: waiting for it to be released"
  sleep "$POLL_SECONDS"
}

# The state of an instance; "gone" once EC2 no longer knows it, "unknown" when the question failed (then nothing
# is done to what it holds: it may be a live master).
instance_state() {
  local out
  if out=$(aws ec2 describe-instances --instance-ids "$1" --query 'Reservations[0].Instances[0].State.Name' --output text 2>&1); then
    printf '%s\n' "$out"
  elif [[ "$out" == *InvalidInstanceID.NotFound* ]]; then
    echo gone
  else
    log "cannot tell the state of $1: $out"
    echo unknown
  fi
}

# Whether a holder in STATE is dead for good: terminated or gone, or shutting down for longer than the bound (an
# instance can hang there; its attachments then never go away by themselves).
holder_is_dead() {
  local holder=$1 state=$2
  case "$state" in
    terminated | gone) return 0 ;;
    shutting-down)
      [ -n "${SHUTTING_DOWN_SINCE[$holder]:-}" ] || SHUTTING_DOWN_SINCE[$holder]=$SECONDS
      [ $((SECONDS - SHUTTING_DOWN_SINCE[$holder])) -ge "$HOLDER_SHUTDOWN_SECONDS" ] ;;
    *) return 1 ;;
  esac
}

# The slot's interface or volume as one line: id, state, holder, attachment state, zone, attachment id, MAC.
describe_slot() {
  local filters=("Name=tag:$TAG_CLUSTER,Values=$CLUSTER" "Name=tag:$TAG_SLOT,Values=$SLOT")
  if [ "$1" = interface ]; then
    aws_call ec2 describe-network-interfaces --filters "${filters[@]}" "Name=tag:$TAG_ROLE,Values=$ENI_ROLE" --output text \
      --query 'NetworkInterfaces[].[NetworkInterfaceId,Status,Attachment.InstanceId,Attachment.Status,AvailabilityZone,Attachment.AttachmentId,MacAddress]'
  else
    aws_call ec2 describe-volumes --filters "${filters[@]}" "Name=tag:$TAG_ROLE,Values=$VOLUME_ROLE" --output text \
      --query 'Volumes[].[VolumeId,State,Attachments[0].InstanceId,Attachments[0].State,AvailabilityZone]'
  fi
}

# Attaches the slot's interface or volume to this instance, waiting while another instance holds it. A running
# holder is never touched (it may be a live master); a stopped one never releases anything, so it is detached; a
# dead one (holder_is_dead) is force-detached.
attach_slot() {
  local kind=$1 described line id state holder attached az attachment mac holder_state
  DEADLINE=$((SECONDS + ATTACH_TIMEOUT_SECONDS))
  while :; do
    described=$(describe_slot "$kind")
    line=$(single "$kind" "$described")
    read -r id state holder attached az attachment mac <<<"$line"
    [ "$az" = "$SLOT_AZ" ] || fail "$kind $id is in $az, not in $SLOT_AZ"
    if [ "$holder" = "$INSTANCE_ID" ] && [ "$attached" = attached ]; then
      if [ "$kind" = interface ]; then ENI_MAC=$mac; else VOLUME_ID=$id; fi
      log "$kind $id is attached"
      return
    fi
    if [ "$state" = available ]; then
      if [ "$kind" = interface ]; then
        aws ec2 attach-network-interface --network-interface-id "$id" --instance-id "$INSTANCE_ID" --device-index "$INTERFACE_INDEX" >/dev/null && continue
      else
        aws ec2 attach-volume --volume-id "$id" --instance-id "$INSTANCE_ID" --device "$VOLUME_DEVICE" >/dev/null && continue
      fi
      log "attaching $kind $id failed"
    elif [ "$holder" != "$INSTANCE_ID" ] && [ "$holder" != None ]; then
      holder_state=$(instance_state "$holder")
      if [ "$holder_state" = stopped ]; then
        log "$kind $id is held by stopped instance $holder: detaching it"
        detach "$kind" "$id" "$holder" "$attachment" || log "detaching $kind $id failed; looking again"
      elif holder_is_dead "$holder" "$holder_state"; then
        log "$kind $id is held by dead instance $holder ($holder_state): force-detaching it"
        detach "$kind" "$id" "$holder" "$attachment" --force || log "force-detaching $kind $id failed; looking again"
      fi
    fi
    wait_or_give_up "$kind $id ($state, held by $holder)"
  done
}

# detach KIND ID HOLDER ATTACHMENT [--force]
detach() {
  if [ "$1" = interface ]; then
    aws ec2 detach-network-interface --attachment-id "$4" ${5:+"$5"}
  else
    aws ec2 detach-volume --volume-id "$2" --instance-id "$3" ${5:+"$5"}
  fi >/dev/null
}

# The interface carrying the slot's MAC address, once the kernel shows it.
slot_interface() {
  local path deadline=$((SECONDS + 60))
  while :; do
    for path in "$ROOT"/sys/class/net/*/address; do
      if [ "$(cat "$path" 2>/dev/null)" = "$ENI_MAC" ]; then basename "$(dirname "$path")"; return; fi
    done
    [ "$SECONDS" -lt "$deadline" ] || fail "no interface with MAC $ENI_MAC appeared"
    sleep 1
  done
}

# systemd-networkd removes, when it (re)starts, every rule and route it did not configure itself
# (ManageForeignRoutingPolicyRules and ManageForeignRoutes, both on by default): it would drop the slot's rule and
# table below on a networkd restart. This drop-in keeps them (networkd.conf(5)).
keep_routing() {
  install_file "$NETWORKD_DROP_IN" 0644 < <(printf '[Network]\nManageForeignRoutingPolicyRules=no\nManageForeignRoutes=no\n')
}

# Replies from the slot's address must leave through the slot's interface, whatever the main table says.
configure_routing() {
  local ifname
  ifname=$(slot_interface)
  ip link set dev "$ifname" up
  ip -4 addr show dev "$ifname" | grep -qF "inet $SLOT_IP/" || ip addr add "$SLOT_IP/$SUBNET_PREFIX" dev "$ifname"
  ip route replace "$SUBNET_CIDR" dev "$ifname" src "$SLOT_IP" table "$ROUTE_TABLE"
  ip route replace default via "$SUBNET_GATEWAY" dev "$ifname" table "$ROUTE_TABLE"
  ip rule show | grep -qF "from $SLOT_IP lookup $ROUTE_TABLE" || ip rule add from "$SLOT_IP" lookup "$ROUTE_TABLE" priority "$ROUTE_TABLE"
  log "routing from $SLOT_IP goes through $ifname"
}

volume_device() {
  local dev deadline=$((SECONDS + 120))
  while :; do
    for dev in "$ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOLUME_ID//-/}" "$ROOT$VOLUME_DEVICE" "$ROOT/dev/xvdf"; do
      if [ -e "$dev" ]; then printf '%s\n' "$dev"; return; fi
    done
    [ "$SECONDS" -lt "$deadline" ] || fail "the device of data volume $VOLUME_ID did not appear"
    sleep 1
  done
}

# Formats only a blank volume: blkid must find nothing AND the first MiB must be zeros. Anything else is kept.
ensure_filesystem() {
  local dev=$1 rc=0
  blkid -p "$dev" >/dev/null 2>&1 || rc=$?
  case "$rc" in
    0) log "data volume $dev already has a filesystem: keeping it" ;;
    2)
      cmp -s -n 1048576 "$dev" /dev/zero || fail "blkid finds no filesystem on $dev but it is not blank: refusing to format it"
      log "formatting blank data volume $dev"
      mkfs.xfs -q -L seaweedfs "$dev" ;;
    *) fail "blkid could not read $dev (exit $rc): refusing to format it" ;;
  esac
}

mount_data() {
  local dev=$1 uuid
  uuid=$(blkid -s UUID -o value "$dev")
  [ -n "$uuid" ] || fail "data volume $dev has no filesystem UUID"
  install_file /etc/fstab 0644 < <(grep -vF " $DATA_ROOT " "$ROOT/etc/fstab" 2>/dev/null || true; printf 'UUID=%s %s xfs defaults,noatime,nofail 0 2\n' "$uuid" "$DATA_ROOT")
  mkdir -p "$ROOT$DATA_ROOT"
  if mountpoint -q "$ROOT$DATA_ROOT"; then log "$DATA_ROOT is mounted"; else mount -t xfs -o noatime "$dev" "$ROOT$DATA_ROOT"; fi
}

# The account under fixed numbers, so a replacement from another AMI owns the raft files on the re-attached volume.
ensure_service_user() {
  getent group "$SERVICE_USER" >/dev/null || groupadd --system --gid "$SERVICE_GID" "$SERVICE_USER"
  getent passwd "$SERVICE_USER" >/dev/null ||
    useradd --system --uid "$SERVICE_UID" --gid "$SERVICE_GID" --no-create-home --home-dir "$DATA_ROOT" --shell /sbin/nologin "$SERVICE_USER"
}

# Downloads the pinned artifact and refuses it (and so never starts the master) on a sha256 mismatch.
install_weed() {
  local marker="$ROOT$CONFIG_DIR/weed.sha256" actual candidate reported
  if [ -x "$ROOT$BINARY" ] && [ "$(cat "$marker" 2>/dev/null)" = "$WEED_SHA256" ]; then
    log "weed $WEED_VERSION is installed"
    return
  fi
  WORK_DIR=$(mktemp -d)
  case "$WEED_URL" in
    s3://*) aws_call s3 cp --only-show-errors "$WEED_URL" "$WORK_DIR/artifact" ;;
    *) curl -fsSL --retry 5 -o "$WORK_DIR/artifact" "$WEED_URL" ;;
  esac
  actual=$(sha256sum "$WORK_DIR/artifact")
  actual=${actual%% *}
  [ "$actual" = "$WEED_SHA256" ] || fail "$WEED_URL has sha256 $actual, expected $WEED_SHA256: refusing to install or start it"
  candidate="$WORK_DIR/artifact"
  case "$WEED_URL" in
    *.tar.gz | *.tgz) tar -xzf "$candidate" -C "$WORK_DIR" weed && candidate="$WORK_DIR/weed" ;;
  esac
  chmod 0755 "$candidate"
  reported=$("$candidate" version)
  [[ " $reported " == *" $WEED_VERSION "* ]] || fail "the artifact reports '$reported', not SeaweedFS $WEED_VERSION"
  mkdir -p "$(dirname "$ROOT$BINARY")" "$ROOT$CONFIG_DIR"
  install -m 0755 "$candidate" "$ROOT$BINARY"
  printf '%s\n' "$WEED_SHA256" > "$marker"
  CHANGED=1
  log "installed weed $WEED_VERSION"
}

# The key goes from SSM into a root-only file without touching any command line or log.
write_jwt_key() {
  local key
  key=$(aws_call ssm get-parameter --name "$JWT_PARAMETER" --with-decryption --query Parameter.Value --output text)
  [ -n "$key" ] && [ "$key" != None ] || fail "SSM parameter $JWT_PARAMETER is empty"
  install_file "$SECRET_ENV_FILE" 0600 < <(printf '%s=%s\n' "$JWT_ENV" "$key")
}

# The slot's TLS identity goes from SSM into files of the service account (the key readable by it alone), without
# touching any command line or log; a parameter that is not a PEM stops the boot before weed starts.
write_tls() {
  [ -n "$TLS_DIR" ] || return 0
  local spec name file mode value
  install -d -m 0750 "$ROOT$TLS_DIR"
  for spec in "$TLS_CA_PARAMETER ca.crt 0644" "$TLS_CERT_PARAMETER master.crt 0644" "$TLS_KEY_PARAMETER master.key 0400"; do
    read -r name file mode <<<"$spec"
    value=$(aws_call ssm get-parameter --name "$name" --with-decryption --query Parameter.Value --output text)
    [[ "$value" == *"-----BEGIN "* ]] || fail "SSM parameter $name holds no PEM"
    install_file "$TLS_DIR/$file" "$mode" < <(printf '%s\n' "$value")
  done
  chown -R "$SERVICE_USER:$SERVICE_USER" "$ROOT$TLS_DIR"
}

# Whether the slot is held for a quorum recovery: its hold parameter exists (ParameterNotFound: not held). Any other
# failure to tell stops the boot, as starting an empty master in a held slot can mint a second cluster.
slot_held() {
  local out rc=0
  out=$(aws ssm get-parameter --name "$HOLD_PARAMETER" --query Parameter.Name --output text 2>&1) || rc=$?
  [ "$rc" = 0 ] && return 0
  grep -q ParameterNotFound <<<"$out" || fail "could not tell whether slot $SLOT is held ($HOLD_PARAMETER): $out"
  return 1
}

start_master() {
  # With no leader anywhere, an empty master bootstraps or is pulled into a second cluster (docs/runbooks/lost-quorum.md).
  if [ -z "$(find "$ROOT$MDIR" -name logs.dat -print -quit)" ] && slot_held; then
    systemctl daemon-reload
    log "HELD: slot $SLOT is held for a quorum recovery ($HOLD_PARAMETER) and has no raft state: $UNIT_NAME not started (npm run recover-quorum starts it)"
    return
  fi
  if [ "$CHANGED" = 1 ]; then
    systemctl daemon-reload
    systemctl enable "$UNIT_NAME"
    systemctl restart "$UNIT_NAME"
    log "started $UNIT_NAME"
  else
    systemctl start "$UNIT_NAME"
    log "nothing changed; $UNIT_NAME is running"
  fi
}

main() {
  install_file "$PER_BOOT_SCRIPT" 0700 < "$0"
  INSTANCE_ID=$(imds instance-id)
  local instance_az
  instance_az=$(imds placement/availability-zone)
  [ "$instance_az" = "$SLOT_AZ" ] || fail "this instance runs in $instance_az but slot $SLOT lives in $SLOT_AZ"
  AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$(imds placement/region)}"
  export AWS_DEFAULT_REGION
  # A bad artifact fails here, before the slot's interface and volume are taken from anyone.
  install_weed
  attach_slot interface
  keep_routing
  configure_routing
  attach_slot volume
  local device
  device=$(volume_device)
  ensure_filesystem "$device"
  mount_data "$device"
  ensure_service_user
  install -d -m 0700 "$ROOT$MDIR"
  # Every boot, the whole tree: an account that existed under other numbers (an older AMI) must still own weed's files.
  chown -R "$SERVICE_USER:$SERVICE_USER" "$ROOT$MDIR"
  write_jwt_key
  write_tls
  write_security_toml
  write_master_unit
  start_master
}

# The steps after the master has started (watchdog, backups, heartbeat, monitoring), each kept in an SSM parameter
# (user data is capped at 16 KiB). Each runs strictly and on its own: fetched anew on every try into STEP_DIR and run
# by a separate bash under `set -euo pipefail` and inherit_errexit, so any failing command fails the step (`bash
# file` would count only its last command). A failure is logged and the step retried STEP_ATTEMPTS times, waiting
# STEP_RETRY_SECONDS, then twice that; a step that keeps failing is logged and skipped, the later steps still run,
# and the boot exits non-zero at the end (steps_done). No step's failure touches the running master or gives up the
# instance; what a missing step leaves undone alarms (docs/monitoring.md: unit heartbeats, master-silent).
# ssm_step NAME PARAMETER
ssm_step() {
  local name=$1 file="$ROOT$STEP_DIR/$1.sh" attempt=1 delay=$STEP_RETRY_SECONDS rc
  install -d -m 0700 "$ROOT$STEP_DIR"
  while :; do
    rc=0
    if aws ssm get-parameter --name "$2" --query Parameter.Value --output text >"$file"; then
      ROOT=$ROOT bash -euo pipefail -O inherit_errexit "$file" || rc=$?
    else
      rc=$?
      log "step $name: fetching $2 failed"
    fi
    if [ "$rc" = 0 ]; then
      log "step $name done"
      return
    fi
    if [ "$attempt" -ge "$STEP_ATTEMPTS" ]; then
      log "STEP FAILED: $name (exit $rc, attempt $attempt of $STEP_ATTEMPTS); going on with the next steps"
      FAILED_STEPS="$FAILED_STEPS $name"
      return
    fi
    log "step $name failed (exit $rc, attempt $attempt of $STEP_ATTEMPTS); retrying in $delay s"
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2))
  done
}

steps_done() {
  [ -z "$FAILED_STEPS" ] || { log "FATAL: boot steps failed:$FAILED_STEPS; the master runs, a reboot retries them"; exit 1; }
  log "boot finished"
}
