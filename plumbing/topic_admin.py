"""Creating the topics a service uses, with the partition count we key by, before consuming."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from contracts.topics import Topic, dead_letter_topic, with_prefix

PARTITIONS = 6


def service_topics(prefix: str, topics: Iterable[Topic]) -> list[str]:
    """Physical names of the given topics and their dead-letter topics."""
    names: list[str] = []
    for topic in topics:
        names += [
            with_prefix(prefix, topic.value),
            dead_letter_topic(with_prefix(prefix, topic.value)),
        ]
    return names


async def ensure_topics(bootstrap_servers: str, names: Iterable[str], partitions: int = PARTITIONS) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        if not missing:
            return
        with contextlib.suppress(TopicAlreadyExistsError):  # another process created them first
            await admin.create_topics(
                [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in missing]
            )
    finally:
        await admin.close()
