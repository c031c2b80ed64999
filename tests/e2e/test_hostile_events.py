"""Malformed and oversized events published straight to every topic the services consume: no
consumer crashes, each keeps every one of them as a dead letter with its reason (and republishes
it to the topic's DLQ), and the system goes on settling purchases."""

from __future__ import annotations

import asyncio
import base64
import json

import asyncpg
import pytest

from contracts.topics import Topic, replay_topic, with_prefix
from plumbing.messaging.poison import MAX_EVENT_BYTES
from plumbing.messaging.provisioning import PARTITIONS
from services.invoices.events import EVENTS as INVOICES
from services.orders.events import EVENTS as ORDERS
from services.refunds.events import EVENTS as REFUNDS
from services.settlement.events import EVENTS as SETTLEMENT
from services.suppliers.events import EVENTS as SUPPLIERS
from tests.e2e.flow import Flow, checks_pass
from tests.e2e.processes import ServiceProcess, quiet
from tests.e2e.test_operator_cli import unisettle
from tests.factories import reservation
from tests.integration.kafka_io import Message, lagging, produce, read_topic
from tests.kcat import kcat_produce
from tests.stack import Stack, eventually

pytestmark = pytest.mark.e2e
# A record just under the broker's limit (1 MiB): its dead letter's copy must still be publishable.
NEAR_THE_BROKER_LIMIT = 1_000_000
CONSUMERS = {
    "orders": ORDERS.topics,
    "settlement": SETTLEMENT.topics,
    "suppliers": SUPPLIERS.topics,
    "refunds": REFUNDS.topics,
    "invoices": INVOICES.topics,
}


async def worker_read_to_the_end(stack: Stack, prefix: str) -> bool:
    return not await asyncio.to_thread(lagging, stack.kafka, prefix)


def hostile() -> dict[str, bytes | None]:
    """Each kind of poison, by the reason a consumer must give for it."""
    good = json.loads(reservation(1).to_bytes())
    return {
        "malformed_json": b"\x00\xff{not json",
        "invalid_envelope": b'{"event_id": "not-a-uuid", "payload": []}',
        "unknown_event_type": json.dumps({**good, "event_type": "settlement.Exploded"}).encode(),
        "invalid_payload": json.dumps({**good, "payload": {"order_id": ["O-1"], "amount": -5}}).encode(),
        "oversized": json.dumps({**good, "payload": {"note": "x" * (MAX_EVENT_BYTES + 1)}}).encode(),
        "empty_value": None,
        "unexpected_producer": json.dumps({**good, "producer": "intruder"}).encode(),
    }


async def test_poison_on_every_topic_ends_in_the_dlq_and_trade_goes_on(
    flow: Flow, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str
) -> None:
    for topic in Topic:
        records: list[Message] = [(b"hostile", value, []) for value in hostile().values()]
        await produce(stack.kafka, with_prefix(topic_prefix, topic.value), records)

    expected = {
        (name, with_prefix(topic_prefix, topic.value), code)
        for name, topics in CONSUMERS.items()
        for topic in topics
        for code in hostile()
    }

    async def kept() -> set[tuple[str, str, str]]:
        found: set[tuple[str, str, str]] = set()
        for name, service in services.items():
            conn = await asyncpg.connect(service.dsn)
            try:
                rows = await conn.fetch("select topic, reason_code from dead_letters")
            finally:
                await conn.close()
            found |= {(name, r["topic"], r["reason_code"]) for r in rows}
        return found

    async def all_kept() -> bool:
        return expected <= await kept()

    try:
        await eventually(all_kept, timeout=60, what="every consumer to dead-letter every poison record")
    finally:
        found = await kept()
        assert found == expected, {
            "missing": sorted(expected - found),
            "unexpected": sorted(found - expected),
        }

    # republished for operators: the orders.events DLQ has each of its consumers' letters
    orders_events = with_prefix(topic_prefix, Topic.ORDERS_EVENTS.value)
    readers = ("settlement", "refunds", "invoices")
    dlq = await read_topic(
        stack.kafka, f"{orders_events}.dlq", at_least=len(readers) * len(hostile()), timeout=60
    )
    reasons = {(dict(r.headers)["dlq.consumer"], dict(r.headers)["dlq.reason_code"]) for r in dlq}
    assert reasons == {(c.encode(), code.encode()) for c in readers for code in hostile()}

    # nobody crashed, and purchases still settle
    for service in services.values():
        assert service.process is not None and service.process.returncode is None
    await flow.completed_order()
    await checks_pass(services)


