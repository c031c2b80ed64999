"""Early payment's rows: what settlement knows of the orders a supplier asks to be paid early,
the quotes, the early payments still to settle, and what suppliers owe the financing fund."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.settlement.early_payment.domain.acceptance import Accepted, OrderFacts, Quote
from services.settlement.early_payment.domain.terms import Line
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode

# What an order's release credited its supplier's payable: the escrow released, less the fee and
# what it recovered for the guarantee fund.
RELEASED_NET = """(select coalesce(sum(t.amount) filter (where t.code = 'escrow_release'), 0)
      - coalesce(sum(t.amount) filter (where t.code in ('platform_fee', 'receivable_recover')), 0)
    from transfers t where t.order_id = {order}.order_id) as released_net"""

# Whether what the order released waits for matched invoices before it may be paid out
# (invoice_cover): its university pays against invoices and they do not cover all of it yet.
AWAITING_INVOICE = """exists (select 1 from invoicing_universities u
                where u.tenant_id = e.tenant_id and u.payouts_need_invoices)
          and coalesce((select sum(c.amount) from invoice_covers c
                        where c.order_id = e.order_id and not c.withdrawn), 0) < e.released
          as awaiting_invoice"""

# What a supplier owes the fund, from its two accounts: advances not yet repaid (pending
# payments included) and what broken early payments left owing.
OWED = """coalesce(sum(debits_posted + debits_pending - credits_posted)
                    filter (where kind = 'supplier_financed'), 0)::bigint as financed,
          coalesce(sum(debits_posted - credits_posted)
                    filter (where kind = 'supplier_financing_receivable'), 0)::bigint as receivable"""


async def orders(
    conn: asyncpg.Connection, supplier_id: str, order_ids: Sequence[str]
) -> dict[str, OrderFacts]:
    """Each of the supplier's orders in escrow: status, what is held, its auto-confirm time, whether
    a refund is open or it was financed already, and what its release credited."""
    rows = await conn.fetch(
        f"""select e.order_id, e.status, e.held, e.amount, s.auto_confirm_at,
                  exists (select 1 from refund_requests r where r.order_id = e.order_id and not r.closed
                          and not exists (select 1 from refund_payments p
                                          where p.refund_id = r.refund_id))
                    as refund_open,
                  exists (select 1 from early_payments p where p.order_id = e.order_id
                          and p.status <> 'failed') as financed,
                  {RELEASED_NET.format(order="e")},
                  {AWAITING_INVOICE}
           from escrows e left join shipments s on s.order_id = e.order_id
           where e.order_id = any($1::text[]) and e.supplier_id = $2""",
        list(order_ids),
        supplier_id,
    )
    return {
        r["order_id"]: OrderFacts(
            r["status"],
            int(sum(json.loads(r["held"]).values())),
            int(r["released_net"]),
            r["auto_confirm_at"],
            r["refund_open"],
            r["financed"],
            r["awaiting_invoice"],
        )
        for r in rows
    }


async def lock_supplier(conn: asyncpg.Connection, supplier_id: str) -> None:
    """A supplier's early payments are decided one at a time (until the transaction ends), so
    concurrent acceptances never pass its limit."""
    await conn.execute("select pg_advisory_xact_lock(hashtext($1))", f"financing:{supplier_id}")


async def quote(
    conn: asyncpg.Connection, supplier_id: str, quote_id: str, *, lock: bool = False
) -> Quote | None:
    row = await conn.fetchrow(
        "select * from early_payment_quotes where quote_id = $1 and supplier_id = $2"
        + (" for update" if lock else ""),
        quote_id,
        supplier_id,
    )
    if row is None:
        return None
    return Quote(row["quote_id"], row["supplier_id"], row["status"], row["valid_until"], lines(row["lines"]))


def lines(stored: str) -> list[Line]:
    return [Line(r["order_id"], r["face_minor"], r["days"], r["discount_minor"]) for r in json.loads(stored)]


async def quote_row(conn: asyncpg.Connection, supplier_id: str, quote_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "select * from early_payment_quotes where quote_id = $1 and supplier_id = $2", quote_id, supplier_id
    )


async def accepted(
    conn: asyncpg.Connection, quote: Quote, decided: Accepted, by: str, now: datetime, payout_id: str
) -> None:
    """The quote accepted: an early payment per order (paying until the bank answers), and the
    payout run that pays the advance."""
    await conn.executemany(
        """insert into early_payments (order_id, quote_id, supplier_id, face, discount, advance, days, status,
               repaid, created_at)
           values ($1, $2, $3, $4, $5, $6, $7, 'paying', $8, $9)""",
        [
            (
                line.order_id,
                quote.quote_id,
                quote.supplier_id,
                line.face_minor,
                line.discount_minor,
                line.advance_minor,
                line.days,
                decided.repaid.get(line.order_id, 0),
                now,
            )
            for line in quote.lines
        ],
    )
    await conn.execute(
        "update early_payment_quotes set status = 'accepted', accepted_at = $2, accepted_by = $3"
        " where quote_id = $1",
        quote.quote_id,
        now,
        by,
    )
    await conn.execute("insert into payout_runs (run_id, started_by) values ($1, $2)", payout_id, by)


async def payout_of(conn: asyncpg.Connection, payout_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "select status, bank_reference, failure from payouts where payout_id = $1", payout_id
    )


async def repaid_at_acceptance(conn: asyncpg.Connection, quote_id: str) -> set[str]:
    rows = await conn.fetch(
        "select order_id from early_payments where quote_id = $1 and repaid > 0", quote_id
    )
    return {r["order_id"] for r in rows}


async def answered(
    conn: asyncpg.Connection,
    quote_id: str,
    *,
    settled: bool,
    bank_reference: str | None,
    failure: str | None,
    at: datetime,
) -> None:
    """The bank's answer on the advance: failed, or open (repaid, if repaid at acceptance)."""
    await conn.execute(
        """update early_payments set status = case when not $2::boolean then 'failed'
                                                when repaid >= face then 'repaid' else 'open' end,
               bank_reference = $3, failure = $4,
               resolved_at = case when not $2::boolean or repaid >= face then $5::timestamptz end
           where quote_id = $1""",
        quote_id,
        settled,
        bank_reference,
        failure,
        at,
    )


