#!/usr/bin/env bash
# UniSettle's local stack: Apache Kafka (KRaft, from Maven jars) and a project-owned PostgreSQL
# cluster, both on loopback ports, both with their data under .stack/ (git-ignored).
#   deploy/stack.sh up | down | status | env | kill kafka [NODE] | crash kafka [NODE] | stop kafka NODE
#   deploy/stack.sh kafka-up | kafka-down      (Kafka alone, e.g. a second cluster in another
#                                              UNISETTLE_STACK_DIR on other UNISETTLE_KAFKA_PORTs)
# UNISETTLE_KAFKA_NODES=3 runs Kafka as a three-node KRaft cluster instead of one node.
# `up` is idempotent: it reuses what already runs and waits for real readiness.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="${UNISETTLE_STACK_DIR:-$ROOT/.stack}"
KAFKA_PORT="${UNISETTLE_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${UNISETTLE_KAFKA_CONTROLLER_PORT:-19093}"
# One node (the default) or a cluster of three: replication factor 3, min.insync.replicas 2.
KAFKA_NODES="${UNISETTLE_KAFKA_NODES:-1}"
[[ "$KAFKA_NODES" == 1 || "$KAFKA_NODES" == 3 ]] || { echo "[stack] UNISETTLE_KAFKA_NODES is 1 or 3" >&2; exit 2; }
if [[ "$KAFKA_NODES" == 3 ]]; then REPLICATION=3 MIN_ISR=2 KAFKA_HEAP=768m; else REPLICATION=1 MIN_ISR=1 KAFKA_HEAP=1g; fi
PG_PORT="${UNISETTLE_PG_PORT:-15432}"
PG_USER=unisettle
PG_PASSWORD=unisettle
SERVICE_DATABASES=(orders settlement suppliers refunds invoices console)
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

# ---------------------------------------------------------------- Kafka
KAFKA_DIR="$STACK/kafka"
KAFKA_LIBS="${UNISETTLE_KAFKA_LIBS:-$KAFKA_DIR/libs}"  # the jars, which another stack may share

kafka_jars() {
  local stamp
  stamp="$(sha256sum "$ROOT/deploy/kafka/pom.xml" | cut -c1-16)"
  if [[ -f "$KAFKA_LIBS/.complete-$stamp" ]]; then return; fi
  log "fetching Kafka jars with Maven"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  mvn -q -B -Dstyle.color=never -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime >&2
  touch "$KAFKA_LIBS/.complete-$stamp"
}

