"""The supplier-profile stream worker on the real broker: a scripted history of orders, refunds,
a dispute and payouts gives the hand-computed figures; they are the same after the worker is
SIGKILLed and restarted (its tables read back from their changelogs), after every source event is
read again by the same worker (a replay), and when a new generation rebuilds them from nothing."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from contracts.envelope import Envelope
from contracts.events import orders, refunds, settlement
from contracts.events.base import EventPayload
from contracts.events.common import Actor, BudgetCategory
from contracts.money import Money
from contracts.topics import OWNERS, Topic, with_prefix
from plumbing.messaging.provisioning import PARTITIONS
from tests.e2e.processes import free_port, spawn
from tests.integration.kafka_io import SOURCES, lagging, produce, read_topic
from tests.kcat import kcat_produce
from tests.stack import Stack, eventually

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # the profile is asked for as of this moment
BUYER, SUPPLIER, OPS = (
    Actor(user_id="alice", role="researcher"),
    "SUP-004",
    Actor(user_id="ops-1", role="platform_ops"),
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class History:
    """Events as the services publish them: each from its topic's owner, keyed by grant."""

    def __init__(self) -> None:
        self.events: dict[Topic, list[tuple[bytes, bytes, list[tuple[str, bytes]]]]] = {}
        self.versions: dict[str, int] = {}

    def add(self, payload: EventPayload, when: str, *, aggregate: str, grant: str, tenant: str) -> None:
        self.versions[aggregate] = self.versions.get(aggregate, 0) + 1
        envelope = Envelope.of(
            payload,
            producer=OWNERS[payload.topic],
            aggregate_id=aggregate,
            aggregate_version=self.versions[aggregate],
            tenant_id=tenant,
            correlation_id=aggregate,
            occurred_at=at(when),
        )
        self.events.setdefault(payload.topic, []).append((grant.encode(), envelope.to_bytes(), []))

    def order(
        self,
        order_id: str,
        tenant: str,
        value: int,
        placed: str,
        *,
        shipped: str | None = None,
        received: str | None = None,
        auto: bool = False,
        cancelled: str | None = None,
    ) -> None:
        grant = f"G-{tenant}"
        add: Callable[[EventPayload, str], None] = lambda p, w: self.add(  # noqa: E731
            p, w, aggregate=order_id, grant=grant, tenant=tenant
        )
        line = orders.OrderLine(
            listing_id="L-1",
            sku="CS-0002",
            listing_version=1,
            name="Pipette tips 200 µL",
            category=BudgetCategory.CONSUMABLES,
            unit="box",
            quantity=1,
            unit_price_minor=value,
            line_total_minor=value,
        )
        add(
            orders.OrderPlaced(
                order_id=order_id,
                checkout_id=f"CK-{order_id}",
                grant_id=grant,
                buyer=BUYER,
                supplier_id=SUPPLIER,
                lines=[line],
                total=Money.cny(value),
            ),
            placed,
        )
        ship_by = at(placed) + timedelta(days=2)
        add(
            orders.OrderPaid(
                order_id=order_id, supplier_id=SUPPLIER, amount=Money.cny(value), ship_by=ship_by
            ),
            placed,
        )
        if shipped:
            confirm_at = at(shipped) + timedelta(days=10)
            add(
                orders.OrderShipped(order_id=order_id, supplier_id=SUPPLIER, auto_confirm_at=confirm_at),
                shipped,
            )
        if received:
            add(
                orders.OrderReceived(
                    order_id=order_id,
                    supplier_id=SUPPLIER,
                    grant_id=grant,
                    confirmed_by=BUYER,
                    auto_confirmed=auto,
                    amount=Money.cny(value),
                ),
                received,
            )
        if cancelled:
            add(
                orders.OrderCancelled(
                    order_id=order_id,
                    grant_id=grant,
                    cancelled_by=BUYER,
                    reason_code=orders.CancelReason.BUYER_CANCELLED,
                ),
                cancelled,
            )

    def refund(
        self, order_id: str, tenant: str, amount: int, requested: str, completed: str, *, dispute: bool
    ) -> None:
        refund_id, grant = f"R-{order_id}", f"G-{tenant}"

        def add(payload: EventPayload, when: str) -> None:
            self.add(payload, when, aggregate=refund_id, grant=grant, tenant=tenant)

        add(
            refunds.RefundRequested(
                refund_id=refund_id,
                order_id=order_id,
                supplier_id=SUPPLIER,
                grant_id=grant,
                requested_by=BUYER,
                amount=Money.cny(amount),
                reason_code="damaged",
                reason="box crushed",
                goods_return_required=False,
                seller_deadline=at(requested) + timedelta(days=2),
            ),
            requested,
        )
        if dispute:
            add(
                refunds.RefundEscalated(
                    refund_id=refund_id, order_id=order_id, escalated_by=BUYER, reason="refused"
                ),
                requested,
            )
            add(
                refunds.DisputeResolved(
                    refund_id=refund_id,
                    order_id=order_id,
                    decided_by=OPS,
                    decision=refunds.DisputeDecision.PARTIAL_REFUND,
                    awarded=Money.cny(amount),
                    reason="half the box was usable",
                ),
                completed,
            )
        add(
            refunds.RefundCompleted(
                refund_id=refund_id,
                order_id=order_id,
                amount=Money.cny(amount),
                source=settlement.RefundSource.ESCROW,
                agreed_at=at(requested),
                settled_at=at(completed),
            ),
            completed,
        )

    def payout(self, payout_id: str, amount: int, when: str, *, failed: bool = False) -> None:
        payload: EventPayload = (
            settlement.PayoutFailed(
                payout_id=payout_id,
                supplier_id=SUPPLIER,
                amount=Money.cny(amount),
                reason_code="bank_rejected",
            )
            if failed
            else settlement.PayoutSettled(
                payout_id=payout_id, supplier_id=SUPPLIER, amount=Money.cny(amount), bank_reference="BK1"
            )
        )
        self.add(payload, when, aggregate=payout_id, grant=payout_id, tenant="platform")