async def pending_payouts(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Early payments' payouts the bank has not answered (a crash between asking and recording)."""
    return list(
        await conn.fetch(
            "select payout_id, supplier_id, bank_account_id, amount from payouts"
            " where status = 'pending' and kind = 'early'"
        )
    )


async def settled(
    conn: asyncpg.Connection, order_id: str, quote_id: str, *, status: str, repaid: int, at: datetime | None
) -> None:
    await conn.execute(
        "update early_payments set status = $3, repaid = $4, resolved_at = $5"
        " where order_id = $1 and quote_id = $2",
        order_id,
        quote_id,
        status,
        repaid,
        at,
    )


async def recovered(conn: asyncpg.Connection, supplier_id: str, at: datetime) -> None:
    await conn.execute(
        "update early_payments set status = 'recovered', resolved_at = $2"
        " where supplier_id = $1 and status = 'recovering'",
        supplier_id,
        at,
    )


async def suppliers_to_settle(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        """select distinct p.supplier_id from early_payments p join escrows e on e.order_id = p.order_id
           where (p.status = 'open' and e.status <> 'held') or p.status = 'recovering'"""
    )
    return [r["supplier_id"] for r in rows]


async def insert_quote(
    conn: asyncpg.Connection,
    quote_id: str,
    supplier_id: str,
    *,
    apr_bp: int,
    lines: list[dict[str, Any]],
    created_at: datetime,
    valid_until: datetime,
    score: float | None,
    limit_minor: int,
) -> None:
    face = sum(line["face_minor"] for line in lines)
    discount = sum(line["discount_minor"] for line in lines)
    await conn.execute(
        """insert into early_payment_quotes (quote_id, supplier_id, apr_bp, lines, face, discount, advance,
               created_at, valid_until, status, score, limit_minor)
           values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, 'quoted', $10, $11)""",
        quote_id,
        supplier_id,
        apr_bp,
        json.dumps(lines),
        face,
        discount,
        face - discount,
        created_at,
        valid_until,
        score,
        limit_minor,
    )


async def to_settle(conn: asyncpg.Connection, supplier_id: str) -> list[asyncpg.Record]:
    """The supplier's open early payments whose orders left escrow, oldest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""select p.*, e.status as escrow_status, {RELEASED_NET.format(order="p")}
           from early_payments p join escrows e on e.order_id = p.order_id
           where p.supplier_id = $1 and p.status = 'open' and e.status <> 'held'
           order by p.created_at, p.order_id""",
        supplier_id,
    )
    return rows


async def debt(conn: asyncpg.Connection, supplier_id: str, accounts: Sequence[str]) -> asyncpg.Record:
    """What the supplier owes the fund (`accounts`: its financed and financing receivable)."""
    row: asyncpg.Record = await conn.fetchrow(
        f"select {OWED} from accounts where account_id = any($1::text[])", list(accounts)
    )
    return row


async def debtors(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every supplier that owes the fund something."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""select owner_id, {OWED}
           from accounts where kind in ('supplier_financed', 'supplier_financing_receivable')
           group by owner_id having sum(debits_posted + debits_pending - credits_posted) <> 0
           order by owner_id"""
    )
    return rows


async def early_payments_of(
    conn: asyncpg.Connection, supplier_id: str, limit: int = 500
) -> list[asyncpg.Record]:
    """The supplier's early payments, newest first."""
    return list(
        await conn.fetch(
            "select * from early_payments where supplier_id = $1 order by created_at desc, order_id limit $2",
            supplier_id,
            limit,
        )
    )


async def fund_accounts(conn: asyncpg.Connection) -> dict[str, asyncpg.Record]:
    """The financing fund's accounts, by id: what it holds, has out and has earned."""
    return {
        r["account_id"]: r
        for r in await conn.fetch(
            "select * from accounts where account_id = any($1::text[])",
            [accounts.FINANCING_FUND, accounts.FINANCING_ADVANCED, accounts.FINANCING_INCOME],
        )
    }


async def fund_capital(conn: asyncpg.Connection) -> int:
    """The capital put into the financing fund."""
    return int(
        await conn.fetchval(
            "select coalesce(sum(amount), 0)::bigint from transfers where code = $1",
            TransferCode.FINANCING_CAPITAL.value,
        )
    )
