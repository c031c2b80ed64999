"""Settlement's commands and event handlers. Only this service moves money: every movement is a
ledger transfer with an id derived from its cause, written in the same transaction as the escrow
state, the execution figures and the outgoing event."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.common import BudgetCategory
from contracts.events.orders import OrderCancelled, OrderClosed, OrderPlaced, OrderReceived
from contracts.events.settlement import (
    EscrowReleased,
    EscrowVoided,
    FundsRejected,
    FundsRejectedReason,
    FundsReserved,
)
from contracts.money import Money
from plumbing.clock import Clock
from plumbing.delivery import Delivery, Handler, PoisonEvent
from plumbing.outbox import Outbox
from services.settlement import accounts
from services.settlement.adapters import grants_repo
from services.settlement.adapters import ledger_store as ledger
from services.settlement.domain.fees import platform_fee
from services.settlement.domain.ledger import Transfer, TransferKind

PRODUCER = "settlement"


@dataclass
class Context:
    pool: asyncpg.Pool
    outbox: Outbox
    clock: Clock
    fee_rate_bp: int

    @property
    def today(self) -> date:
        return self.clock.now().date()


async def emit(
    conn: asyncpg.Connection,
    ctx: Context,
    *,
    aggregate_id: str,
    first_version: int,
    tenant_id: str,
    correlation_id: str,
    events: Sequence[EventPayload],
    causation_id: uuid.UUID | None = None,
) -> None:
    await ctx.outbox.append(
        conn,
        [
            Envelope.of(
                e,
                producer=PRODUCER,
                aggregate_id=aggregate_id,
                aggregate_version=first_version + n,
                tenant_id=tenant_id,
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
            for n, e in enumerate(events)
        ],
    )


# ---------------------------------------------------------------- escrow saga


def _by_category(order: OrderPlaced) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for line in order.lines:
        totals[line.category.value] += line.line_total_minor
    return dict(sorted(totals.items()))


async def _refusal(
    conn: asyncpg.Connection,
    ctx: Context,
    envelope: Envelope,
    order: OrderPlaced,
    by_category: dict[str, int],
) -> tuple[FundsRejectedReason, str] | None:
    if order.total.currency != "CNY":
        return (
            FundsRejectedReason.CURRENCY_MISMATCH,
            f"grants are in CNY, the order in {order.total.currency}",
        )
    grant = await grants_repo.get(conn, order.grant_id, for_update=True)
    if grant is None:
        return FundsRejectedReason.UNKNOWN_GRANT, f"no grant {order.grant_id!r}"
    refusal = grant.refusal(envelope.tenant_id, order.buyer.user_id, ctx.today)
    if refusal is not None:
        return refusal
    for category, amount in by_category.items():
        left = await ledger.available(conn, accounts.grant(order.grant_id, category), lock=True)
        if left is None or left < amount:
            return (
                FundsRejectedReason.INSUFFICIENT_BUDGET,
                f"{category} has {left or 0} fen available, the order needs {amount}",
            )
    return None


async def on_order_placed(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    order = delivery.payload
    assert isinstance(order, OrderPlaced)
    if await conn.fetchval("select 1 from escrows where order_id = $1", order.order_id):
        return  # this order's money was already decided
    by_category = _by_category(order)
    refusal = await _refusal(conn, ctx, delivery.envelope, order, by_category)
    event: EventPayload
    if refusal is not None:
        code, detail = refusal
        status, event = (
            "rejected",
            FundsRejected(order_id=order.order_id, grant_id=order.grant_id, reason_code=code, detail=detail),
        )
    else:
        ids = []
        await ledger.open_account(
            conn, accounts.supplier_payable(order.supplier_id), "supplier_payable", owner_id=order.supplier_id
        )
        for category, amount in by_category.items():
            t = Transfer(
                ledger.transfer_id(f"order:{order.order_id}:escrow:{category}"),
                accounts.grant(order.grant_id, category),
                accounts.supplier_payable(order.supplier_id),
                amount,
                TransferKind.PENDING,
                "escrow",
                order_id=order.order_id,
            )
            await ledger.apply(conn, t)
            await figures(conn, order.grant_id, category, encumbered=amount)
            ids.append(t.transfer_id)
        status, event = (
            "held",
            FundsReserved(
                order_id=order.order_id,
                grant_id=order.grant_id,
                supplier_id=order.supplier_id,
                amount=order.total,
                by_category={BudgetCategory(c): a for c, a in by_category.items()},
                transfer_ids=ids,
            ),
        )
    await conn.execute(
        """insert into escrows (order_id, grant_id, tenant_id, supplier_id, amount, by_category,
            status, reason,
               version) values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, 1)""",
        order.order_id,
        order.grant_id,
        delivery.envelope.tenant_id,
        order.supplier_id,
        order.total.amount_minor,
        json.dumps(by_category),
        status,
        refusal[0].value if refusal else None,
    )
    await emit(
        conn,
        ctx,
        aggregate_id=order.order_id,
        first_version=1,
        tenant_id=delivery.envelope.tenant_id,
        correlation_id=delivery.envelope.correlation_id,
        events=[event],
        causation_id=delivery.envelope.event_id,
    )


async def _held_escrow(conn: asyncpg.Connection, order_id: str) -> asyncpg.Record | None:
    """The escrow if it is held, else None."""
    escrow = await conn.fetchrow("select * from escrows where order_id = $1 for update", order_id)
    if escrow is None:
        raise PoisonEvent("escrow_not_found", f"order {order_id!r} was never escrowed")
    return escrow if escrow["status"] == "held" else None


async def _resolved_by(conn: asyncpg.Connection, order_id: str, cause: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval("select resolved_by = $2 from escrows where order_id = $1", order_id, cause)
    )


async def on_order_ended(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    """Cancelled or closed before receipt: the escrow goes back to the grant."""
    ended = delivery.payload
    assert isinstance(ended, OrderCancelled | OrderClosed)
    escrow = await _held_escrow(conn, ended.order_id)
    if escrow is None:
        return  # rejected, or already voided: nothing is held
    by_category: dict[str, int] = json.loads(escrow["by_category"])
    for category, amount in by_category.items():
        pending = ledger.transfer_id(f"order:{ended.order_id}:escrow:{category}")
        await ledger.apply(
            conn,
            Transfer(
                ledger.transfer_id(f"order:{ended.order_id}:void:{category}"),
                accounts.grant(escrow["grant_id"], category),
                accounts.supplier_payable(escrow["supplier_id"]),
                amount,
                TransferKind.VOID_PENDING,
                "escrow_void",
                pending_id=pending,
                order_id=ended.order_id,
            ),
        )
        await figures(conn, escrow["grant_id"], category, encumbered=-amount)
    await _set_status(conn, escrow, "voided", ended.reason_code.value, delivery.envelope.event_id)
    await emit(
        conn,
        ctx,
        aggregate_id=ended.order_id,
        first_version=escrow["version"] + 1,
        tenant_id=escrow["tenant_id"],
        correlation_id=delivery.envelope.correlation_id,
        causation_id=delivery.envelope.event_id,
        events=[
            EscrowVoided(
                order_id=ended.order_id,
                grant_id=escrow["grant_id"],
                amount=Money.cny(escrow["amount"]),
                reason_code=ended.reason_code.value,
            )
        ],
    )


async def on_order_received(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    """Receipt confirmed: post the escrow to the supplier and take the platform fee."""
    received = delivery.payload
    assert isinstance(received, OrderReceived)
    escrow = await _held_escrow(conn, received.order_id)
    if escrow is None:
        if await _resolved_by(conn, received.order_id, delivery.envelope.event_id):
            return  # a replay of the release itself, beyond the dedup window
        status = await conn.fetchval("select status from escrows where order_id = $1", received.order_id)
        raise PoisonEvent("escrow_not_held", f"order {received.order_id!r} escrow is {status}, not held")
    oid, sid, gid = received.order_id, escrow["supplier_id"], escrow["grant_id"]
    by_category: dict[str, int] = json.loads(escrow["by_category"])
    ids = []
    for category, amount in by_category.items():
        t = Transfer(
            ledger.transfer_id(f"order:{oid}:release:{category}"),
            accounts.grant(gid, category),
            accounts.supplier_payable(sid),
            amount,
            TransferKind.POST_PENDING,
            "escrow_release",
            pending_id=ledger.transfer_id(f"order:{oid}:escrow:{category}"),
            order_id=oid,
        )
        await ledger.apply(conn, t)
        ids.append(t.transfer_id)
        await figures(conn, gid, category, encumbered=-amount, expended=amount)
        await conn.execute(
            """insert into grant_monthly (grant_id, category, month, expended) values ($1, $2, $3, $4)
               on conflict (grant_id, category,
               month) do update set expended = grant_monthly.expended + $4""",
            gid,
            category,
            ctx.today.replace(day=1),
            amount,
        )
    gross = int(escrow["amount"])
    fee = platform_fee(gross, ctx.fee_rate_bp)
    if fee:
        await ledger.open_account(conn, accounts.FEE_INCOME, "fee_income")
        t = Transfer(
            ledger.transfer_id(f"order:{oid}:fee"),
            accounts.supplier_payable(sid),
            accounts.FEE_INCOME,
            fee,
            TransferKind.POSTED,
            "platform_fee",
            order_id=oid,
        )
        await ledger.apply(conn, t)
        ids.append(t.transfer_id)
    await conn.execute("update escrows set fee = $2 where order_id = $1", oid, fee)
    await _set_status(conn, escrow, "released", None, delivery.envelope.event_id)
    await emit(
        conn,
        ctx,
        aggregate_id=oid,
        first_version=escrow["version"] + 1,
        tenant_id=escrow["tenant_id"],
        correlation_id=delivery.envelope.correlation_id,
        causation_id=delivery.envelope.event_id,
        events=[
            EscrowReleased(
                order_id=oid,
                grant_id=gid,
                supplier_id=sid,
                gross=Money.cny(gross),
                fee=Money.cny(fee),
                net_to_supplier=Money.cny(gross - fee),
                receivable_recovered=Money.cny(0),
                transfer_ids=ids,
            )
        ],
    )


async def _set_status(
    conn: asyncpg.Connection, escrow: asyncpg.Record, status: str, reason: str | None, cause: uuid.UUID
) -> None:
    await conn.execute(
        """update escrows set status = $2, reason = $3, resolved_by = $4, version = version + 1,
               updated_at = now() where order_id = $1""",
        escrow["order_id"],
        status,
        reason,
        cause,
    )


async def figures(
    conn: asyncpg.Connection,
    grant_id: str,
    category: str,
    *,
    encumbered: int = 0,
    expended: int = 0,
    budget: int = 0,
    refunded: int = 0,
) -> None:
    """Move the pre-aggregated execution figures with the money (same transaction)."""
    # A plain update: an upsert would check its insert row (budget 0) against the constraint first.
    status = await conn.execute(
        """update grant_figures set budget = budget + $3, encumbered = encumbered + $4,
               expended = expended + $5, refunded = refunded + $6 where grant_id = $1 and category = $2""",
        grant_id,
        category,
        budget,
        encumbered,
        expended,
        refunded,
    )
    if status == "UPDATE 0":
        await conn.execute(
            """insert into grant_figures (grant_id, category, budget, encumbered, expended, refunded)
               values ($1, $2, $3, $4, $5, $6)""",
            grant_id,
            category,
            budget,
            encumbered,
            expended,
            refunded,
        )


def bind(ctx: Context, fn: Callable[[asyncpg.Connection, Delivery, Context], object]) -> Handler:
    async def handle(conn: asyncpg.Connection, delivery: Delivery) -> None:
        await fn(conn, delivery, ctx)  # type: ignore[misc]

    return handle


def handlers(ctx: Context) -> dict[str, Handler]:
    return {
        OrderPlaced.event_type: bind(ctx, on_order_placed),
        OrderCancelled.event_type: bind(ctx, on_order_ended),
        OrderClosed.event_type: bind(ctx, on_order_ended),
        OrderReceived.event_type: bind(ctx, on_order_received),
    }