def scripted() -> History:
    h = History()
    h.order(
        "O-1", "tsinghua", 10_000, "2026-11-20T08:00", shipped="2026-11-21T08:00", received="2026-11-23T08:00"
    )
    h.order(  # shipped a day late; confirmed by the timer; partly refunded after a dispute
        "O-2",
        "tsinghua",
        20_000,
        "2026-11-25T09:00",
        shipped="2026-11-28T09:00",
        received="2026-11-29T09:00",
        auto=True,
    )
    h.refund("O-2", "tsinghua", 3_000, "2026-11-29T10:00", "2026-11-29T18:00", dispute=True)
    h.order("O-3", "pku", 5_000, "2026-11-26T10:00")  # never shipped: late since 11-28
    h.order("O-4", "pku", 7_000, "2026-10-01T10:00", shipped="2026-10-01T22:00", received="2026-10-05T10:00")
    h.refund("O-4", "pku", 7_000, "2026-10-06T10:00", "2026-10-07T10:00", dispute=False)
    h.order(
        "O-5", "tsinghua", 4_000, "2026-11-27T10:00", cancelled="2026-11-27T12:00"
    )  # the buyer changed mind
    h.payout("P-1", 9_940, "2026-11-24T10:00")
    h.payout("P-2", 5_000, "2026-11-29T10:00", failed=True)
    return h


