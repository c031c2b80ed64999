"""Postgres repositories and queries of the orders service."""
