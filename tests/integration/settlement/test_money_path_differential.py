"""The set-based money path against the per-event oracle it replaced, row by row.

Random sequences of money events — placed, received, cancelled, closed, refunds while held and
after release (larger than the order or than asked, sometimes), guarantee advances and their
recovery, duplicates, replays after the dedup memory is wiped, events out of order — over small
budgets and a small guarantee fund so that refusals happen, are applied to two databases through
settlement's consumer: (a) by the oracle (tests/settlement_oracle), one event per transaction,
and (b) by the service's money path, cut into polls of random sizes (1, 2, 7, all). Afterwards
both hold the same accounts, transfers, pending states, escrows, figures, refund payments and
requests, outbox events and dead letters (code and reason).

Over 300 lines: the event generator, the two databases' set-up and the row-by-row comparison
belong to this one property and to nothing else."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.common import Actor, BudgetCategory
from contracts.events.orders import (
    CancelReason,
    CloseReason,
    OrderCancelled,
    OrderClosed,
    OrderPlaced,
    OrderReceived,
)
from contracts.events.refunds import RefundAgreed, RefundRequested
from contracts.money import Money
from contracts.registry import REGISTRY
from contracts.topics import OWNERS
from plumbing.clock import FixedClock
from plumbing.db.pool import create_pool, migrate_service
from plumbing.messaging.consumer import BatchConsumer
from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.messaging.outbox import Outbox
from plumbing.web.auth import Principal, Role
from services.settlement.context import Context, ReconciliationRules
from services.settlement.events import MoneyPath
from services.settlement.grants.commands import grants as grant_commands
from services.settlement.grants.domain.grant import Grant
from services.settlement.money_path.commands import guarantee
from services.settlement.payouts.adapters.bank import PayoutBankSimulator
from tests.factories import line
from tests.settlement_oracle import handlers as oracle
from tests.settlement_oracle.context import Context as OracleContext
from tests.stack import Stack, create_database, drop_database

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "settlement" / "migrations"
NOW = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
RULES = ReconciliationRules("31050161373600000918", window_days=3, flag_after_days=5)
BUYER = Actor(user_id="alice", role="researcher")
GRANTS = {
    "G-1": {BudgetCategory.REAGENTS: 20_000, BudgetCategory.CONSUMABLES: 8_000},
    "G-2": {BudgetCategory.CONSUMABLES: 6_000, BudgetCategory.REAGENTS: 3_000},
}
SUPPLIERS = ("SUP-1", "SUP-2")
CAPITAL = 3_000  # the guarantee fund: small, so that it runs out
TABLES = (
    "accounts",
    "transfers",
    "pending_transfers",
    "escrows",
    "grant_figures",
    "grant_monthly",
    "refund_payments",
    "refund_requests",
    "processed_events",
    "dead_letters",
    "outbox",
    "grants",
    "audit_log",
)


@dataclass
class Side:
    pool: asyncpg.Pool
    consumer: BatchConsumer


@pytest.fixture(scope="module")
async def sides(stack: Stack) -> AsyncIterator[tuple[Side, Side]]:
    made = []
    for label in ("oracle", "batched"):
        dsn = await create_database(stack, f"diff{label}")
        await migrate_service(dsn, "settlement", MIGRATIONS)
        pool = await create_pool(dsn, min_size=1, max_size=2)
        made.append((dsn, pool))
    clock = FixedClock(NOW)
    oracle_ctx = OracleContext(pool=made[0][1], outbox=Outbox(), clock=clock, fee_rate_bp=60)
    ctx = Context(
        pool=made[1][1],
        outbox=Outbox(),
        clock=clock,
        fee_rate_bp=60,
        bank=PayoutBankSimulator(made[1][1]),
        reconciliation=RULES,
    )
    consumers = (
        BatchConsumer(
            name="settlement",
            topics=[],
            handlers=oracle.handlers(oracle_ctx),
            pool=made[0][1],
            kafka=KafkaAccess("unused"),
            outbox=Outbox(),
        ),
        BatchConsumer(
            name="settlement",
            topics=[],
            handlers=MoneyPath(ctx),
            pool=made[1][1],
            kafka=KafkaAccess("unused"),
            outbox=Outbox(),
        ),
    )
    yield Side(made[0][1], consumers[0]), Side(made[1][1], consumers[1])
    for dsn, pool in made:
        await pool.close()
        await drop_database(stack, dsn)


async def reset(side: Side) -> None:
    """Empty tables, the same grants and guarantee fund on both sides."""
    async with side.pool.acquire() as conn:
        await conn.execute("alter table audit_log disable trigger user")
        await conn.execute(f"truncate {', '.join(TABLES)} cascade")
        await conn.execute("alter table audit_log enable trigger user")
    ctx = Context(
        pool=side.pool,
        outbox=Outbox(),
        clock=FixedClock(NOW),
        fee_rate_bp=60,
        bank=PayoutBankSimulator(side.pool),
        reconciliation=RULES,
    )
    await guarantee.ensure_fund(side.pool, CAPITAL)
    for grant_id, budget in GRANTS.items():
        grant = Grant(
            grant_id,
            "tsinghua",
            f"C-{grant_id}",
            "t",
            "prof-wang",
            ["alice"],
            dict(budget),
            NOW.date().replace(month=1, day=1),
            NOW.date().replace(month=12, day=31),
            10**9,
        )
        await grant_commands.register(ctx, grant, Principal("fo-1", Role.UNIVERSITY_FINANCE, grant.tenant_id))


# ---------------------------------------------------------------- the sequences
@st.composite
def sequences(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """Steps: an event to deliver, a delivery again of an earlier one, or wiping the dedup memory."""
    steps: list[tuple[str, Any]] = []
    orders: dict[str, tuple[str, str, int]] = {}
    refunds = 0
    for _ in range(draw(st.integers(min_value=4, max_value=30))):
        kind = draw(
            st.sampled_from(
                ["place", "place", "receive", "receive", "cancel", "close", "refund", "again", "wipe"]
            )
        )
        if kind == "place" or not orders:
            order_id = f"O-{len(orders) + 1}"
            grant = draw(st.sampled_from(sorted(GRANTS)))
            supplier = draw(st.sampled_from(SUPPLIERS))
            lines = draw(
                st.lists(
                    st.sampled_from(
                        [
                            ("RG-1", "reagents", 2_000),
                            ("CS-1", "consumables", 1_500),
                            ("RG-2", "reagents", 3_700),
                        ]
                    ),
                    min_size=1,
                    max_size=3,
                )
            )
            built = [line(sku, category, 1, price) for sku, category, price in lines]
            total = sum(x.line_total_minor for x in built)
            orders[order_id] = (grant, supplier, total)
            steps.append(
                (
                    "event",
                    OrderPlaced(
                        order_id=order_id,
                        checkout_id=order_id,
                        grant_id=grant,
                        buyer=BUYER,
                        supplier_id=supplier,
                        lines=built,
                        total=Money.cny(total),
                    ),
                )
            )
            continue
        order_id = draw(st.sampled_from(sorted(orders)))
        grant, supplier, total = orders[order_id]
        if kind == "receive":
            steps.append(
                (
                    "event",
                    OrderReceived(
                        order_id=order_id,
                        supplier_id=supplier,
                        grant_id=grant,
                        confirmed_by=BUYER,
                        auto_confirmed=False,
                        amount=Money.cny(total),
                    ),
                )
            )
        elif kind == "cancel":
            steps.append(
                (
                    "event",
                    OrderCancelled(
                        order_id=order_id,
                        grant_id=grant,
                        cancelled_by=BUYER,
                        reason_code=CancelReason.BUYER_CANCELLED,
                    ),
                )
            )
        elif kind == "close":
            steps.append(
                (
                    "event",
                    OrderClosed(order_id=order_id, grant_id=grant, reason_code=CloseReason.PAYMENT_TIMEOUT),
                )
            )
        elif kind == "refund":
            refunds += 1
            refund_id = f"R-{refunds}"
            # often the whole order (after release the supplier's balance, net of the fee, cannot
            # cover it: the guarantee fund advances it), sometimes more than is left or than asked
            asked = draw(st.one_of(st.just(total), st.just(max(1, total // 2)), st.integers(1, total + 500)))
            agreed = draw(st.sampled_from([asked, asked, asked, max(1, asked // 2), asked + 1]))
            steps.append(
                (
                    "event",
                    RefundRequested(
                        refund_id=refund_id,
                        order_id=order_id,
                        supplier_id=supplier,
                        grant_id=grant,
                        requested_by=BUYER,
                        amount=Money.cny(asked),
                        reason_code="damaged",
                        reason="dented",
                        goods_return_required=False,
                        seller_deadline=NOW + timedelta(days=5),
                    ),
                )
            )
            steps.append(
                (
                    "event",
                    RefundAgreed(
                        refund_id=refund_id,
                        order_id=order_id,
                        supplier_id=supplier,
                        grant_id=grant,
                        amount=Money.cny(agreed),
                        agreed_by=Actor(user_id="s", role="supplier"),
                        automatic=False,
                        pay_by=NOW + timedelta(hours=24),
                    ),
                )
            )
        elif kind == "again":
            steps.append(("again", draw(st.integers(min_value=0, max_value=10**6))))
        else:
            steps.append(("wipe", None))
    return steps


def records(steps: Sequence[tuple[str, Any]]) -> list[list[ConsumerRecord] | None]:
    """Each step as the record(s) a consumer would get (None: wipe the dedup memory); an event
    delivered again is the very same record content at a new offset."""
    out: list[list[ConsumerRecord] | None] = []
    delivered: list[Envelope] = []
    versions: dict[str, int] = {}
    for kind, value in steps:
        if kind == "wipe":
            out.append(None)
            continue
        if kind == "again":
            if not delivered:
                continue
            envelope = delivered[value % len(delivered)]
        else:
            payload: EventPayload = value
            owner = OWNERS[payload.topic]
            key = getattr(payload, "refund_id", None) or payload.order_id  # type: ignore[attr-defined]
            versions[key] = versions.get(key, 0) + 1
            envelope = Envelope.of(
                payload,
                producer=owner,
                aggregate_id=key,
                aggregate_version=versions[key],
                tenant_id="tsinghua",
                correlation_id=f"C-{key}",
                event_id=uuid.uuid4(),
            )
            delivered.append(envelope)
        offset = sum(len(r) for r in out if r is not None)
        topic = REGISTRY.model_for(envelope.event_type, envelope.schema_version).topic.value
        key = envelope.payload["grant_id"].encode()
        out.append([ConsumerRecord(topic, 0, offset, 0, 0, key, envelope.to_bytes(), None, 0, 0, ())])
    return out


async def deliver(side: Side, steps: list[list[ConsumerRecord] | None], cuts: list[int]) -> None:
    """The records in polls of the given sizes (cycled); a wipe ends a poll."""
    poll: list[ConsumerRecord] = []
    sizes = iter(cuts * (len(steps) + 1))
    size = next(sizes)
    for step in steps:
        if step is None:
            if poll:
                await side.consumer.apply(poll)
                poll, size = [], next(sizes)
            await side.pool.execute("delete from processed_events")
            continue
        poll += step
        if len(poll) >= size:
            await side.consumer.apply(poll)
            poll, size = [], next(sizes)
    if poll:
        await side.consumer.apply(poll)


# ---------------------------------------------------------------- the comparison
QUERIES = {
    "accounts": "select account_id, kind, owner_id, tenant_id, category, debits_must_not_exceed_credits,"
    " debits_pending, debits_posted, credits_pending, credits_posted from accounts",
    "transfers": "select transfer_id, debit_account, credit_account, amount, kind, code, pending_id, order_id"
    " from transfers",
    "pending": "select transfer_id, state, resolved_by from pending_transfers",
    "escrows": "select order_id, grant_id, tenant_id, supplier_id, amount, by_category, held, generation,"
    " refunded, refunded_by_category, status, reason, fee, resolved_by, version from escrows",
    "figures": "select tenant_id, grant_id, category, budget, encumbered, expended, refunded"
    " from grant_figures",
    "months": "select tenant_id, grant_id, category, month, expended, refunded from grant_monthly",
    "refund_payments": "select refund_id, order_id, amount, source, agreed_event from refund_payments",
    "refund_requests": "select * from refund_requests",
    "dead_letters": "select topic, kafka_partition, kafka_offset, event_id, event_type, reason_code, reason"
    " from dead_letters",
}


async def state(side: Side) -> dict[str, list[Any]]:
    async with side.pool.acquire() as conn:
        out: dict[str, list[Any]] = {
            name: sorted(tuple(map(str, r)) for r in await conn.fetch(q)) for name, q in QUERIES.items()
        }
        events = []
        for r in await conn.fetch("select topic, key, value from outbox order by id"):
            if r["topic"].endswith(".dlq"):  # the refused record itself, republished for operators
                events.append((r["topic"], r["key"], r["value"]))
                continue
            body = json.loads(r["value"])
            for made_fresh in ("event_id", "occurred_at", "producer"):
                body.pop(made_fresh)
            events.append((r["topic"], r["key"], json.dumps(body, sort_keys=True).encode()))
        # in order within each topic (what a consumer of it sees); across topics order means nothing
        out["outbox"] = sorted(events, key=lambda e: e[0])
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=sequences(), cuts=st.lists(st.sampled_from([1, 2, 7, 10**6]), min_size=1, max_size=4))
async def test_the_money_path_agrees_with_the_per_event_oracle(
    sides: tuple[Side, Side], steps: list[tuple[str, Any]], cuts: list[int]
) -> None:
    oracle_side, batched = sides
    delivered = records(steps)
    for side, polls in ((oracle_side, [1]), (batched, cuts)):
        await reset(side)
        await deliver(side, delivered, polls)
    expected, got = await state(oracle_side), await state(batched)
    for name in expected:
        assert got[name] == expected[name], name
