"""What settlement knows of a supplier's orders whose university pays only against matched
invoices (`domain.cover.OrderMoney`), read in one statement; and red-letter invoices overdue."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.settlement.invoice_cover.domain.cover import OrderMoney

ORDERS = """
select e.order_id, e.released, e.fee,
       coalesce((select sum(r.amount) from refund_payments r
                 where r.order_id = e.order_id and r.source <> 'escrow'), 0)::bigint as charged,
       coalesce((select sum(a.amount) from payout_allocations a join payouts p using (payout_id)
                 where a.order_id = e.order_id and p.status <> 'failed'), 0)::bigint
     + coalesce((select sum(ep.repaid) from early_payments ep
                 where ep.order_id = e.order_id and ep.status <> 'failed'), 0)::bigint as paid,
       coalesce((select sum(c.amount) from invoice_covers c
                 where c.order_id = e.order_id and not c.withdrawn), 0)::bigint as covered,
       (select min(h.reason) from invoice_holds h where h.order_id = e.order_id) as hold_reason
from escrows e join invoicing_universities u on u.tenant_id = e.tenant_id and u.payouts_need_invoices
where e.supplier_id = $1 and e.released > 0
order by e.order_id
"""


async def orders_of(conn: asyncpg.Connection, supplier_id: str) -> list[OrderMoney]:
    """The supplier's released orders of universities that pay against invoices."""
    return [
        OrderMoney(
            r["order_id"], r["released"], r["fee"], r["charged"], r["paid"], r["covered"], r["hold_reason"]
        )
        for r in await conn.fetch(ORDERS, supplier_id)
    ]


async def red_letters_overdue(conn: asyncpg.Connection, supplier_id: str, now: datetime) -> list[str]:
    """Refunds whose red-letter invoice the supplier owes past its university's hold age."""
    return [
        r["refund_id"]
        for r in await conn.fetch(
            """select o.refund_id from red_letters_owed o join invoicing_universities u using (tenant_id)
               where o.supplier_id = $1 and not o.received and u.red_letter_hold_days is not null
                 and o.owed_since + make_interval(days => u.red_letter_hold_days) <= $2
               order by o.refund_id""",
            supplier_id,
            now,
        )
    ]


async def allocated(conn: asyncpg.Connection, payout_id: str, allocation: dict[str, int]) -> None:
    await conn.executemany(
        "insert into payout_allocations (payout_id, order_id, amount) values ($1, $2, $3)",
        [(payout_id, order_id, amount) for order_id, amount in allocation.items()],
    )
