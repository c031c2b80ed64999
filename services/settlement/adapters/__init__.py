"""Postgres repositories and queries of the settlement service."""
