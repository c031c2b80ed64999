"""Postgres repositories and queries of the refunds service."""