kafka_java() {
  java -Xms512m -Xmx1g -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" \
    -cp "$KAFKA_LIBS/*" "$@"
}

# ---- nodes: node n listens for clients on KAFKA_PORT + 10(n-1), for controllers on
# CONTROLLER_PORT + 10(n-1), for the other brokers on KAFKA_PORT + 2 + 10(n-1).
client_port() { echo $((KAFKA_PORT + 10 * ($1 - 1))); }
controller_port() { echo $((CONTROLLER_PORT + 10 * ($1 - 1))); }
internal_port() { echo $((KAFKA_PORT + 2 + 10 * ($1 - 1))); }
node_dir() { echo "$KAFKA_DIR/node-$1"; }
nodes() { seq 1 "$KAFKA_NODES"; }
bootstrap() { local n out=(); for n in $(nodes); do out+=("127.0.0.1:$(client_port "$n")"); done; (IFS=,; echo "${out[*]}"); }
voters() { local n out=(); for n in $(nodes); do out+=("$n@127.0.0.1:$(controller_port "$n")"); done; (IFS=,; echo "${out[*]}"); }
node_running() { pid_running "$(node_dir "$1")/kafka.pid" "kafka.Kafka"; }  # by process state, not kill -0
kafka_running() { local n; for n in $(nodes); do node_running "$n" || return 1; done; }
CREDENTIALS="$KAFKA_DIR/credentials"
credential() { sed -n "s/^$1=//p" "$CREDENTIALS"; }

# One SCRAM-SHA-512 credential per principal of contracts/access.py, made once with the stack,
# kept in the git-ignored stack directory, readable by its owner only.
kafka_credentials() {
  local principal
  (umask 077; [[ -s "$CREDENTIALS" ]] && cp "$CREDENTIALS" "$CREDENTIALS.new" || : >"$CREDENTIALS.new")
  for principal in $("$PYTHON" -c 'from contracts.access import PRINCIPALS; print(*PRINCIPALS)'); do
    grep -q "^$principal=" "$CREDENTIALS.new" && continue  # a principal added since is given one
    echo "$principal=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >>"$CREDENTIALS.new"
  done
  mv "$CREDENTIALS.new" "$CREDENTIALS"
}

kafka_readiness() {
  UNISETTLE_KAFKA_USERNAME=broker UNISETTLE_KAFKA_PASSWORD="$(credential broker)" \
    "$PYTHON" "$ROOT/deploy/readiness.py" kafka "$(bootstrap)" --timeout "$1"
}
kafka_ready() { kafka_readiness "${1:-5}" >/dev/null 2>&1; }

node_up() {
  local n="$1" dir; dir="$(node_dir "$n")"
  if node_running "$n"; then return; fi
  mkdir -p "$dir/data"
  (umask 077; sed -e "s#@NODE_ID@#$n#g" -e "s#@VOTERS@#$(voters)#g" -e "s#@NODES@#$KAFKA_NODES#g" \
      -e "s#@CLIENT_PORT@#$(client_port "$n")#g" -e "s#@INTERNAL_PORT@#$(internal_port "$n")#g" \
      -e "s#@CONTROLLER_PORT@#$(controller_port "$n")#g" -e "s#@DATA_DIR@#$dir/data#g" \
      -e "s#@BROKER_PASSWORD@#$(credential broker)#g" \
      -e "s#@REPLICATION@#$REPLICATION#g" -e "s#@MIN_ISR@#$MIN_ISR#g" \
      "$ROOT/deploy/kafka/server.properties.in" >"$dir/server.properties")
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local scram=() principal
    for principal in $(cut -d= -f1 "$CREDENTIALS"); do
      scram+=(--add-scram "SCRAM-SHA-512=[name=$principal,password=$(credential "$principal")]")
    done
    kafka_java kafka.tools.StorageTool format -t "$(cat "$KAFKA_DIR/cluster.id")" \
      -c "$dir/server.properties" "${scram[@]}" >"$dir/format.log" 2>&1 \
      || { cat "$dir/format.log" >&2; die "Kafka storage format failed (node $n)"; }
  fi
  log "starting Kafka node $n on 127.0.0.1:$(client_port "$n")"
  # Every partition holds files open; allow as many as the machine lets us.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  nohup java -Xms256m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" \
    >>"$dir/kafka.log" 2>&1 </dev/null &
  echo $! >"$dir/kafka.pid"
}

kafka_up() {
  kafka_jars
  mkdir -p "$KAFKA_DIR"
  if [[ -d "$KAFKA_DIR/data" ]]; then  # a stack from before authentication: its broker had none
    log "replacing the unauthenticated Kafka of an older stack"; rm -rf "$KAFKA_DIR/data" "$KAFKA_DIR/kafka.pid"
  fi
  if [[ -f "$KAFKA_DIR/nodes" && "$(cat "$KAFKA_DIR/nodes")" != "$KAFKA_NODES" ]]; then
    die "this stack's Kafka has $(cat "$KAFKA_DIR/nodes") node(s), not $KAFKA_NODES: make down, then rm -rf $KAFKA_DIR to change"
  fi
  echo "$KAFKA_NODES" >"$KAFKA_DIR/nodes"
  kafka_credentials
  [[ -s "$KAFKA_DIR/cluster.id" ]] || kafka_java kafka.tools.StorageTool random-uuid >"$KAFKA_DIR/cluster.id"
  local n
  for n in $(nodes); do node_up "$n"; done
  kafka_readiness "$READY_TIMEOUT" \
    || { for n in $(nodes); do tail -20 "$(node_dir "$n")/kafka.log" >&2; done; die "Kafka did not become ready"; }
  log "Kafka ready: $KAFKA_NODES node(s) at $(bootstrap) (SASL/SCRAM; produce/consume round trip)"
  UNISETTLE_KAFKA_USERNAME=broker UNISETTLE_KAFKA_PASSWORD="$(credential broker)" KAFKA_BOOTSTRAP_SERVERS="$(bootstrap)" \
    "$PYTHON" -m cli kafka provision --users "$CREDENTIALS" >&2 || die "could not provision Kafka's topics and ACLs"
}

node_down() {
  local n="$1" dir pid; dir="$(node_dir "$1")"
  if node_running "$n"; then
    pid="$(cat "$dir/kafka.pid")"
    log "stopping Kafka node $n (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do pid_gone "$pid" && break; sleep 0.5; done
    pid_gone "$pid" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/kafka.pid"
}

kafka_down() { local n; for n in $(nodes); do node_down "$n"; done; }

node_kill() {
  local dir pid; dir="$(node_dir "$1")"
  if node_running "$1"; then
    pid="$(cat "$dir/kafka.pid")"
    log "killing Kafka node $1 (pid $pid) with SIGKILL"
    kill -9 "$pid"
    until pid_gone "$pid"; do sleep 0.1; done
  fi
  rm -f "$dir/kafka.pid"
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
      local n
      for n in ${2:-$(nodes)}; do node_kill "$n"; done ;;
    postgres)
      if pg_running; then
        log "stopping PostgreSQL immediately (crash recovery on start)"
        as_pg "$(pg_bin_dir)/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null
      fi ;;
    *) die "kill what? kafka [NODE]|postgres" ;;
  esac
}

crash() {
  hard_kill "$@"
  case "$1" in
    kafka) kafka_up ;;
    postgres) pg_up ;;
  esac
}

# ---------------------------------------------------------------- commands
print_env() {
  cat <<ENV
KAFKA_BOOTSTRAP_SERVERS=$(bootstrap)
UNISETTLE_KAFKA_CREDENTIALS=$CREDENTIALS
UNISETTLE_PG_ADMIN_DSN=postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres
ENV
}

status() {
  if kafka_running && kafka_ready 5; then
    echo "kafka      up    $(bootstrap) ($KAFKA_NODES node(s), SASL/SCRAM)"
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
  kafka-up) require; kafka_up ;;
  kafka-down) kafka_down ;;
  status) status ;;
  env) print_env ;;
  crash) require; crash "${2:-}" ${3:+"$3"} ;;
  kill) require; hard_kill "${2:-}" ${3:+"$3"} ;;
  stop) [[ "${2:-}" == kafka && -n "${3:-}" ]] || die "stop kafka NODE"; node_down "$3" ;;
  *) echo "usage: $0 up|down|status|env|crash kafka [NODE]|postgres|kill kafka [NODE]|postgres|stop kafka NODE" >&2; exit 2 ;;
esac
