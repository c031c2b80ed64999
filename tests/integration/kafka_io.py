"""Producing to and reading back from the real broker in tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from contracts.envelope import Envelope
from contracts.topics import Topic, with_prefix
from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.messaging.provisioning import PARTITIONS

Message = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]  # key, value (None: tombstone), headers


async def produce(kafka: KafkaAccess, topic: str, messages: Sequence[Message | Envelope]) -> None:
    """Publish in order; envelopes are keyed by aggregate id like the relay does."""
    producer = AIOKafkaProducer(**kafka.aiokafka(), enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = []
        for message in messages:
            key: bytes | None
            value: bytes | None
            headers: list[tuple[str, bytes]]
            if isinstance(message, Envelope):
                key, value, headers = message.aggregate_id.encode(), message.to_bytes(), []
            else:
                key, value, headers = message
            futures.append(await producer.send(topic, value, key=key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_topic(
    kafka: KafkaAccess, topic: str, *, at_least: int, timeout: float = 30
) -> list[ConsumerRecord]:
    """Every record of `topic` from the beginning, once at least `at_least` have arrived."""
    consumer = AIOKafkaConsumer(
        topic, **kafka.aiokafka(), auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < at_least:
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: {len(records)} records after {timeout}s, wanted {at_least}")
            batch = await consumer.getmany(timeout_ms=200)
            for tp_records in batch.values():
                records.extend(tp_records)
        # Anything else already there (e.g. unexpected duplicates) must be seen too.
        batch = await consumer.getmany(timeout_ms=500)
        for tp_records in batch.values():
            records.extend(tp_records)
    finally:
        await consumer.stop()
    return records


# The topics the supplier-profile stream worker reads.
SOURCES = (Topic.ORDERS_EVENTS, Topic.REFUNDS_EVENTS, Topic.SETTLEMENT_EVENTS)


def lagging(kafka: KafkaAccess, prefix: str, group: str = "profiles") -> dict[str, tuple[int, int]]:
    """The source partitions the stream worker's group has not committed to their end: committed, end."""
    admin = AdminClient(kafka.librdkafka())
    request = ConsumerGroupTopicPartitions(with_prefix(prefix, group))
    [future] = admin.list_consumer_group_offsets([request]).values()
    found = {(tp.topic, tp.partition): tp.offset for tp in future.result(timeout=30).topic_partitions or []}
    consumer = Consumer({**kafka.librdkafka(), "group.id": f"{prefix}{group}-test-watermarks"})
    try:
        behind = {}
        for topic in SOURCES:
            name = with_prefix(prefix, topic.value)
            for p in range(PARTITIONS):
                _, end = consumer.get_watermark_offsets(TopicPartition(name, p), timeout=30)
                done = max(found.get((name, p), 0), 0)
                if done != end:
                    behind[f"{name}/{p}"] = (done, end)
        return behind
    finally:
        consumer.close()
