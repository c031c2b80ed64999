"""What refunds answer when asked beyond one case: a case's steps, and the SLA report."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def steps(conn: asyncpg.Connection, refund_id: str) -> list[asyncpg.Record]:
    """A case's timeline, oldest first."""
    return list(
        await conn.fetch(
            """select at, action, actor_id, actor_role, to_status, reason from refund_steps
               where refund_id = $1 order by seq""",
            refund_id,
        )
    )


async def sla(
    conn: asyncpg.Connection, supplier_id: str | None, tenant_id: str | None, now: datetime
) -> list[asyncpg.Record]:
    """Per supplier, refunds agreed and paid, how fast, and from where — every figure, the counts
    by source included, over the cases of this supplier or university only (None: all)."""
    return list(
        await conn.fetch(
            """with c as (
                   select * from refund_cases
                   where ($1::text is null or supplier_id = $1) and ($2::text is null or tenant_id = $2)),
               sources as (
                   select supplier_id, jsonb_object_agg(source, n) by_source
                   from (select supplier_id, source, count(*) n from c where source is not null
                         group by supplier_id, source) s
                   group by supplier_id)
               select c.supplier_id,
                      count(*) filter (where agreed_at is not null) agreed,
                      count(*) filter (where settled_at is not null) paid,
                      count(*) filter (where settled_at is not null and settled_at <= pay_by) within_sla,
                      count(*) filter (where settled_at is null and pay_by < $3) overdue,
                      avg(extract(epoch from settled_at - agreed_at))
                        filter (where settled_at is not null) avg_s,
                      coalesce(min(sources.by_source::text), '{}') by_source
               from c left join sources using (supplier_id)
               group by c.supplier_id order by c.supplier_id""",
            supplier_id,
            tenant_id,
            now,
        )
    )
