"""Prometheus metrics shared by every service; each process exposes them on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPLIED = Counter(
    "unisettle_events_applied_total", "Events whose effects were committed", ["consumer"]
)
EVENTS_DUPLICATE = Counter(
    "unisettle_events_duplicate_total", "Redelivered events recognised and skipped", ["consumer"]
)
EVENTS_IGNORED = Counter(
    "unisettle_events_ignored_total", "Events of types this consumer does not handle", ["consumer"]
)
DEAD_LETTERS = Counter(
    "unisettle_dead_letters_total", "Poison events sent to the DLQ", ["consumer", "reason_code"]
)
CONSUMER_BATCHES = Counter(
    "unisettle_consumer_transactions_total",
    "Postgres transactions committed by consumers",
    ["consumer"],
)
CONSUMER_RETRIES = Counter(
    "unisettle_consumer_retries_total", "Batches retried after a transient failure", ["consumer"]
)
CONSUMER_ISOLATIONS = Counter(
    "unisettle_consumer_isolations_total",
    "Polls applied again one event at a time after an event was refused by raising or a database"
    " constraint fired",
    ["consumer"],
)
BATCH_SECONDS = Histogram("unisettle_consumer_batch_seconds", "Time to apply one batch", ["consumer"])
OUTBOX_PUBLISHED = Counter("unisettle_outbox_published_total", "Outbox rows published to Kafka", ["relay"])
OUTBOX_BACKLOG = Gauge("unisettle_outbox_backlog", "Unsent outbox rows seen by the relay", ["relay"])
