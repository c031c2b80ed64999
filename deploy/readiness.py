"""Readiness probes used by deploy/stack.sh: a real Kafka produce/consume round trip.

Usage: python deploy/readiness.py kafka HOST:PORT [--timeout SECONDS]
Exit 0 once the round trip succeeds, 1 when the timeout passes first.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

TOPIC = "unisettle.readiness"


async def kafka_round_trip(bootstrap: str) -> None:
    marker = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await producer.start()
        meta = await producer.send_and_wait(TOPIC, marker, partition=0)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
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