# Hand-computed (module doc of services.profiles.figures for the rules and the score's weights).
LAST_30_DAYS = {
    "days": 30,
    "orders": 4,  # O-1, O-2, O-3, O-5
    "order_value_minor": 39_000,
    "ship_on_time_rate": 0.3333,  # due: O-1 (on time), O-2 (late), O-3 (unshipped past ship-by)
    "shipped_due": 3,
    "median_hours_to_ship": 48.0,  # 24 h and 72 h
    "receipt_confirmed_rate": 1.0,  # 2 of 2 shipped
    "auto_confirmed_share": 0.5,
    "refund_rate_by_count": 0.25,
    "refund_rate_by_value": 0.0769,  # 3,000 / 39,000
    "refunded_minor": 3_000,
    "dispute_rate": 0.25,
    "dispute_outcomes": {"partial_refund": 1},
    "payouts": {"settled": 1, "settled_minor": 9_940, "failed": 1},
    "score": 69.7,  # 100 * (0.35/3 + 0.20 + 0.25 * 36/39 + 0.20 * 0.75) = 69.74
}
LAST_90_DAYS = {
    **LAST_30_DAYS,
    "days": 90,
    "orders": 5,
    "order_value_minor": 46_000,
    "ship_on_time_rate": 0.5,
    "shipped_due": 4,
    "median_hours_to_ship": 24.0,  # 12, 24, 72 h
    "auto_confirmed_share": 0.3333,
    "refund_rate_by_count": 0.4,
    "refund_rate_by_value": 0.2174,  # 10,000 / 46,000
    "refunded_minor": 10_000,
    "dispute_rate": 0.2,
    "score": 73.1,  # 100 * (0.175 + 0.20 + 0.25 * 36/46 + 0.16) = 73.07
}
PKU_90_DAYS = {
    "days": 90,
    "orders": 2,
    "order_value_minor": 12_000,
    "ship_on_time_rate": 0.5,
    "shipped_due": 2,
    "median_hours_to_ship": 12.0,
    "receipt_confirmed_rate": 1.0,
    "auto_confirmed_share": 0.0,
    "refund_rate_by_count": 0.5,
    "refund_rate_by_value": 0.5833,
    "refunded_minor": 7_000,
    "dispute_rate": 0.0,
    "dispute_outcomes": {},
    "score": 67.9,  # 100 * (0.175 + 0.20 + 0.25 * 5/12 + 0.20) = 67.92
}


