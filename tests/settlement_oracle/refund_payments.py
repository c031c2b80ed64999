"""The refund guarantee: an agreed refund always reaches the grant.

From the escrow while the money is still held (void, and re-reserve what remains); else from the
supplier's balance; else the guarantee fund advances it at once and a receivable against the
supplier is recovered from its next settlements."""

from __future__ import annotations

import json
import uuid

import asyncpg

from contracts.events.refunds import RefundAgreed, RefundRequested
from contracts.events.settlement import RefundSettled, RefundSource
from plumbing.messaging.delivery import Delivery, PoisonEvent
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Transfer, TransferKind
from services.settlement.money_path.domain import consistency
from tests.settlement_oracle import ledger_store as ledger
from tests.settlement_oracle.context import Context, figures, monthly
from tests.settlement_oracle.escrow_saga import (
    categories,
    contradicts,
    emit_for_escrow,
    known,
    locked_escrow,
    reserve,
    void,
)


def allocate(amount: int, available: dict[str, int]) -> dict[str, int]:
    """Split a refund over budget categories, in name order, each up to what it can give back."""
    out: dict[str, int] = {}
    left = amount
    for category in sorted(available):
        take = min(left, available[category])
        if take:
            out[category] = take
            left -= take
    if left:
        raise PoisonEvent("refund_exceeds_order", f"{left} fen of the refund has nowhere to come from")
    return out


