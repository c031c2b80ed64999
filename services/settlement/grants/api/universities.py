"""A university's funding execution across all its grants, behind-target grants first, with
the figures of each school."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from plumbing.errors import Forbidden
from plumbing.web.auth_deps import require_tenant
from services.settlement.deps import Ctx, Finance
from services.settlement.grants.api import execution_report
from services.settlement.grants.api.org_schemas import PartOut
from services.settlement.grants.api.schemas import ExecutionOut, FiguresOut

router = APIRouter(prefix="/v1/universities", tags=["funding execution"])


class UniversityExecutionOut(BaseModel):
    tenant_id: str
    total: FiguresOut
    schools: list[PartOut]  # a school's figures; `unit` None: grants under no school
    grants: list[ExecutionOut]


@router.get(
    "/{tenant_id}/execution",
    response_model=UniversityExecutionOut,
    responses={200: {"content": {"text/csv": {}}}},
)
async def university_execution(
    tenant_id: str, ctx: Ctx, finance: Finance, format: str = Query("json", pattern="^(json|csv)$")
) -> UniversityExecutionOut | Response:
    """Every grant of the university; those projected to miss their target come first; and each
    school's totals. `?format=csv` exports the same grant rows for a spreadsheet. A finance
    officer of one unit reads `/v1/org-units/{their unit}/execution` instead (403 `outside_scope`)."""
    require_tenant(finance, tenant_id)
    if finance.org_unit_id is not None:
        raise Forbidden(
            "your scope is one unit: read /v1/org-units/{id}/execution",
            code="outside_scope",
            details={"org_unit_id": finance.org_unit_id},
        )
    async with ctx.pool.acquire() as conn:
        rolled, grants, _ = await execution_report.report(conn, tenant_id, None, ctx.today)
    if format == "csv":
        return execution_report.csv_response(grants, tenant_id)
    return UniversityExecutionOut(
        tenant_id=tenant_id,
        total=FiguresOut.of(rolled.total),
        schools=execution_report.parts(rolled),
        grants=grants,
    )
