"""Readiness probes used by deploy/stack.sh: a real Kafka produce/consume round trip, through
every broker's metadata, as the principal of UNISETTLE_KAFKA_USERNAME/_PASSWORD when set
(the stack's brokers authenticate every client).

Usage: python deploy/readiness.py kafka HOST:PORT[,HOST:PORT...] [--timeout SECONDS]
Exit 0 once the round trip succeeds, 1 when the timeout passes first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from plumbing.settings import StackSettings

TOPIC = "unisettle.readiness"


def client_options(bootstrap: str) -> dict[str, Any]:
    """As the tool's principal (UNISETTLE_KAFKA_USERNAME/_PASSWORD), as every UniSettle tool."""
    return StackSettings(kafka_bootstrap_servers=bootstrap).operator_kafka().aiokafka()


async def ensure_topic(options: dict[str, Any], expected_brokers: int) -> None:
    admin = AIOKafkaAdminClient(**options, request_timeout_ms=5000)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
        if len(cluster["brokers"]) < expected_brokers:
            raise RuntimeError(f"{len(cluster['brokers'])} of {expected_brokers} brokers are up")
        if TOPIC not in await admin.list_topics():
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(TOPIC, 1, min(3, expected_brokers))])
    finally:
        await admin.close()


async def kafka_round_trip(bootstrap: str) -> None:
    options = client_options(bootstrap)
    await ensure_topic(options, len(bootstrap.split(",")))
    marker = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(**options, request_timeout_ms=5000, acks="all")
    try:
        await producer.start()
        meta = await producer.send_and_wait(TOPIC, marker, partition=0)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False)
    try:
        await consumer.start()
        tp = TopicPartition(TOPIC, 0)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        records = await consumer.getmany(tp, timeout_ms=5000)
        values = [r.value for r in records.get(tp, [])]
        if marker not in values:
            raise RuntimeError("produced marker was not consumed back")
    finally:
        await consumer.stop()


async def wait_kafka(bootstrap: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            await asyncio.wait_for(kafka_round_trip(bootstrap), timeout=15)
            return True
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
            if time.monotonic() >= deadline:
                print(f"kafka not ready: {exc!r}", file=sys.stderr)
                return False
            await asyncio.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["kafka"])
    parser.add_argument("endpoint")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # aiokafka's retries are expected while the broker boots
    ok = asyncio.run(wait_kafka(args.endpoint, args.timeout))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
