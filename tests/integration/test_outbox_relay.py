"""The transactional outbox and its relay against the real broker and database."""

from __future__ import annotations

import asyncpg
import pytest

from contracts.topics import Topic, with_prefix
from plumbing.messaging.outbox import Outbox
from plumbing.messaging.relay import OutboxRelay
from plumbing.ops.tracing import TraceContext, current_trace
from tests.factories import reservation
from tests.integration.conftest import running
from tests.integration.kafka_io import read_topic
from tests.stack import Stack, eventually

pytestmark = pytest.mark.integration


class Boom(Exception):
    pass


async def all_sent(pool: asyncpg.Pool) -> bool:
    return await pool.fetchval("select count(*) = 0 from outbox where sent_at is null")  # type: ignore[no-any-return]


async def test_a_rolled_back_outbox_row_is_never_published(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    outbox = Outbox(topic_prefix)
    rolled_back, committed = reservation(1), reservation(2)
    with pytest.raises(Boom):
        async with pool.acquire() as conn, conn.transaction():
            await outbox.append(conn, [rolled_back])
            raise Boom
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, [committed])

    relay = OutboxRelay(name="test", dsn=messaging_db, kafka=stack.kafka)
    async with running(relay.run):
        await eventually(lambda: all_sent(pool), what="the committed row to be sent")

    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    records = await read_topic(stack.kafka, topic, at_least=1)
    assert [r.key for r in records] == [committed.aggregate_id.encode()]
    assert all(b"O-000001" not in r.value for r in records)


async def test_committed_rows_are_published_in_order_with_their_traceparent(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    outbox = Outbox(topic_prefix)
    trace = TraceContext.new()
    token = current_trace.set(trace)
    try:
        for n in range(5):  # five transactions, 40 events of one aggregate each
            async with pool.acquire() as conn, conn.transaction():
                events = [reservation(7, amount_minor=n * 100 + i + 1) for i in range(40)]
                await outbox.append(conn, events)
    finally:
        current_trace.reset(token)

    relay = OutboxRelay(name="test", dsn=messaging_db, kafka=stack.kafka)
    async with running(relay.run):
        await eventually(lambda: all_sent(pool), what="all rows to be sent")

    records = await read_topic(stack.kafka, with_prefix(topic_prefix, "settlement.events"), at_least=200)
    assert len(records) == 200
    amounts = [int(r.value.split(b'"amount_minor":')[1].split(b",")[0]) for r in records]
    assert amounts == [n * 100 + i + 1 for n in range(5) for i in range(40)]
    parents = {TraceContext.parse(dict(r.headers)["traceparent"]) for r in records}
    assert {p.trace_id for p in parents if p} == {trace.trace_id}


async def test_relay_purges_sent_rows_after_their_retention(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await Outbox(topic_prefix).append(conn, [reservation(1), reservation(2)])
        await conn.execute(
            "insert into processed_events (consumer, event_id, processed_at) "
            "values ('old', gen_random_uuid(), now() - interval '30 days'), ('new', gen_random_uuid(), now())"
        )
    relay = OutboxRelay(name="test", dsn=messaging_db, kafka=stack.kafka)
    async with running(relay.run):
        await eventually(lambda: all_sent(pool), what="rows to be sent")
    await pool.execute(
        "update outbox set created_at = now() - interval '2 days', sent_at = now() - interval '2 days'"
        " where id = (select min(id) from outbox)"
    )

    conn = await asyncpg.connect(messaging_db)
    try:
        purged = await relay.purge(conn)
    finally:
        await conn.close()

    assert purged == (1, 0)  # the 30-day-old dedup row went at the relay's first purge
    assert await pool.fetchval("select count(*) from outbox") == 1
    assert await pool.fetchval("select array_agg(consumer) from processed_events") == ["new"]
