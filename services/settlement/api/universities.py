"""A university's funding execution across all its grants, behind-target grants first."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from plumbing.auth_deps import require_tenant
from services.settlement.adapters import execution_queries as figures_q
from services.settlement.api.deps import Ctx, Finance
from services.settlement.api.grants import execution_of
from services.settlement.api.schemas import ExecutionOut

router = APIRouter(prefix="/v1/universities", tags=["funding execution"])


class UniversityExecutionOut(BaseModel):
    tenant_id: str
    grants: list[ExecutionOut]


@router.get(
    "/{tenant_id}/execution",
    response_model=UniversityExecutionOut,
    responses={200: {"content": {"text/csv": {}}}},
)
async def university_execution(
    tenant_id: str, ctx: Ctx, finance: Finance, format: str = Query("json", pattern="^(json|csv)$")
) -> UniversityExecutionOut | Response:
    """Every grant of the university; those projected to miss their target come first.
    `?format=csv` exports the same rows for a spreadsheet."""
    require_tenant(finance, tenant_id)
    async with ctx.pool.acquire() as conn:
        found = await figures_q.executions(conn, tenant_id)
    grants = [execution_of(f, ctx.today) for f in found]
    grants.sort(
        key=lambda g: (
            not g.outlook.behind_target,
            g.outlook.projected_rate_bp - g.outlook.target_at_end_bp,
            g.grant_id,
        )
    )
    if format == "csv":
        return Response(
            _csv(grants),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="execution-{tenant_id}.csv"'},
        )
    return UniversityExecutionOut(tenant_id=tenant_id, grants=grants)


def _csv(grants: list[ExecutionOut]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "grant_id",
            "code",
            "pi_id",
            "budget_fen",
            "encumbered_fen",
            "expended_fen",
            "refunded_fen",
            "available_fen",
            "execution_rate_bp",
            "projected_rate_bp",
            "target_at_end_bp",
            "behind_target",
        ]
    )
    for g in grants:
        t = g.total
        writer.writerow(
            [
                g.grant_id,
                g.code,
                g.pi_id,
                t.budget,
                t.encumbered,
                t.expended,
                t.refunded,
                t.available,
                t.execution_rate_bp,
                g.outlook.projected_rate_bp,
                g.outlook.target_at_end_bp,
                g.outlook.behind_target,
            ]
        )
    return out.getvalue()
