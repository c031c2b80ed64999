"""The refund guarantee as suppliers keep it (the SLA report): per supplier, refunds agreed and
paid, how fast, and from where — the supplier, or the guarantee fund's advance."""

from __future__ import annotations

import json

from fastapi import APIRouter
from pydantic import BaseModel

from plumbing.errors import Forbidden
from plumbing.web.auth import Role
from services.refunds.adapters import queries
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
        rows = await queries.sla(conn, supplier, tenant, ctx.clock.now())
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
