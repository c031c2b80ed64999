"""Importing a bank statement and reading what it matched, then and later."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from plumbing.audit import Audited
from plumbing.auth import Principal, Role
from plumbing.auth_deps import require_roles
from plumbing.errors import AppError
from services.settlement.api.deps import Ctx
from services.settlement.commands import reconciliation

router = APIRouter(prefix="/v1/reconciliation", tags=["reconciliation"])
Ops = Annotated[Principal, Depends(require_roles(Role.PLATFORM_OPS))]
MAX_STATEMENT_BYTES = 20 * 1024 * 1024


class ReportOut(BaseModel):
    statement_id: str
    matched: list[dict[str, object]]
    surplus: list[dict[str, object]]  # 长款: on the statement, not in the ledger (parked in suspense)
    shortage: list[dict[str, object]]  # 短款: in the ledger, not on the statement


@router.post(
    "/statements",
    response_model=ReportOut,
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def import_statement(request: Request, ctx: Ctx, ops: Ops) -> ReportOut:
    """Import a CSV statement (`date,amount,direction,reference`; amounts in yuan, e.g. 1234.56;
    direction credit or debit). Importing the same file again returns the same report."""
    body = await request.body()
    if len(body) > MAX_STATEMENT_BYTES:
        raise AppError("the statement is too large", code="statement_too_large")
    try:
        content = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AppError("the statement must be UTF-8 text", code="malformed_statement") from exc
    result = await reconciliation.import_statement(ctx, content, Audited.by(ops, "statement.imported"))
    return ReportOut(
        statement_id=result.statement_id,
        matched=result.matched,
        surplus=result.surplus,
        shortage=result.shortage,
    )


class StatementReportOut(ReportOut):
    imported_at: datetime
    imported_by: str


@router.get("/statements", response_model=list[StatementReportOut])
async def statements(
    ctx: Ctx, ops: Ops, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> list[StatementReportOut]:
    """The statements imported last, newest first, each with its report: matches, 长款, 短款."""
    async with ctx.pool.acquire() as conn:
        found = await conn.fetch(
            "select statement_id, imported_at, imported_by from bank_statements"
            " order by imported_at desc, statement_id limit $1",
            limit,
        )
        out = []
        for row in found:
            r = await reconciliation.report(conn, row["statement_id"])
            out.append(
                StatementReportOut(
                    statement_id=r.statement_id,
                    matched=r.matched,
                    surplus=r.surplus,
                    shortage=r.shortage,
                    imported_at=row["imported_at"],
                    imported_by=row["imported_by"],
                )
            )
    return out
