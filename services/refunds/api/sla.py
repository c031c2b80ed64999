"""The refund guarantee as suppliers keep it (the SLA report): per supplier, refunds agreed and
paid, how fast, and from where — the supplier, or the guarantee fund's advance."""

from __future__ import annotations

import json

from fastapi import APIRouter
from pydantic import BaseModel

from plumbing.errors import Forbidden
from plumbing.web.auth import Role
from services.refunds.api.deps import Ctx, SlaReader

router = APIRouter(prefix="/v1/refunds", tags=["refund SLA"])


class SupplierSla(BaseModel):
    supplier_id: str
    agreed: int
    paid: int
    paid_within_sla: int
    overdue_unpaid: int
    average_seconds_to_pay: float | None
    by_source: dict[str, int]


@router.get("/sla/report", response_model=list[SupplierSla])
async def sla_report(ctx: Ctx, reader: SlaReader) -> list[SupplierSla]:
    """SLA compliance and guarantee usage per supplier: platform operations see every supplier, a
    university's finance office its own university's refunds, a supplier its own line. The
    report spans the university: an officer of one unit is refused (403 `outside_scope`)."""
    if reader.org_unit_id is not None:
        raise Forbidden("the SLA report is the whole university's", code="outside_scope")
    supplier = reader.supplier_id if reader.role is Role.SUPPLIER else None
    tenant = reader.tenant_id if reader.role is Role.UNIVERSITY_FINANCE else None
    async with ctx.pool.acquire() as conn:
        # Every figure, the counts by source included, over the cases the reader may see only.
        rows = await conn.fetch(
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
            supplier,
            tenant,
            ctx.clock.now(),
        )
    return [
        SupplierSla(
            supplier_id=r["supplier_id"],
            agreed=r["agreed"],
            paid=r["paid"],
            paid_within_sla=r["within_sla"],
            overdue_unpaid=r["overdue"],
            average_seconds_to_pay=float(r["avg_s"]) if r["avg_s"] is not None else None,
            by_source=json.loads(r["by_source"]),
        )
        for r in rows
    ]
