#!/usr/bin/env bash
# Makes the compose stack's Kafka passwords once, in deploy/.env (git-ignored; compose reads it):
# one per principal of contracts/access.py. Run it before the first `docker compose up`.
set -euo pipefail
ENV_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.env"
[[ -s "$ENV_FILE" ]] && { echo "$ENV_FILE exists; keeping it" >&2; exit 0; }
(umask 077
 for principal in orders settlement suppliers refunds invoices profiles integration operator broker; do
   echo "UNISETTLE_KAFKA_PASSWORD_${principal^^}=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
 done >"$ENV_FILE")
echo "wrote $ENV_FILE" >&2
