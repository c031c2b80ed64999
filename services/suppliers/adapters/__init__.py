"""Postgres repositories and queries of the suppliers service."""
