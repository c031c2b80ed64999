#!/usr/bin/env bash
# UniSettle's local stack: Apache Kafka (KRaft, from Maven jars) and a project-owned PostgreSQL
# cluster, both on loopback ports, both with their data under .stack/ (git-ignored).
#   deploy/stack.sh up | down | status | env
# `up` is idempotent: it reuses what already runs and waits for real readiness.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="${UNISETTLE_STACK_DIR:-$ROOT/.stack}"
KAFKA_PORT="${UNISETTLE_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${UNISETTLE_KAFKA_CONTROLLER_PORT:-19093}"
PG_PORT="${UNISETTLE_PG_PORT:-15432}"
PG_USER=unisettle
PG_PASSWORD=unisettle
SERVICE_DATABASES=(orders settlement suppliers refunds)
READY_TIMEOUT="${UNISETTLE_READY_TIMEOUT:-120}"
PYTHON="${UNISETTLE_PYTHON:-$ROOT/.venv/bin/python}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

require() {
  local missing=()
  command -v java >/dev/null || missing+=("Java 17+ (Debian: apt-get install openjdk-17-jre-headless)")
  command -v mvn >/dev/null || missing+=("Maven (Debian: apt-get install maven)")
  [[ -n "$(pg_bin_dir)" ]] || missing+=("PostgreSQL server binaries (Debian: apt-get install postgresql)")
  [[ -x "$PYTHON" ]] || missing+=("the project virtualenv (run: make venv)")
  if ((${#missing[@]})); then
    printf '[stack] missing prerequisite: %s\n' "${missing[@]}" >&2
    exit 1
  fi
}

pg_bin_dir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [[ -z "$d" ]] && command -v pg_config >/dev/null; then d="$(pg_config --bindir)"; fi
  [[ -x "$d/initdb" ]] && echo "$d" || true
}

# As root, PostgreSQL runs as the `postgres` user; otherwise as whoever calls us.
as_pg() {
  if [[ $EUID -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# shellcheck source=deploy/proc.sh
source "$ROOT/deploy/proc.sh"
kafka_running() { pid_running "$KAFKA_DIR/kafka.pid" "kafka.Kafka"; }  # by process state, not kill -0

# ---------------------------------------------------------------- Kafka
KAFKA_DIR="$STACK/kafka"

kafka_jars() {
  local stamp
  stamp="$(sha256sum "$ROOT/deploy/kafka/pom.xml" | cut -c1-16)"
  if [[ -f "$KAFKA_DIR/libs/.complete-$stamp" ]]; then return; fi
  log "fetching Kafka jars with Maven"
  rm -rf "$KAFKA_DIR/libs"
  mkdir -p "$KAFKA_DIR/libs"
  mvn -q -B -Dstyle.color=never -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_DIR/libs" -DincludeScope=runtime >&2
  touch "$KAFKA_DIR/libs/.complete-$stamp"
}

kafka_java() {
  java -Xms512m -Xmx1g -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" \
    -cp "$KAFKA_DIR/libs/*" "$@"
}

kafka_ready() {
  "$PYTHON" "$ROOT/deploy/readiness.py" kafka "127.0.0.1:$KAFKA_PORT" --timeout "${1:-5}" >/dev/null 2>&1
}

kafka_up() {
  kafka_jars
  if kafka_running; then
    log "Kafka already running (pid $(cat "$KAFKA_DIR/kafka.pid"))"
  else
    mkdir -p "$KAFKA_DIR/data"
    sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" \
        -e "s#@DATA_DIR@#$KAFKA_DIR/data#g" "$ROOT/deploy/kafka/server.properties.in" \
        >"$KAFKA_DIR/server.properties"
    if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
      log "formatting Kafka storage"
      local cluster_id
      cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid)"
      kafka_java kafka.tools.StorageTool format -t "$cluster_id" \
        -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/format.log" 2>&1 \
        || { cat "$KAFKA_DIR/format.log" >&2; die "Kafka storage format failed"; }
    fi
    log "starting Kafka on 127.0.0.1:$KAFKA_PORT"
    # Every partition holds files open; allow as many as the machine lets us.
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    nohup java -Xms512m -Xmx1g -XX:+UseG1GC \
      -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" \
      -cp "$KAFKA_DIR/libs/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
      >"$KAFKA_DIR/kafka.log" 2>&1 </dev/null &
    echo $! >"$KAFKA_DIR/kafka.pid"
  fi
  "$PYTHON" "$ROOT/deploy/readiness.py" kafka "127.0.0.1:$KAFKA_PORT" --timeout "$READY_TIMEOUT" \
    || { tail -30 "$KAFKA_DIR/kafka.log" >&2; die "Kafka did not become ready"; }
  log "Kafka ready (produce/consume round trip)"
}

kafka_down() {
  if kafka_running; then
    local pid; pid="$(cat "$KAFKA_DIR/kafka.pid")"
    log "stopping Kafka (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do pid_gone "$pid" && break; sleep 0.5; done
    pid_gone "$pid" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$KAFKA_DIR/kafka.pid"
}

# ---------------------------------------------------------------- PostgreSQL
PG_DIR="$STACK/pg"

# As root, the cluster belongs to `postgres`, which must be able to reach the data directory.
# Where the clone sits under a directory `postgres` cannot enter, use a per-clone directory in
# /var/tmp instead (recorded in .stack/pg-dir so that later commands find it).
resolve_pg_dir() {
  mkdir -p "$STACK"
  if [[ -f "$STACK/pg-dir" ]]; then PG_DIR="$(cat "$STACK/pg-dir")"; return; fi
  if [[ $EUID -eq 0 ]] && ! runuser -u postgres -- test -x "$STACK" 2>/dev/null; then
    PG_DIR="/var/tmp/unisettle-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/pg"
    log "the postgres user cannot enter $STACK; its data directory is $PG_DIR"
  fi
  echo "$PG_DIR" >"$STACK/pg-dir"
}

pg_psql() {
  as_pg "$(pg_bin_dir)/psql" -h "$PG_DIR/run" -p "$PG_PORT" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 -qAt "$@"
}

pg_running() { as_pg "$(pg_bin_dir)/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; }

pg_up() {
  local bin; bin="$(pg_bin_dir)"
  mkdir -p "$PG_DIR"
  if [[ $EUID -eq 0 ]]; then
    chown -R postgres:postgres "$PG_DIR"
    runuser -u postgres -- test -w "$PG_DIR" || die "the postgres user cannot write $PG_DIR"
  fi
  if [[ ! -f "$PG_DIR/data/PG_VERSION" ]]; then
    log "initialising PostgreSQL cluster in $PG_DIR/data"
    as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
      || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    cat >>"$PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR/run'
max_connections = 300
shared_buffers = 256MB
CONF
  fi
  as_pg mkdir -p "$PG_DIR/run"
  if pg_running; then
    log "PostgreSQL already running"
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t "$READY_TIMEOUT" start >/dev/null \
      || { tail -30 "$PG_DIR/postgres.log" >&2; die "PostgreSQL did not start"; }
  fi
  pg_psql -c "select 1" >/dev/null || die "PostgreSQL does not answer select 1"
  if [[ -z "$(pg_psql -c "select 1 from pg_roles where rolname = '$PG_USER'")" ]]; then
    pg_psql -c "create role $PG_USER login createdb password '$PG_PASSWORD'"
  fi
  # Tests drop their databases WITH (FORCE); an autovacuum worker still in one belongs to no role
  # we are a member of, and only pg_signal_backend lets a non-superuser end it.
  if [[ -z "$(pg_psql -c "select 1 from pg_auth_members m join pg_roles r on r.oid = m.roleid
        join pg_roles u on u.oid = m.member where r.rolname = 'pg_signal_backend' and u.rolname = '$PG_USER'")" ]]; then
    pg_psql -c "grant pg_signal_backend to $PG_USER"
  fi
  for db in "${SERVICE_DATABASES[@]}"; do
    if [[ -z "$(pg_psql -c "select 1 from pg_database where datname = '$db'")" ]]; then
      pg_psql -c "create database $db owner $PG_USER"
    fi
  done
  log "PostgreSQL ready (select 1; databases: ${SERVICE_DATABASES[*]})"
}

pg_down() {
  if [[ -f "$PG_DIR/data/PG_VERSION" ]] && pg_running; then
    log "stopping PostgreSQL"
    as_pg "$(pg_bin_dir)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
  fi
}

# ---------------------------------------------------------------- crashes (chaos tests)
# Kill a component the hard way (`kill`), and bring it back (`crash` = kill, then up): Kafka by
# SIGKILL (unclean log recovery), PostgreSQL by an immediate stop (no checkpoint; WAL replay on start).
hard_kill() {
  case "$1" in
    kafka)
      if kafka_running; then
        local pid; pid="$(cat "$KAFKA_DIR/kafka.pid")"
        log "killing Kafka (pid $pid) with SIGKILL"
        kill -9 "$pid"
        until pid_gone "$pid"; do sleep 0.1; done
      fi
      rm -f "$KAFKA_DIR/kafka.pid" ;;
    postgres)
      if pg_running; then
        log "stopping PostgreSQL immediately (crash recovery on start)"
        as_pg "$(pg_bin_dir)/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null
      fi ;;
    *) die "kill what? kafka|postgres" ;;
  esac
}

crash() {
  hard_kill "$1"
  case "$1" in
    kafka) kafka_up ;;
    postgres) pg_up ;;
  esac
}

# ---------------------------------------------------------------- commands
print_env() {
  cat <<ENV
KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT
UNISETTLE_PG_ADMIN_DSN=postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres
ENV
}

status() {
  if kafka_running && kafka_ready 5; then
    echo "kafka      up    127.0.0.1:$KAFKA_PORT (pid $(cat "$KAFKA_DIR/kafka.pid"))"
  else
    echo "kafka      down"
  fi
  if [[ -f "$PG_DIR/data/PG_VERSION" ]] && pg_running; then
    echo "postgres   up    127.0.0.1:$PG_PORT"
  else
    echo "postgres   down"
  fi
}

resolve_pg_dir
case "${1:-}" in
  up) require; pg_up; kafka_up; print_env >"$STACK/env"; log "endpoints written to $STACK/env" ;;
  down) kafka_down; pg_down ;;
  status) status ;;
  env) print_env ;;
  crash) require; crash "${2:-}" ;;
  kill) require; hard_kill "${2:-}" ;;
  *) echo "usage: $0 up|down|status|env|crash kafka|postgres|kill kafka|postgres" >&2; exit 2 ;;
esac