async def on_refund_agreed(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    refund = delivery.payload
    assert isinstance(refund, RefundAgreed)
    if await conn.fetchval("select 1 from refund_payments where refund_id = $1", refund.refund_id):
        return  # paid already: a replay
    escrow = await locked_escrow(conn, refund.order_id)
    contradicts(escrow, delivery, grant_id=refund.grant_id, supplier_id=refund.supplier_id)
    amount = refund.amount.amount_minor
    await _as_requested(conn, refund, escrow)
    if escrow["refunded"] + amount > escrow["amount"]:
        raise PoisonEvent(
            "refund_exceeds_order",
            f"{escrow['refunded']} + {amount} fen refunded would pass the order's {escrow['amount']}",
        )
    if escrow["status"] not in ("held", "released"):
        raise PoisonEvent("nothing_to_refund", f"the escrow of {refund.order_id!r} is {escrow['status']}")
    refunded_by: dict[str, int] = categories(escrow["refunded_by_category"])
    if escrow["status"] == "held":
        source, ids, split = await _from_escrow(conn, escrow, amount)
    else:
        spent = {c: a - refunded_by.get(c, 0) for c, a in categories(escrow["by_category"]).items()}
        split = allocate(amount, spent)
        source, ids = await _after_release(conn, ctx, escrow, refund.refund_id, split)
    for category, part in split.items():
        refunded_by[category] = refunded_by.get(category, 0) + part
    await conn.execute(
        """insert into refund_payments (refund_id, order_id, amount, source, agreed_event)
           values ($1, $2, $3, $4, $5)""",
        refund.refund_id,
        refund.order_id,
        amount,
        source.value,
        delivery.envelope.event_id,
    )
    await conn.execute(
        """update escrows set refunded = refunded + $2, refunded_by_category = $3::jsonb,
               version = version + 1,
               updated_at = now() where order_id = $1""",
        refund.order_id,
        amount,
        json.dumps(refunded_by),
    )
    await emit_for_escrow(
        conn,
        ctx,
        escrow,
        delivery,
        [
            RefundSettled(
                refund_id=refund.refund_id,
                order_id=refund.order_id,
                grant_id=escrow["grant_id"],
                supplier_id=escrow["supplier_id"],
                amount=refund.amount,
                source=source,
                transfer_ids=ids,
            )
        ],
    )


async def on_refund_requested(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    """Remember what a buyer asked for: only such a refund is ever paid."""
    asked = delivery.payload
    assert isinstance(asked, RefundRequested)
    await conn.execute(
        """insert into refund_requests (refund_id, order_id, tenant_id, grant_id, supplier_id, amount)
           values ($1, $2, $3, $4, $5, $6) on conflict do nothing""",
        asked.refund_id,
        asked.order_id,
        delivery.envelope.tenant_id,
        asked.grant_id,
        asked.supplier_id,
        asked.amount.amount_minor,
    )


async def _as_requested(conn: asyncpg.Connection, refund: RefundAgreed, escrow: asyncpg.Record) -> None:
    """The agreed refund is one the buyer asked for on this order, for no more than was asked."""
    asked = await conn.fetchrow("select * from refund_requests where refund_id = $1", refund.refund_id)
    if asked is None:
        raise PoisonEvent(consistency.UNKNOWN_REFUND, f"no refund {refund.refund_id!r} was asked for")
    wrong = consistency.differences(
        known(asked),
        tenant_id=escrow["tenant_id"],
        order_id=refund.order_id,
        grant_id=refund.grant_id,
        supplier_id=refund.supplier_id,
    ) + consistency.refund_amount_differences(refund.amount.amount_minor, asked["amount"])
    if wrong:
        raise PoisonEvent(consistency.CONTRADICTS_REFUND, "; ".join(wrong))


async def _from_escrow(
    conn: asyncpg.Connection, escrow: asyncpg.Record, amount: int
) -> tuple[RefundSource, list[uuid.UUID], dict[str, int]]:
    """Void what is held and reserve the remainder again: the refund is back on the grant at once."""
    held: dict[str, int] = categories(escrow["held"])
    split = allocate(amount, held)
    remaining = {c: held[c] - split.get(c, 0) for c in held}
    await void(conn, escrow, TransferCode.REFUND_FROM_ESCROW)
    generation = escrow["generation"] + 1
    tenant = escrow["tenant_id"]
    ids = await reserve(
        conn, tenant, escrow["order_id"], escrow["grant_id"], escrow["supplier_id"], remaining, generation
    )
    for category, part in split.items():
        await figures(conn, tenant, escrow["grant_id"], category, encumbered=-part, refunded=part)
    fully = not any(remaining.values())
    await conn.execute(
        """update escrows set held = $2::jsonb, generation = $3, status = $4 where order_id = $1""",
        escrow["order_id"],
        json.dumps(remaining),
        generation,
        "refunded" if fully else "held",
    )
    return RefundSource.ESCROW, ids, split


async def _after_release(
    conn: asyncpg.Connection, ctx: Context, escrow: asyncpg.Record, refund_id: str, split: dict[str, int]
) -> tuple[RefundSource, list[uuid.UUID]]:
    """From the supplier's balance when it covers the refund, else advanced by the guarantee fund."""
    sid, gid, tenant = escrow["supplier_id"], escrow["grant_id"], escrow["tenant_id"]
    amount = sum(split.values())
    balance = await ledger.available(conn, accounts.supplier_payable(sid), lock=True) or 0
    if balance >= amount:
        source, payer, code = (
            RefundSource.SUPPLIER_BALANCE,
            accounts.supplier_payable(sid),
            TransferCode.REFUND_SUPPLIER_BALANCE,
        )
    else:
        source, payer, code = (
            RefundSource.GUARANTEE_ADVANCE,
            accounts.supplier_receivable(sid),
            TransferCode.REFUND_ADVANCE,
        )
        await ledger.open_account(conn, payer, "supplier_receivable", owner_id=sid)
        # The fund's capacity is used; its limit means it can never advance more than it holds.
        await ledger.apply(
            conn,
            Transfer(
                ledger.transfer_id(f"refund:{refund_id}:advance"),
                accounts.GUARANTEE_FUND,
                accounts.GUARANTEE_ADVANCED,
                amount,
                TransferKind.POSTED,
                TransferCode.GUARANTEE_ADVANCE,
                order_id=escrow["order_id"],
            ),
        )
    ids = []
    for category, part in split.items():
        t = Transfer(
            ledger.transfer_id(f"refund:{refund_id}:{category}"),
            payer,
            accounts.grant(tenant, gid, category),
            part,
            TransferKind.POSTED,
            code,
            order_id=escrow["order_id"],
        )
        await ledger.apply(conn, t)
        ids.append(t.transfer_id)
        await figures(conn, tenant, gid, category, expended=-part, refunded=part)
        await monthly(conn, tenant, gid, category, ctx.today, refunded=part)
    return source, ids