class Worker:
    def __init__(self, stack: Stack, prefix: str, datadir: Path, generation: int = 1) -> None:
        self.stack, self.prefix, self.datadir, self.generation = stack, prefix, datadir, generation
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {
            **os.environ,
            **self.stack.service_env("profiles"),
            "UNISETTLE_TOPIC_PREFIX": self.prefix,
            "PROFILES_HTTP_PORT": str(self.port),
            "PROFILES_DATADIR": str(self.datadir / f"g{self.generation}-{self.port}"),
            "PROFILES_GENERATION": str(self.generation),
            "PROFILES_LOG_LEVEL": "INFO",  # what it did, in the failure message if it is stuck
        }
        self.process = await spawn(self.datadir / "worker.log", env, "-m", "services.profiles.main")

    async def profile(self, university: str | None = None) -> dict[str, Any]:
        params = {"at": NOW.isoformat(), **({"university": university} if university else {})}
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.get(f"http://127.0.0.1:{self.port}/profiles/{SUPPLIER}/", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def settles_on(self, expected: dict[str, Any], what: str) -> dict[str, Any]:
        seen: dict[str, Any] = {}

        async def there() -> bool:
            assert self.process is not None and self.process.returncode is None, self.log()
            try:
                seen.update(await self.profile())
            except (httpx.HTTPError, AssertionError):
                return False
            return bool(seen["windows"]["90d"] == expected)

        await eventually(there, timeout=120, what=what)
        return seen

    def log(self) -> str:
        return (self.datadir / "worker.log").read_text()[-3000:]

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(sig)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@pytest.fixture
async def worker(stack: Stack, topic_prefix: str, tmp_path: Path) -> AsyncIterator[Worker]:
    running = Worker(stack, topic_prefix, tmp_path)
    await running.start()
    yield running
    await running.stop()


async def caught_up(worker: Worker, stack: Stack, prefix: str, what: str) -> None:
    """Wait until the worker has committed every source partition to its end."""
    behind: dict[str, tuple[int, int]] = {}

    async def done() -> bool:
        behind.clear()
        behind.update(await asyncio.to_thread(lagging, stack.kafka, prefix))
        return not behind

    try:
        await eventually(done, timeout=120, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; (committed, end) behind: {behind}\n{worker.log()}") from exc


def rewind(stack: Stack, prefix: str) -> None:
    """Every source offset of the worker's group back to the first event: a full replay."""
    admin = AdminClient(stack.kafka.librdkafka())
    partitions = [
        TopicPartition(with_prefix(prefix, topic.value), p, 0) for topic in SOURCES for p in range(6)
    ]
    request = ConsumerGroupTopicPartitions(with_prefix(prefix, "profiles"), partitions)
    for future in admin.alter_consumer_group_offsets([request]).values():
        future.result(timeout=30)


async def test_the_profile_is_the_hand_computed_one_and_survives_sigkill_replay_and_rebuild(
    worker: Worker, stack: Stack, topic_prefix: str, tmp_path: Path
) -> None:
    history = scripted()
    orders_topic = with_prefix(topic_prefix, Topic.ORDERS_EVENTS.value)
    poison: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = [
        (b"G-tsinghua", b"]]", [])
    ]  # unreadable: dead-lettered, the agent goes on
    await produce(stack.kafka, orders_topic, poison)
    for partition in range(PARTITIONS):  # a record the Kafka client cannot parse, on every partition
        await kcat_produce(stack.kafka, orders_topic, b"{}", headers=(b"\xff\xfe=x",), partition=partition)
    for topic, messages in history.events.items():
        await produce(stack.kafka, with_prefix(topic_prefix, topic.value), messages)

    first = await worker.settles_on(LAST_90_DAYS, "the scripted history's figures")
    assert first["windows"]["30d"] == LAST_30_DAYS
    assert first["windows"]["365d"] == {**LAST_90_DAYS, "days": 365}
    assert first["universities"] == ["pku", "tsinghua"]
    pku = await worker.profile("pku")
    assert pku["windows"]["90d"] == PKU_90_DAYS and "universities" not in pku
    letters = await read_topic(stack.kafka, f"{orders_topic}.dlq", at_least=1 + PARTITIONS)
    refused = sorted((dict(r.headers)["dlq.reason_code"], dict(r.headers)["dlq.consumer"]) for r in letters)
    assert refused == [(b"malformed_headers", b"profiles-orders_events")] * PARTITIONS + [
        (b"malformed_json", b"profiles-orders_events")
    ]

    await worker.stop(signal.SIGKILL)  # no shutdown: the tables come back from their changelogs
    await worker.start()
    assert (await worker.settles_on(LAST_90_DAYS, "the figures after a SIGKILL"))["windows"] == first[
        "windows"
    ]

    await caught_up(worker, stack, topic_prefix, "the worker to read on to the end after a SIGKILL")

    await worker.stop()
    await asyncio.to_thread(rewind, stack, topic_prefix)  # every event read again onto the same tables
    assert await asyncio.to_thread(lagging, stack.kafka, topic_prefix)  # none read now
    await worker.start()
    await caught_up(worker, stack, topic_prefix, "the worker to read every event again")
    replayed = await worker.settles_on(LAST_90_DAYS, "the figures after a full replay")
    assert replayed["windows"] == first["windows"]

    rebuilt = Worker(stack, topic_prefix, tmp_path, generation=2)  # new tables, from the first event
    await rebuilt.start()
    try:
        assert (await rebuilt.settles_on(LAST_90_DAYS, "a rebuilt generation"))["windows"] == first["windows"]
    finally:
        await rebuilt.stop()


async def test_a_worker_that_has_written_no_fact_yet_answers_an_empty_profile(
    worker: Worker, stack: Stack, topic_prefix: str
) -> None:
    """Its producer has sent only a dead letter, so it knows no table's partitions yet: the page
    still answers (the supplier's partition is found before the request is routed)."""
    orders_topic = with_prefix(topic_prefix, Topic.ORDERS_EVENTS.value)
    await produce(stack.kafka, orders_topic, [(b"G-tsinghua", b"]]", [])])
    await read_topic(stack.kafka, f"{orders_topic}.dlq", at_least=1)

    async def answered() -> bool:
        assert worker.process is not None and worker.process.returncode is None, worker.log()
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.get(f"http://127.0.0.1:{worker.port}/profiles/{SUPPLIER}/")
        assert response.status_code in (200, 503), response.text  # 503 only while it recovers
        return response.status_code == 200

    await eventually(answered, timeout=120, what="the worker to answer")
    body = await worker.profile()
    assert body["windows"]["90d"]["orders"] == 0 and body["windows"]["90d"]["score"] is None
    assert body["universities"] == []
