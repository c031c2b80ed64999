"""The books' rows: a university's account mappings, and the ledger's movements of its grant
accounts in a period (read from the transfers themselves: vouchers are never a second book)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.settlement.books.adapters.finance_system import PostResult
from services.settlement.books.domain.accruals import OrderReceipt
from services.settlement.books.domain.mapping import AccountMapping, Expense, Role
from services.settlement.books.domain.vouchers import Movement


async def mappings(conn: asyncpg.Connection, tenant_id: str) -> list[AccountMapping]:
    return [
        AccountMapping(
            r["effective_from"],
            {Role(k): v for k, v in json.loads(r["accounts"]).items()},
            {c: Expense(e["account"], e["classification"]) for c, e in json.loads(r["expense"]).items()},
        )
        for r in await conn.fetch(
            "select * from account_mappings where tenant_id = $1 order by effective_from", tenant_id
        )
    ]


async def save_mapping(
    conn: asyncpg.Connection, tenant_id: str, m: AccountMapping, by: str, at: datetime
) -> None:
    await conn.execute(
        """insert into account_mappings (tenant_id, effective_from, accounts, expense, set_by, set_at)
           values ($1, $2, $3::jsonb, $4::jsonb, $5, $6)
           on conflict (tenant_id, effective_from) do update
               set accounts = $3::jsonb, expense = $4::jsonb, set_by = $5, set_at = $6""",
        tenant_id,
        m.effective_from,
        json.dumps({r.value: a for r, a in m.accounts.items()}, sort_keys=True),
        json.dumps(
            {c: {"account": e.account, "classification": e.classification} for c, e in m.expense.items()},
            sort_keys=True,
        ),
        by,
        at,
    )


MOVEMENTS = """
select t.transfer_id::text, t.seq, t.created_at, t.kind, t.code, t.amount, t.order_id,
       a.owner_id as grant_id, a.category, g.code as project_code, t.credit_account = a.account_id as to_grant
from accounts a
join grants g on g.tenant_id = a.tenant_id and g.grant_id = a.owner_id
join transfers t on t.debit_account = a.account_id or t.credit_account = a.account_id
where a.kind = 'grant' and a.tenant_id = $1 and t.created_at >= $2 and t.created_at < $3
order by t.seq
"""


async def movements(
    conn: asyncpg.Connection, tenant_id: str, start: datetime, end: datetime
) -> list[Movement]:
    """Every transfer of the university's grant accounts recorded in [start, end), in ledger order."""
    return [
        Movement(
            r["transfer_id"],
            r["seq"],
            r["created_at"],
            r["kind"],
            r["code"],
            r["amount"],
            r["grant_id"],
            r["project_code"],
            r["category"],
            r["to_grant"],
            r["order_id"],
        )
        for r in await conn.fetch(MOVEMENTS, tenant_id, start, end)
    ]


async def record_posts(
    conn: asyncpg.Connection, tenant_id: str, period: str, results: Sequence[PostResult], at: datetime
) -> None:
    """What the finance system answered: posted (accepted, or a duplicate of what it holds) or
    rejected with its reason; attempts counted."""
    await conn.executemany(
        """insert into voucher_posts (tenant_id, voucher_id, period, status, reason, attempts, last_at)
           values ($1, $2, $3, $4, $5, 1, $6)
           on conflict (tenant_id, voucher_id) do update set status = $4, reason = $5,
               attempts = voucher_posts.attempts + 1, last_at = $6""",
        [
            (
                tenant_id,
                r.voucher_id,
                period,
                "rejected" if r.status == "rejected" else "posted",
                r.reason,
                at,
            )
            for r in results
        ],
    )


async def posted(conn: asyncpg.Connection, tenant_id: str, period: str) -> set[str]:
    rows = await conn.fetch(
        """select voucher_id from voucher_posts
           where tenant_id = $1 and period = $2 and status = 'posted'""",
        tenant_id,
        period,
    )
    return {r["voucher_id"] for r in rows}


async def rejected(conn: asyncpg.Connection, tenant_id: str, period: str) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """select voucher_id, reason, attempts, last_at from voucher_posts
               where tenant_id = $1 and period = $2 and status = 'rejected' order by voucher_id""",
            tenant_id,
            period,
        )
    )


RECEIPTS = """
select e.order_id, e.supplier_id, e.grant_id, g.code as project_code,
       coalesce((select sum(t.amount) from transfers t
                 where t.order_id = e.order_id and t.code = 'escrow_release' and t.kind = 'post_pending'
                   and t.created_at <= $2), 0)::bigint as received,
       coalesce((select sum(t.amount) from transfers t
                 where t.order_id = e.order_id and t.code in ('refund_supplier_balance', 'refund_advance')
                   and t.created_at <= $2), 0)::bigint as refunded,
       coalesce((select sum(c.amount) from invoice_covers c
                 where c.order_id = e.order_id and c.recorded_at <= $2
                   and (c.withdrawn_at is null or c.withdrawn_at > $2)), 0)::bigint as invoiced
from escrows e join grants g on g.tenant_id = e.tenant_id and g.grant_id = e.grant_id
where e.tenant_id = $1 and (e.released > 0 or e.status = 'released')
"""


async def receipts(conn: asyncpg.Connection, tenant_id: str, at: datetime) -> list[OrderReceipt]:
    """Each order of the university received by `at`, from the ledger's releases and refunds."""
    return [
        OrderReceipt(
            r["order_id"],
            r["supplier_id"],
            r["grant_id"],
            r["project_code"],
            r["received"],
            r["refunded"],
            r["invoiced"],
        )
        for r in await conn.fetch(RECEIPTS, tenant_id, at)
        if r["received"]
    ]
