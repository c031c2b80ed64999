"""The escrow saga: reserve when an order is placed, release to the supplier on receipt (minus
the platform fee, recovering what the supplier owes the guarantee fund), void when the order
ends without trade. Every movement is a ledger transfer whose id is derived from its cause.

The per-event code settlement ran before its set-based money path, kept whole and unchanged as
the differential test's oracle (hence its length): it is not run by any service."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence

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
    ReceivableRecovered,
)
from contracts.money import Money
from plumbing.messaging.delivery import Delivery, PoisonEvent
from services.settlement.grants.adapters import grants_repo
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Transfer, TransferKind
from services.settlement.money_path.domain import consistency
from services.settlement.money_path.domain.fees import platform_fee
from tests.settlement_oracle import ledger_store as ledger
from tests.settlement_oracle.context import Context, emit, figures, monthly


def categories(stored: str) -> dict[str, int]:
    """Amounts by category as stored (jsonb orders keys by length), in name order: the service
    now settles categories in name order, whatever the storage's order (the oracle's old quirk)."""
    return dict(sorted(json.loads(stored).items()))


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
    grant = await grants_repo.get(conn, envelope.tenant_id, order.grant_id, for_update=True)
    if grant is None:
        return FundsRejectedReason.UNKNOWN_GRANT, f"no grant {order.grant_id!r}"
    refusal = grant.refusal(envelope.tenant_id, order.buyer.user_id, ctx.today)
    if refusal is not None:
        return refusal
    for category, amount in by_category.items():
        left = await ledger.available(
            conn, accounts.grant(envelope.tenant_id, order.grant_id, category), lock=True
        )
        if left is None or left < amount:
            return (
                FundsRejectedReason.INSUFFICIENT_BUDGET,
                f"{category} has {left or 0} fen available, the order needs {amount}",
            )
    return None


async def reserve(
    conn: asyncpg.Connection,
    tenant_id: str,
    order_id: str,
    grant_id: str,
    supplier_id: str,
    amounts: dict[str, int],
    generation: int,
) -> list[uuid.UUID]:
    """Pending transfers grant → supplier payable, one per category."""
    ids = []
    for category, amount in amounts.items():
        if amount == 0:
            continue
        t = Transfer(
            ledger.transfer_id(accounts.escrow_pending(order_id, category, generation)),
            accounts.grant(tenant_id, grant_id, category),
            accounts.supplier_payable(supplier_id),
            amount,
            TransferKind.PENDING,
            TransferCode.ESCROW,
            order_id=order_id,
        )
        await ledger.apply(conn, t)
        ids.append(t.transfer_id)
    return ids


async def void(conn: asyncpg.Connection, escrow: asyncpg.Record, why: TransferCode) -> None:
    """Void every pending transfer of the escrow's current generation."""
    oid, gen = escrow["order_id"], escrow["generation"]
    for category, amount in categories(escrow["held"]).items():
        if amount == 0:
            continue
        await ledger.apply(
            conn,
            Transfer(
                ledger.transfer_id(f"order:{oid}:void:{category}" + (f":g{gen}" if gen else "")),
                accounts.grant(escrow["tenant_id"], escrow["grant_id"], category),
                accounts.supplier_payable(escrow["supplier_id"]),
                amount,
                TransferKind.VOID_PENDING,
                why,
                pending_id=ledger.transfer_id(accounts.escrow_pending(oid, category, gen)),
                order_id=oid,
            ),
        )