@pytest.mark.profiles_worker
async def test_headers_of_any_shape_never_wedge_a_consumer(
    flow: Flow, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str
) -> None:
    """On every partition of every topic, from an outside client: a record whose headers are only
    names (null values), then one whose header name is not UTF-8 (the Kafka client cannot parse
    it at all) — once the first is committed, the second sits at the committed offset — and
    records with NUL in a header and with JSON nested too deep for any parser. Every consumer,
    the stream worker's included, dead-letters each and moves on."""
    deep = b'{"a":' * 3000 + b"1" + b"}" * 3000
    for topic in Topic:
        physical = with_prefix(topic_prefix, topic.value)
        for partition in range(PARTITIONS):
            odd = (b"traceparent", b"dlq.replay_for")
            await kcat_produce(stack.kafka, physical, b"\x00\xffnot json", headers=odd, partition=partition)
            unparseable = (b"\xff\xfe=x",)
            value = reservation(2).to_bytes()
            await kcat_produce(stack.kafka, physical, value, headers=unparseable, partition=partition)
        await produce(stack.kafka, physical, [(b"k", deep, []), (b"k", b"[1]", [("n\x00ul", b"\x00")])])
        await produce(stack.kafka, physical, [(b"k", b"x" * NEAR_THE_BROKER_LIMIT, [])])

    expected = {
        (name, with_prefix(topic_prefix, topic.value), code)
        for name, topics in CONSUMERS.items()
        for topic in topics
        for code in ("malformed_json", "malformed_headers", "invalid_envelope", "oversized")
    }

    async def kept() -> set[tuple[str, str, str]]:
        found: set[tuple[str, str, str]] = set()
        for name, service in services.items():
            if name not in CONSUMERS:
                continue  # the stream worker keeps no database: its refusals are on the DLQ topics
            conn = await asyncpg.connect(service.dsn)
            try:
                rows = await conn.fetch("select topic, reason_code, headers from dead_letters")
            finally:
                await conn.close()
            for r in rows:
                if r["reason_code"] == "malformed_json" and "dlq.replay_for" in r["headers"]:
                    # the null-valued headers were kept as they came
                    assert json.loads(r["headers"]) == [["traceparent", None], ["dlq.replay_for", None]]
            found |= {(name, r["topic"], r["reason_code"]) for r in rows}
        return found

    async def all_kept() -> bool:
        return expected <= await kept()

    try:
        await eventually(all_kept, timeout=60, what="every consumer to dead-letter both records")
    finally:
        assert await kept() == expected

    # an operator sees the true bytes of what could not be read, and the headers as they came
    conn = await asyncpg.connect(services["settlement"].dsn)
    try:
        letter = await conn.fetchval(
            """select min(id) from dead_letters where reason_code = 'malformed_json'
               and headers::text like '%dlq.replay_for%'"""
        )
        per_partition = await conn.fetchval(
            "select count(*) from dead_letters where reason_code = 'malformed_headers'"
        )
    finally:
        await conn.close()
    code, out, err = await unisettle(
        "dlq", "show", str(letter), "--service", "settlement", "--dsn", services["settlement"].dsn
    )
    assert code == 0, err
    printed = json.loads(out)
    assert base64.b64decode(printed["value_base64"]) == b"\x00\xffnot json"
    assert printed["headers"] == [
        {"name": "traceparent", "value": None},
        {"name": "dlq.replay_for", "value": None},
    ]
    assert per_partition == PARTITIONS * len(SETTLEMENT.topics)

    # every partition moved on past them: nothing is left unconsumed, the stream worker is alive
    # and has read its topics to the end, and trade goes on
    await eventually(lambda: quiet(services, stack, topic_prefix), timeout=60, what="no consumer lag")
    await eventually(
        lambda: worker_read_to_the_end(stack, topic_prefix), timeout=90, what="the profile worker's lag 0"
    )
    for service in services.values():
        assert service.process is not None and service.process.returncode is None
    await flow.completed_order()
    await checks_pass(services)


async def test_a_dead_letter_replayed_from_the_command_line_comes_back_to_its_consumer(
    services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str
) -> None:
    """`unisettle dlq replay` sends the refused record to the consumer's own replay topic, under
    the deployment's topic prefix; unreadable still, it is refused again there — and only there."""
    settlement = services["settlement"]
    orders_events = with_prefix(topic_prefix, Topic.ORDERS_EVENTS.value)
    await produce(stack.kafka, orders_events, [(b"O-1", b"\x00not json", [])])

    async def letters() -> list[tuple[int, str, str]]:
        conn = await asyncpg.connect(settlement.dsn)
        try:
            rows = await conn.fetch("select id, topic, reason_code from dead_letters order by id")
        finally:
            await conn.close()
        return [(r["id"], r["topic"], r["reason_code"]) for r in rows]

    async def count_is(n: int) -> bool:
        return len(await letters()) == n

    await eventually(lambda: count_is(1), timeout=60, what="settlement to refuse the record")
    [(letter, topic, code)] = await letters()
    assert (topic, code) == (orders_events, "malformed_json")
    replayed = await unisettle(
        "dlq",
        "replay",
        str(letter),
        "--service",
        "settlement",
        "--dsn",
        settlement.dsn,
        "--by",
        "ops-1",
        "--reason",
        "to see it come back",
        env={"UNISETTLE_TOPIC_PREFIX": topic_prefix},
    )
    assert replayed[0] == 0, replayed[2]
    await eventually(lambda: count_is(2), timeout=60, what="the replay to come back to settlement")
    assert (await letters())[1][1:] == (
        with_prefix(topic_prefix, replay_topic("settlement")),
        "malformed_json",
    )
