#!/usr/bin/env bash
# Runs UniSettle's four services, the supplier-profile stream worker and the console as background processes against the local stack.
#   deploy/services.sh up | down | status
# `up` is idempotent and waits until every /ready answers 200.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="${UNISETTLE_STACK_DIR:-$ROOT/.stack}"
RUN="$STACK/services"
PYTHON="${UNISETTLE_PYTHON:-$ROOT/.venv/bin/python}"
READY_TIMEOUT="${UNISETTLE_READY_TIMEOUT:-120}"
declare -A PORTS=([orders]=8001 [settlement]=8002 [suppliers]=8003 [refunds]=8004 [invoices]=8007 [profiles]=8006 [console]=8005)
ORDER=(orders settlement suppliers refunds invoices profiles console)

log() { printf '[services] %s\n' "$*" >&2; }

# shellcheck source=deploy/proc.sh
source "$ROOT/deploy/proc.sh"
running() { pid_running "$RUN/$1.pid" "services.$1.main"; }  # by process state, not kill -0

ready() { curl -fs -o /dev/null --max-time 3 "http://127.0.0.1:$1/ready"; }

up() {
  mkdir -p "$RUN"
  set -a; [[ -f "$STACK/env" ]] && source "$STACK/env"; set +a
  for name in "${ORDER[@]}"; do
    if running "$name"; then
      log "$name already running (pid $(cat "$RUN/$name.pid"))"
      continue
    fi
    log "starting $name on 127.0.0.1:${PORTS[$name]}"
    # Each service gets its own Kafka password only (its principal is its name), not the file;
    # the console reads consumer lag as the operator.
    local principal=$name; [[ $name == console ]] && principal=operator
    local password; password="$(sed -n "s/^$principal=//p" "${UNISETTLE_KAFKA_CREDENTIALS:-/dev/null}")"
    env -u UNISETTLE_KAFKA_CREDENTIALS "${name^^}_KAFKA_PASSWORD=$password" PROFILES_DATADIR="$STACK/profiles" \
      nohup "$PYTHON" -m "services.$name.main" >>"$RUN/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/$name.pid"
  done
  for name in "${ORDER[@]}"; do
    local deadline=$((SECONDS + READY_TIMEOUT))
    until ready "${PORTS[$name]}"; do
      if ! running "$name"; then
        tail -20 "$RUN/$name.log" >&2; log "$name exited"; exit 1
      fi
      if ((SECONDS > deadline)); then
        tail -20 "$RUN/$name.log" >&2; log "$name not ready after ${READY_TIMEOUT}s"; exit 1
      fi
      sleep 0.5
    done
    log "$name ready"
  done
}

down() {
  for name in "${ORDER[@]}"; do
    if running "$name"; then
      local pid; pid="$(cat "$RUN/$name.pid")"
      log "stopping $name (pid $pid)"
      kill "$pid"
      for _ in $(seq 1 40); do pid_gone "$pid" && break; sleep 0.25; done
      pid_gone "$pid" || kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/$name.pid"
  done
}

status() {
  for name in "${ORDER[@]}"; do
    if running "$name" && ready "${PORTS[$name]}"; then
      printf '%-10s ready http://127.0.0.1:%s\n' "$name" "${PORTS[$name]}"
    elif running "$name"; then
      printf '%-10s starting (not ready)\n' "$name"
    else
      printf '%-10s down\n' "$name"
    fi
  done
}

urls() {
  printf '  %-10s http://127.0.0.1:%s/   (the console: sign in with a link above; make links for more)\n' console "${PORTS[console]}"
  for name in "${ORDER[@]}"; do
    [[ $name == profiles ]] && continue  # internal: the suppliers API serves its profiles
    printf '  %-10s http://127.0.0.1:%s/docs   (ready: /ready, metrics: /metrics, logs: .stack/services/%s.log)\n' \
      "$name" "${PORTS[$name]}" "$name"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  urls) urls ;;
  *) echo "usage: $0 up|down|status|urls" >&2; exit 2 ;;
esac
