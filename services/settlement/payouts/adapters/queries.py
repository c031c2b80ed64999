"""What payouts answer when asked: payouts, a supplier's balance and the statement of its payable
account, and the guarantee fund's exposure — read from the ledger and the payouts' rows."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from plumbing.errors import NotFound
from services.settlement.ledger.domain import accounts


@dataclass(frozen=True)
class Balance:
    available: int
    in_payout: int
    paid_out: int
    receivable: int


@dataclass(frozen=True)
class Guarantee:
    capital: int
    can_still_advance: int
    receivables: dict[str, int]


async def payouts(
    conn: asyncpg.Connection, supplier_id: str | None, limit: int = 500
) -> list[asyncpg.Record]:
    """The newest payouts, of one supplier or of all."""
    return list(
        await conn.fetch(
            """select payout_id, run_id, supplier_id, amount, status, bank_reference, failure, created_at
               from payouts where $1::text is null or supplier_id = $1 order by created_at desc limit $2""",
            supplier_id,
            limit,
        )
    )


async def known_supplier(conn: asyncpg.Connection, supplier_id: str) -> None:
    """Settlement learns every supplier from suppliers.events (or holds its money): any other is
    not found, rather than answered with zeros."""
    known = await conn.fetchval(
        """select exists (select 1 from payees where supplier_id = $1)
               or exists (select 1 from accounts where account_id = $2)""",
        supplier_id,
        accounts.supplier_payable(supplier_id),
    )
    if not known:
        raise NotFound(f"no supplier {supplier_id!r}", code="supplier_not_found")


async def balance(conn: asyncpg.Connection, supplier_id: str) -> Balance:
    """What the supplier may be paid, what is on its way to its bank, what was paid, and what it
    owes the guarantee fund."""
    await known_supplier(conn, supplier_id)
    payable = await conn.fetchrow(
        "select * from accounts where account_id = $1", accounts.supplier_payable(supplier_id)
    )
    receivable = await conn.fetchval(
        "select debits_posted - credits_posted from accounts where account_id = $1",
        accounts.supplier_receivable(supplier_id),
    )
    paid = await conn.fetchval(
        "select coalesce(sum(amount), 0) from payouts where supplier_id = $1 and status = 'settled'",
        supplier_id,
    )
    if payable is None:
        return Balance(0, 0, 0, receivable or 0)
    return Balance(
        available=payable["credits_posted"] - payable["debits_posted"] - payable["debits_pending"],
        in_payout=payable["debits_pending"],
        paid_out=paid,
        receivable=receivable or 0,
    )


async def statement(conn: asyncpg.Connection, supplier_id: str, limit: int = 1000) -> list[asyncpg.Record]:
    """Posted movements on the supplier's payable account, and payouts still on their way to the
    bank, newest first; a payout the bank answered is its posted line only (or nothing, if
    voided). So the lines add up to what is available; escrow the supplier does not have yet is not
    on it."""
    await known_supplier(conn, supplier_id)
    return list(
        await conn.fetch(
            """select t.transfer_id::text, t.created_at as at, t.code, t.order_id, t.kind,
                      case when t.credit_account = $1 then t.amount else 0 end as credit,
                      case when t.debit_account = $1 then t.amount else 0 end as debit
               from transfers t left join pending_transfers p using (transfer_id)
               where (t.debit_account = $1 or t.credit_account = $1)
                 and (t.kind in ('posted', 'post_pending')
                      or (t.kind = 'pending' and t.code <> 'escrow' and p.state = 'pending'))
               order by t.seq desc limit $2""",
            accounts.supplier_payable(supplier_id),
            limit,
        )
    )


async def guarantee(conn: asyncpg.Connection) -> Guarantee:
    """The guarantee fund: its capital, what it can still advance, and who owes it."""
    fund = await conn.fetchrow("select * from accounts where account_id = $1", accounts.GUARANTEE_FUND)
    capital = await conn.fetchval(
        "select coalesce(sum(amount), 0) from transfers where code = 'guarantee_capital'"
    )
    owed = await conn.fetch(
        """select owner_id, debits_posted - credits_posted as owed from accounts
           where kind = 'supplier_receivable' and debits_posted > credits_posted order by owner_id"""
    )
    left = fund["credits_posted"] - fund["debits_posted"] if fund else 0
    return Guarantee(capital, left, {r["owner_id"]: r["owed"] for r in owed})
