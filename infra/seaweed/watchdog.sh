# Body of the SeaweedFS master watchdog; infra/seaweed/watchdog.ts puts the settings (readonly variables) in front.
# Probes this master's liveness endpoint. After MISSES consecutive probes without an answer within TIMEOUT seconds
# it SIGKILLs the master, and its supervisor (systemd Restart=always) restarts it on its own data: a dead master
# closes its connections, so volume servers move to the new leader at once instead of after gRPC keepalive.
# It arms only once the current master process has answered, so a booting master is never killed. A leader that
# answers WEDGED_STATUS (topology lock held) on CLUSTER_HEALTH_PATH WEDGED_MISSES times in a row is wedged: SIGTERM,
# then SIGKILL after TERM_GRACE seconds. Every action is one `action=` line on stdout (the journal), and the count
# of actions is kept in $STATE_DIRECTORY/kills for monitoring.
set -uo pipefail
STATE="${STATE_DIRECTORY:?the watchdog needs STATE_DIRECTORY (systemd sets it from StateDirectory=)}"

log() { printf '%s\n' "$*"; }

# The pid of the process listening on the master's address; empty while none is.
master_pid() {
  ss -Hltnp "src $MASTER_HOST:$MASTER_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2
}

# probe PATH SECONDS: the HTTP status of GET PATH on the master, 000 when none came within SECONDS.
probe() {
  curl -s -o /dev/null -w '%{http_code}' --max-time "$2" "http://$MASTER_HOST:$MASTER_PORT$1" || true
}

count_action() {
  local n
  n=$(cat "$STATE/kills" 2>/dev/null || echo 0)
  printf '%s\n' "$((n + 1))" > "$STATE/kills.tmp" && mv -f "$STATE/kills.tmp" "$STATE/kills"
}

# kill_master PID REASON
kill_master() {
  count_action
  log "action=kill signal=KILL pid=$1 kills=$(cat "$STATE/kills") reason=$2"
  kill -KILL "$1" 2>/dev/null || log "pid $1 had already exited"
}

# terminate_master PID REASON: SIGTERM, then SIGKILL if it is still there after TERM_GRACE seconds.
terminate_master() {
  local waited=0
  count_action
  log "action=terminate signal=TERM pid=$1 kills=$(cat "$STATE/kills") reason=$2"
  kill -TERM "$1" 2>/dev/null || return 0
  while kill -0 "$1" 2>/dev/null && [ "$waited" -lt "$TERM_GRACE" ]; do
    sleep 1
    waited=$((waited + 1))
  done
  if kill -0 "$1" 2>/dev/null; then kill_master "$1" "still running ${TERM_GRACE}s after SIGTERM ($2)"; fi
}

mkdir -p "$STATE"
log "watching http://$MASTER_HOST:$MASTER_PORT: $LIVENESS_PATH every ${INTERVAL}s, ${TIMEOUT}s timeout, SIGKILL after $MISSES misses; SIGTERM after $WEDGED_MISSES x $WEDGED_STATUS from $CLUSTER_HEALTH_PATH"
watched="" armed=0 misses=0 wedged=0
while :; do
  pid=$(master_pid)
  if [ "$pid" != "$watched" ]; then
    watched=$pid armed=0 misses=0 wedged=0
    if [ -n "$pid" ]; then log "master pid $pid: disarmed until it answers once"; else log "no master is listening: waiting"; fi
  fi
  if [ -n "$pid" ]; then
    code=$(probe "$LIVENESS_PATH" "$TIMEOUT")
    if [ "$code" = 200 ]; then
      if [ "$armed" = 0 ]; then log "master pid $pid answered: armed"; fi
      if [ "$misses" -gt 0 ]; then log "master pid $pid answered again after $misses miss(es)"; fi
      armed=1 misses=0
      health=$(probe "$CLUSTER_HEALTH_PATH" "$WEDGED_TIMEOUT")
      if [ "$health" = "$WEDGED_STATUS" ]; then
        wedged=$((wedged + 1))
        log "master pid $pid leads with its topology locked ($health from $CLUSTER_HEALTH_PATH), $wedged/$WEDGED_MISSES"
        if [ "$wedged" -ge "$WEDGED_MISSES" ]; then
          terminate_master "$pid" "wedged leader: $WEDGED_MISSES x $WEDGED_STATUS from $CLUSTER_HEALTH_PATH"
          armed=0 wedged=0
        fi
      else
        wedged=0
      fi
    elif [ "$armed" = 1 ]; then
      misses=$((misses + 1))
      log "master pid $pid missed $LIVENESS_PATH (HTTP $code within ${TIMEOUT}s), $misses/$MISSES"
      if [ "$misses" -ge "$MISSES" ]; then
        kill_master "$pid" "no answer from $LIVENESS_PATH within ${TIMEOUT}s $MISSES times in a row"
        armed=0 misses=0
      fi
    fi
  fi
  sleep "$INTERVAL"
done