async def on_order_placed(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    order = delivery.payload
    assert isinstance(order, OrderPlaced)
    decided = await conn.fetchrow("select * from escrows where order_id = $1", order.order_id)
    if decided is not None:  # this order's money was already decided: a replay, or a contradiction
        contradicts(
            decided,
            delivery,
            grant_id=order.grant_id,
            supplier_id=order.supplier_id,
            amount=[]
            if order.total.amount_minor == decided["amount"]
            else [f"amount: event says {order.total.amount_minor} fen, escrow has {decided['amount']}"],
        )
        return
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
        await ledger.open_account(
            conn,
            accounts.supplier_payable(order.supplier_id),
            "supplier_payable",
            owner_id=order.supplier_id,
            limited=True,  # refunds and payouts can never take more than the supplier was credited
        )
        tenant = delivery.envelope.tenant_id
        ids = await reserve(conn, tenant, order.order_id, order.grant_id, order.supplier_id, by_category, 0)
        for category, amount in by_category.items():
            await figures(conn, tenant, order.grant_id, category, encumbered=amount)
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
        """insert into escrows (order_id, grant_id, tenant_id, supplier_id, amount, by_category, held, status,
               reason, version) values ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, 1)""",
        order.order_id,
        order.grant_id,
        delivery.envelope.tenant_id,
        order.supplier_id,
        order.total.amount_minor,
        json.dumps(by_category),
        json.dumps(by_category if status == "held" else {}),
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


async def locked_escrow(conn: asyncpg.Connection, order_id: str) -> asyncpg.Record:
    escrow = await conn.fetchrow("select * from escrows where order_id = $1 for update", order_id)
    if escrow is None:
        raise PoisonEvent("escrow_not_found", f"order {order_id!r} was never escrowed")
    return escrow


def known(escrow: asyncpg.Record) -> consistency.Known:
    return consistency.Known(
        escrow["tenant_id"], escrow["order_id"], escrow["grant_id"], escrow["supplier_id"]
    )


def contradicts(
    escrow: asyncpg.Record,
    delivery: Delivery,
    *,
    grant_id: str,
    supplier_id: str | None = None,
    amount: list[str] | None = None,
) -> None:
    """Refuse an event about this escrow that names another university, order, grant or supplier
    (or, in `amount`, an amount the escrow cannot have)."""
    wrong = consistency.differences(
        known(escrow),
        tenant_id=delivery.envelope.tenant_id,
        order_id=escrow["order_id"],
        grant_id=grant_id,
        supplier_id=supplier_id,
    ) + (amount or [])
    if wrong:
        raise PoisonEvent(consistency.CONTRADICTS_ESCROW, "; ".join(wrong))


async def on_order_ended(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    """Cancelled or closed before receipt: the escrow goes back to the grant."""
    ended = delivery.payload
    assert isinstance(ended, OrderCancelled | OrderClosed)
    escrow = await locked_escrow(conn, ended.order_id)
    contradicts(escrow, delivery, grant_id=ended.grant_id)
    if escrow["status"] != "held":
        return  # rejected, refunded or already voided: nothing is held
    await void(conn, escrow, TransferCode.ESCROW_VOID)
    for category, amount in categories(escrow["held"]).items():
        await figures(conn, escrow["tenant_id"], escrow["grant_id"], category, encumbered=-amount)
    await set_status(conn, escrow, "voided", ended.reason_code.value, delivery.envelope.event_id, held={})
    left = escrow["amount"] - escrow["refunded"]
    await emit_for_escrow(
        conn,
        ctx,
        escrow,
        delivery,
        [
            EscrowVoided(
                order_id=ended.order_id,
                grant_id=escrow["grant_id"],
                amount=Money.cny(left),
                reason_code=ended.reason_code.value,
            )
        ],
    )


async def on_order_received(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    """Receipt confirmed: post the escrow to the supplier, take the fee, recover what it owes."""
    received = delivery.payload
    assert isinstance(received, OrderReceived)
    escrow = await locked_escrow(conn, received.order_id)
    held = sum(categories(escrow["held"]).values())
    contradicts(
        escrow,
        delivery,
        grant_id=received.grant_id,
        supplier_id=received.supplier_id,
        amount=consistency.received_amount_differences(received.amount.amount_minor, held, escrow["amount"]),
    )
    if escrow["status"] != "held":
        if escrow["resolved_by"] == delivery.envelope.event_id:
            return  # a replay of this very release, beyond the dedup window
        raise PoisonEvent(
            "escrow_not_held", f"order {received.order_id!r} escrow is {escrow['status']}, not held"
        )
    oid, sid, gid, gen = received.order_id, escrow["supplier_id"], escrow["grant_id"], escrow["generation"]
    tenant = escrow["tenant_id"]
    ids = []
    gross = 0
    for category, amount in categories(escrow["held"]).items():
        if amount == 0:
            continue
        t = Transfer(
            ledger.transfer_id(f"order:{oid}:release:{category}"),
            accounts.grant(tenant, gid, category),
            accounts.supplier_payable(sid),
            amount,
            TransferKind.POST_PENDING,
            TransferCode.ESCROW_RELEASE,
            pending_id=ledger.transfer_id(accounts.escrow_pending(oid, category, gen)),
            order_id=oid,
        )
        await ledger.apply(conn, t)
        ids.append(t.transfer_id)
        gross += amount
        await figures(conn, tenant, gid, category, encumbered=-amount, expended=amount)
        await monthly(conn, tenant, gid, category, ctx.today, expended=amount)
    fee = platform_fee(gross, ctx.fee_rate_bp)
    if fee:  # the fee income account is opened at start, with the guarantee fund's
        t = Transfer(
            ledger.transfer_id(f"order:{oid}:fee"),
            accounts.supplier_payable(sid),
            accounts.FEE_INCOME,
            fee,
            TransferKind.POSTED,
            TransferCode.PLATFORM_FEE,
            order_id=oid,
        )
        await ledger.apply(conn, t)
        ids.append(t.transfer_id)
    recovered, outstanding = await recover_receivable(conn, sid, f"order:{oid}", gross - fee, order_id=oid)
    events: list[EventPayload] = [
        EscrowReleased(
            order_id=oid,
            grant_id=gid,
            supplier_id=sid,
            gross=Money.cny(gross),
            fee=Money.cny(fee),
            net_to_supplier=Money.cny(gross - fee - recovered),
            receivable_recovered=Money.cny(recovered),
            transfer_ids=ids,
        )
    ]
    if recovered:
        events.append(
            ReceivableRecovered(
                supplier_id=sid, order_id=oid, amount=Money.cny(recovered), outstanding=Money.cny(outstanding)
            )
        )
    await set_status(
        conn, escrow, "released", None, delivery.envelope.event_id, held={}, events=len(events), fee=fee
    )
    await emit_for_escrow(
        conn,
        ctx,
        escrow,
        delivery,
        events,
    )


async def recover_receivable(
    conn: asyncpg.Connection, supplier_id: str, cause: str, available: int, *, order_id: str | None = None
) -> tuple[int, int]:
    """Take what the supplier owes the guarantee fund out of this settlement (`cause` names it:
    `order:O-1` for a release, `payout:<id>` for a payout); returns (recovered, still outstanding)."""
    owed = (
        await conn.fetchval(
            "select debits_posted - credits_posted from accounts where account_id = $1",
            accounts.supplier_receivable(supplier_id),
        )
        or 0
    )
    recovered = min(owed, available)
    if recovered > 0:
        for step, debit, credit in (
            ("recover", accounts.supplier_payable(supplier_id), accounts.supplier_receivable(supplier_id)),
            ("replenish", accounts.GUARANTEE_ADVANCED, accounts.GUARANTEE_FUND),
        ):
            await ledger.apply(
                conn,
                Transfer(
                    ledger.transfer_id(f"{cause}:{step}"),
                    debit,
                    credit,
                    recovered,
                    TransferKind.POSTED,
                    TransferCode(f"receivable_{step}"),
                    order_id=order_id,
                ),
            )
    return recovered, owed - recovered


async def emit_for_escrow(
    conn: asyncpg.Connection,
    ctx: Context,
    escrow: asyncpg.Record,
    cause: Delivery,
    events: Sequence[EventPayload],
) -> None:
    """Events about an escrow, in answer to `cause`: the next versions of the order's stream."""
    await emit(
        conn,
        ctx,
        aggregate_id=escrow["order_id"],
        first_version=escrow["version"] + 1,
        tenant_id=escrow["tenant_id"],
        correlation_id=cause.envelope.correlation_id,
        causation_id=cause.envelope.event_id,
        events=events,
    )


async def set_status(
    conn: asyncpg.Connection,
    escrow: asyncpg.Record,
    status: str,
    reason: str | None,
    cause: uuid.UUID,
    *,
    held: dict[str, int],
    events: int = 1,
    fee: int | None = None,
) -> None:
    """Record the escrow's new state; `events` is how many events it emits (its version count),
    `fee` what the platform took when it is released."""
    await conn.execute(
        """update escrows set status = $2, reason = $3, resolved_by = $4, held = $5::jsonb,
               version = version + $6, fee = coalesce($7, fee), updated_at = now() where order_id = $1""",
        escrow["order_id"],
        status,
        reason,
        cause,
        json.dumps(held),
        events,
        fee,
    )
