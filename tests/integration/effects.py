"""A real consumer effect for the messaging tests: each FundsReserved adds a row to `effects`.

The table has no unique key on purpose: an event applied twice shows up as two rows.
"""

from __future__ import annotations

import asyncio

import asyncpg

from contracts.events.settlement import FundsReserved
from contracts.topics import replay_topic, with_prefix
from plumbing.messaging.delivery import Delivery, PoisonEvent
from plumbing.messaging.provisioning import create_topics_now
from tests.stack import Stack

EFFECTS_DDL = """
create table if not exists effects (
    event_id  uuid   not null,
    order_id  text   not null,
    amount    bigint not null,
    trace_id  text,
    applied_by text not null default current_setting('application_name')
)"""


async def create_effects_table(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(EFFECTS_DDL)
    finally:
        await conn.close()


async def record_reservation(conn: asyncpg.Connection, delivery: Delivery) -> None:
    payload = delivery.payload
    assert isinstance(payload, FundsReserved)
    if payload.amount.amount_minor == 0:
        raise PoisonEvent("zero_amount", "an escrow reservation must move money")
    await conn.execute(
        "insert into effects (event_id, order_id, amount, trace_id) values ($1, $2, $3, $4)",
        delivery.envelope.event_id,
        payload.order_id,
        payload.amount.amount_minor,
        delivery.trace.trace_id if delivery.trace else None,
    )


HANDLERS = {FundsReserved.event_type: record_reservation}


async def effect_count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count: int = await conn.fetchval("select count(*) from effects")
        return count
    finally:
        await conn.close()


async def effects_topics(stack: Stack, prefix: str) -> None:
    """The `effects` consumer's replay topic (the deployment's own topics come with the prefix)."""
    await asyncio.to_thread(create_topics_now, stack.kafka, [with_prefix(prefix, replay_topic("effects"))])
