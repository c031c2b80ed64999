"""Duplicates and replays across the whole system: every topic published again in full, and every
consumer group reset to the beginning with its dedup memory wiped (a replay older than the dedup
window), change no balance, no order, no refund case, no supplier, and emit nothing."""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata

from contracts.topics import Topic
from tests.e2e.flow import Flow, checks_pass
from tests.e2e.processes import ServiceProcess, quiet
from tests.e2e.state import snapshot
from tests.e2e.test_money_flow import ALICE, OPS, ok
from tests.integration.kafka_io import Message, produce
from tests.stack import Stack, eventually, kafka_admin

pytestmark = pytest.mark.e2e
TOPICS = [t.value for t in Topic if t.value.endswith(".events") or t is Topic.ORDERS_COMMANDS]


async def everything_on(stack: Stack, topic: str) -> list[Message]:
    async with kafka_admin(stack) as admin:
        if topic not in await admin.list_topics():
            return []
    consumer = AIOKafkaConsumer(
        topic, **stack.kafka.aiokafka(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await eventually(lambda: _assigned(consumer), timeout=10, what=f"{topic} partitions")
        partitions = list(consumer.assignment())
        ends = await consumer.end_offsets(partitions)
        records: list[Message] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                records += [(r.key, r.value, list(r.headers)) for r in batch if r.value is not None]
        return records
    finally:
        await consumer.stop()


async def _assigned(consumer: AIOKafkaConsumer) -> bool:
    return bool(consumer.assignment())


async def republish_everything(stack: Stack, prefix: str) -> int:
    sent = 0
    for topic in TOPICS:
        records = await everything_on(stack, prefix + topic)
        await produce(stack.kafka, prefix + topic, records)
        sent += len(records)
    return sent


async def rewind(stack: Stack, group: str) -> None:
    """Commit the earliest offset of every partition the group reads (the group must be idle; a
    service that consumes nothing has no group)."""
    async with kafka_admin(stack) as admin:
        committed = list(await admin.list_consumer_group_offsets(group))
    if not committed:
        return
    consumer = AIOKafkaConsumer(**stack.kafka.aiokafka(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        starts = await consumer.beginning_offsets(committed)
        consumer.assign(committed)
        await consumer.commit({tp: OffsetAndMetadata(starts[tp], "") for tp in committed})
    finally:
        await consumer.stop()


async def test_republishing_and_rewinding_every_topic_changes_nothing(
    flow: Flow, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str
) -> None:
    http = flow.http
    refunded = await flow.completed_order()
    await flow.refund(refunded, 1_000)
    await flow.completed_order(quantity=2)
    cancelled = await flow.paid_order(quantity=1)
    ok(
        await http.post(
            f"{flow.orders}/v1/orders/{cancelled}/cancel", headers=ALICE, json={"reason": "ordered twice"}
        )
    )
    await flow.order(cancelled, "CANCELLED")
    ok(await http.post(f"{flow.settlement}/v1/payouts/runs", headers=OPS))
    await eventually(lambda: quiet(services, stack, topic_prefix), timeout=60, what="the system to settle")
    before = await snapshot(services)

    sent = await republish_everything(stack, topic_prefix)
    assert sent > 30
    await eventually(lambda: quiet(services, stack, topic_prefix), timeout=60, what="the duplicates read")
    assert await snapshot(services) == before

    for service in services.values():
        await service.stop()
        conn = await asyncpg.connect(service.dsn)
        try:
            await conn.execute("delete from processed_events")
        finally:
            await conn.close()
        await rewind(stack, f"{topic_prefix}{service.name}")
    for service in services.values():
        await service.start(stack, topic_prefix)
    for service in services.values():
        await service.wait_ready()
    await eventually(lambda: quiet(services, stack, topic_prefix), timeout=90, what="the rewound groups")
    after = await snapshot(services)
    changed = {
        table: {
            "gone": sorted(set(before[table]) - set(after[table])),
            "new": sorted(set(after[table]) - set(before[table])),
        }
        for table in before
        if before[table] != after[table]
    }
    assert changed == {}, "\n".join(f"{t}: {d}" for t, d in changed.items())
    await checks_pass(services)
