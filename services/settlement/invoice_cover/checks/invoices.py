"""The invoice invariants `unisettle check` proves (11): per order, what payouts paid against
invoices is what matched invoices allowed; and what invoices hold is in the supplier's balance."""

from __future__ import annotations

import asyncpg

from services.settlement.config import SettlementSettings
from services.settlement.invoice_cover.adapters.facts import orders_of
from services.settlement.ledger.domain import accounts


async def paid_against_invoices(conn: asyncpg.Connection) -> str | None:
    """Per order of a university that pays against invoices: what payouts paid of it, less what
    refunds took back, is at most what matched invoices covered when it was paid (net of
    red-letter ones; an invoice voided after payment still counts: it allowed what was paid);
    and a payout's allocations add up to no more than the payout."""
    over = await conn.fetch(
        """with paid as (
               select a.order_id, sum(a.amount)::bigint as paid from payout_allocations a
               join payouts p using (payout_id) where p.status <> 'failed' group by a.order_id)
           select p.order_id, p.paid,
                  coalesce((select sum(r.amount) from refund_payments r
                            where r.order_id = p.order_id and r.source <> 'escrow'), 0) as charged,
                  coalesce((select sum(c.amount) from invoice_covers c where c.order_id = p.order_id), 0)
                      as covered
           from paid p
           join escrows e using (order_id)
           join invoicing_universities u on u.tenant_id = e.tenant_id and u.payouts_need_invoices"""
    )
    wrong = [
        f"{r['order_id']}: paid {r['paid']} - charged {r['charged']} > covered {r['covered']}"
        for r in over
        if r["paid"] - r["charged"] > r["covered"]
    ]
    split = await conn.fetch(
        """select p.payout_id, p.amount, sum(a.amount) as allocated from payouts p
           join payout_allocations a using (payout_id) group by p.payout_id, p.amount
           having sum(a.amount) > p.amount limit 5"""
    )
    wrong += [f"payout {r['payout_id']}: {r['allocated']} allocated of {r['amount']}" for r in split]
    return "; ".join(wrong[:5]) or None


async def held_is_there(conn: asyncpg.Connection) -> str | None:
    """What invoices hold of each supplier's released money is in its balance, but for what
    refunds after payout took from it: held <= available + taken back."""
    fee_rate = SettlementSettings().fee_rate_bp
    wrong = []
    for sid in [
        r["supplier_id"] for r in await conn.fetch("select distinct supplier_id from invoice_covers")
    ]:
        orders = await orders_of(conn, sid)
        if not orders:
            continue
        held = sum(o.held(fee_rate) - o.taken_back() for o in orders)
        available = await conn.fetchval(
            "select credits_posted - debits_posted - debits_pending from accounts where account_id = $1",
            accounts.supplier_payable(sid),
        )
        if held > (available or 0):
            wrong.append(f"{sid}: {held} held, {available} available")
    return "; ".join(wrong[:5]) or None
