"""The stack in containers, for machines with a Docker engine (testcontainers).

Used only when no endpoints are given and a Docker engine answers; otherwise the tests start
the project's local stack (deploy/stack.sh), which needs no Docker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

KAFKA_IMAGE = "confluentinc/cp-kafka:8.0.0"  # Apache Kafka 4.0 in KRaft mode
POSTGRES_IMAGE = "postgres:15"


def docker_engine_available() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - no client, no socket, no engine: all mean "no Docker"
        return False


@contextlib.contextmanager
def container_stack() -> Iterator[tuple[str, str]]:
    """Yields (Kafka bootstrap servers, Postgres admin DSN) of freshly started containers."""
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with (
        KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka,
        PostgresContainer(
            POSTGRES_IMAGE, username="unisettle", password="unisettle", dbname="postgres", driver=None
        ) as postgres,
    ):
        yield kafka.get_bootstrap_server(), postgres.get_connection_url()
