"""Shared plumbing for UniSettle's services: database, outbox relay, idempotent consumers,
dead letters, tracing, auth, errors, logs and metrics. No business rules live here."""
