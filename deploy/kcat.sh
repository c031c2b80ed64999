#!/usr/bin/env bash
# kcat for operators, on the local stack's Kafka as the `operator` principal (read-only):
#   deploy/kcat.sh -C -t orders.events.dlq -e        # any kcat arguments after these
#   UNISETTLE_KAFKA_PRINCIPAL=broker deploy/kcat.sh ...
#   deploy/kcat.sh --library-dir                     # where the current librdkafka is
# Debian's kcat links librdkafka 2.0.2, whose SCRAM exchange Kafka 4 refuses (fixed in 2.6.1): this
# runs it on the librdkafka the project's confluent-kafka wheel ships.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="${UNISETTLE_STACK_DIR:-$ROOT/.stack}"
PYTHON="${UNISETTLE_PYTHON:-$ROOT/.venv/bin/python}"

library_dir() {
  local lib dir="$STACK/librdkafka"
  lib="$("$PYTHON" -c 'import confluent_kafka, glob, os; print(glob.glob(os.path.join(os.path.dirname(confluent_kafka.__file__) + ".libs", "librdkafka-*.so.1"))[0])')"
  mkdir -p "$dir"
  ln -sf "$lib" "$dir/librdkafka.so.1"
  echo "$dir"
}

if [[ "${1:-}" == "--library-dir" ]]; then library_dir; exit 0; fi
principal="${UNISETTLE_KAFKA_PRINCIPAL:-operator}"
set -a; source "$STACK/env"; set +a
password="$(sed -n "s/^$principal=//p" "$UNISETTLE_KAFKA_CREDENTIALS")"
[[ -n "$password" ]] || { echo "no credential for $principal in $UNISETTLE_KAFKA_CREDENTIALS" >&2; exit 1; }
LD_LIBRARY_PATH="$(library_dir)" exec kcat -b "$KAFKA_BOOTSTRAP_SERVERS" \
  -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=SCRAM-SHA-512 \
  -X sasl.username="$principal" -X sasl.password="$password" "$@"
