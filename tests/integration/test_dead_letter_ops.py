"""Operators list, inspect, replay and discard dead letters; a replay reaches only the consumer
that refused the event, and is applied once."""

from __future__ import annotations

import asyncpg
import pytest

from contracts.topics import Topic, with_prefix
from plumbing.messaging.appliers import HandlerTable
from plumbing.messaging.consumer import BatchConsumer
from plumbing.messaging.delivery import Delivery, PoisonEvent
from plumbing.messaging.outbox import Outbox
from plumbing.messaging.relay import OutboxRelay
from plumbing.ops import dead_letters as ops
from tests.factories import reservation
from tests.integration.conftest import running
from tests.integration.effects import HANDLERS, effect_count, effects_topics
from tests.integration.kafka_io import produce
from tests.integration.test_idempotent_consumer import make_consumer
from tests.stack import Stack, eventually

pytestmark = pytest.mark.integration


async def test_a_fixed_bug_lets_an_operator_replay_the_dead_letter_once(
    stack: Stack, pool: asyncpg.Pool, messaging_db: str, topic_prefix: str
) -> None:
    topic = with_prefix(topic_prefix, Topic.SETTLEMENT_EVENTS.value)
    await effects_topics(stack, topic_prefix)
    bug = {"present": True}

    async def buggy(conn: asyncpg.Connection, delivery: Delivery) -> None:
        if bug["present"]:
            raise PoisonEvent("handler_bug", "a rule that should not have refused this")
        await HANDLERS[delivery.envelope.event_type](conn, delivery)

    consumer = make_consumer(stack, pool, topic_prefix)
    consumer.applier = HandlerTable({name: buggy for name in HANDLERS})
    bystander: BatchConsumer = make_consumer(stack, pool, topic_prefix)
    bystander.name, bystander.group_id = "bystander", f"{topic_prefix}bystander"
    bystander.applier = HandlerTable(
        {name: buggy for name in HANDLERS}
    )  # it would refuse too, if it saw the replay
    relay = OutboxRelay(name="dlq-test", dsn=messaging_db, kafka=stack.kafka)
    async with running(consumer.run), running(bystander.run), running(relay.run):
        await produce(stack.kafka, topic, [reservation(1, 700)])

        async def dead_lettered() -> bool:
            return consumer.stats.dead_lettered == 1 and bystander.stats.dead_lettered == 1

        await eventually(dead_lettered, what="both consumers to refuse the event")
        async with pool.acquire() as conn:
            letters = await ops.list_letters(conn)
            mine = next(x for x in letters if x.consumer == "effects")
            assert mine.reason_code == "handler_bug" and mine.resolution is None
            assert (await ops.show(conn, mine.id))["event_type"] == "settlement.FundsReserved"

            bug["present"] = False  # the fix is deployed
            await ops.resolve(conn, Outbox(topic_prefix), mine.id, "replayed", "ops-1", "fixed in 1.4.2")
            with pytest.raises(ops.DeadLetterError) as caught:
                await ops.resolve(conn, Outbox(topic_prefix), mine.id, "discarded", "ops-1", "twice")
            assert caught.value.code == "already_resolved"

        async def applied() -> bool:
            return await effect_count(messaging_db) == 1

        await eventually(applied, what="the replayed event to apply")

    assert bystander.stats.applied == 0  # the replay was not for it
    async with pool.acquire() as conn:
        other = next(x for x in await ops.list_letters(conn) if x.consumer == "bystander")
        await ops.resolve(
            conn, Outbox(topic_prefix), other.id, "discarded", "ops-1", "duplicate of the replay"
        )
        resolved = await conn.fetch(
            "select consumer, resolution, resolved_by, resolution_reason from dead_letters order by consumer"
        )
        audited = await conn.fetch("select actor_id, action, reason, after from audit_log order by id")
    assert [tuple(r) for r in resolved] == [
        ("bystander", "discarded", "ops-1", "duplicate of the replay"),
        ("effects", "replayed", "ops-1", "fixed in 1.4.2"),
    ]
    assert [(r["actor_id"], r["action"], r["reason"]) for r in audited] == [  # the audit trail has both
        ("ops-1", "dead_letter.replayed", "fixed in 1.4.2"),
        ("ops-1", "dead_letter.discarded", "duplicate of the replay"),
    ]
