"""Early payment's rows: what settlement knows of the orders a supplier asks to be paid early,
the quotes, the early payments still to settle, and what suppliers owe the financing fund."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode

# What an order's release credited its supplier's payable: the escrow released, less the fee and
# what it recovered for the guarantee fund.
RELEASED_NET = """(select coalesce(sum(t.amount) filter (where t.code = 'escrow_release'), 0)
      - coalesce(sum(t.amount) filter (where t.code in ('platform_fee', 'receivable_recover')), 0)
    from transfers t where t.order_id = {order}.order_id) as released_net"""

# What a supplier owes the fund, from its two accounts: advances not yet repaid (pending
# payments included) and what broken early payments left owing.
OWED = """coalesce(sum(debits_posted + debits_pending - credits_posted)
                    filter (where kind = 'supplier_financed'), 0)::bigint as financed,
          coalesce(sum(debits_posted - credits_posted)
                    filter (where kind = 'supplier_financing_receivable'), 0)::bigint as receivable"""


async def orders(
    conn: asyncpg.Connection, supplier_id: str, order_ids: Sequence[str]
) -> dict[str, asyncpg.Record]:
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
                  {RELEASED_NET.format(order="e")}
           from escrows e left join shipments s on s.order_id = e.order_id
           where e.order_id = any($1::text[]) and e.supplier_id = $2""",
        list(order_ids),
        supplier_id,
    )
    return {r["order_id"]: r for r in rows}


def held_total(row: asyncpg.Record) -> int:
    return int(sum(json.loads(row["held"]).values()))


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
