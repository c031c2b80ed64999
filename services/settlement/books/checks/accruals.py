"""Invariant 13: the received-not-invoiced report (from the ledger's release and refund
transfers) equals, per university, what the escrows' own figures say is received and not
invoiced — two reads of the same money that must agree to the fen."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from services.settlement.books.adapters.repository import receipts
from services.settlement.books.domain.accruals import accruals

BY_ESCROWS = """
select e.tenant_id, sum(greatest(0, e.released
           - coalesce((select sum(r.amount) from refund_payments r
                       where r.order_id = e.order_id and r.source <> 'escrow'), 0)
           - coalesce((select sum(c.amount) from invoice_covers c
                       where c.order_id = e.order_id and not c.withdrawn), 0)))::bigint as accrued
from escrows e where e.released > 0 group by e.tenant_id order by e.tenant_id
"""


async def accruals_match_the_ledger(conn: asyncpg.Connection) -> str | None:
    now = datetime.now(UTC)
    wrong = []
    for r in await conn.fetch(BY_ESCROWS):
        report = sum(a.accrued for a in accruals(await receipts(conn, r["tenant_id"], now)))
        if report != r["accrued"]:
            wrong.append(f"{r['tenant_id']}: report {report}, escrows {r['accrued']}")
    return "; ".join(wrong[:5]) or None
