"""Reconciliation of the escrow bank account: importing statements in any bank format, the day's
余额调节表 and its versions, conflicting statements, and the suspense queue with its actions.
Reconciliation officers act; platform operations may read (the console's operations view), but
not act: who pays is not who writes off. A write-off is approved by a second officer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import Field

from plumbing.aggregates.audit import Audited
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import require_roles
from plumbing.web.request_bodies import Reason, RequestBody
from services.settlement.deps import Ctx
from services.settlement.reconciliation.adapters import reconciliation_repo as repo
from services.settlement.reconciliation.adapters.statements import StatementFormat
from services.settlement.reconciliation.adapters.statements.tabular import LAYOUTS
from services.settlement.reconciliation.commands import reconciliation, suspense, views

router = APIRouter(prefix="/v1/reconciliation", tags=["reconciliation"])
Reader = Annotated[Principal, Depends(require_roles(Role.RECONCILIATION, Role.PLATFORM_OPS))]
Officer = Annotated[Principal, Depends(require_roles(Role.RECONCILIATION))]
MAX_STATEMENT_BYTES = 20 * 1024 * 1024
LinePath = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[\w.:-]+$")]
STATEMENT_TYPES = (
    "application/xml",
    "text/xml",
    "text/csv",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "application/octet-stream",
)


@router.post(
    "/statements",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in STATEMENT_TYPES},
        }
    },
    responses={201: {"description": "imported and reconciled"}, 200: {"description": "imported before"}},
)
async def import_statement(
    request: Request,
    response: Response,
    ctx: Ctx,
    officer: Officer,
    format: Annotated[
        StatementFormat | None, Query(description="recognised from the content if not given")
    ] = None,
    layout: Annotated[
        str | None,
        Query(description=f"CSV layout: {', '.join(sorted(LAYOUTS))}; found from the header if not given"),
    ] = None,
) -> dict[str, Any]:
    """Import one account's statement of one day — camt.053 XML, MT940, or a bank's CSV export
    (UTF-8 or GB18030) — and reconcile it. A statement that is malformed (`malformed_statement`,
    naming the line) or does not add up (`statement_unbalanced`) changes nothing; the same file
    again returns the same result; a different one for the same account and day is
    `statement_conflict` and kept for an operator."""
    body = await request.body()  # at most the route's body limit (413 `payload_too_large` beyond)
    imported = await reconciliation.import_statement(
        ctx, body, Audited.by(officer, "statement.imported"), format=format, layout=layout
    )
    response.status_code = 201 if any(i.fresh for i in imported) else 200
    view = await _statement(ctx, imported[-1].statement_id, with_report=True)
    if len(imported) > 1:  # an MT940 file of several days: the last one's view, and every day's
        view["statements"] = [
            {"statement_id": i.statement_id, "date": i.statement_date.isoformat(), "imported": i.fresh}
            for i in imported
        ]
    return view


async def _statement(ctx: Ctx, statement_id: str, *, with_report: bool) -> dict[str, Any]:
    async with ctx.pool.acquire() as conn:
        view = await views.statement_view(conn, statement_id)
        if with_report and view["account"]:
            view["report"] = (await views.report_of(conn, view["account"], date.fromisoformat(view["date"])))[
                0
            ]
    return view


@router.get("/statements")
async def statements(
    ctx: Ctx, _: Reader, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> list[dict[str, Any]]:
    """The statements imported last, newest day first, each as reconciled now."""
    async with ctx.pool.acquire() as conn:
        found = await repo.latest_statements(conn, limit)
        return [await views.statement_view(conn, statement_id) for statement_id in found]


@router.get("/statements/{statement_id}")
async def statement(
    ctx: Ctx,
    _: Reader,
    statement_id: Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[0-9a-f]+$")],
) -> dict[str, Any]:
    """One statement as reconciled now, with its day's latest report."""
    return await _statement(ctx, statement_id, with_report=True)


@router.get("/reports/{on}")
async def report(
    ctx: Ctx,
    _: Reader,
    on: date,
    versions: Annotated[bool, Query(description="every version, newest first")] = False,
) -> list[dict[str, Any]]:
    """The escrow account's 余额调节表 of a day: bank and ledger balances, what is on the bank and
    not in the ledger (长款) and the other way (短款), adjusted balances, and whether they agree.
    A new version is kept whenever a later statement, payout or operator action changes it."""
    async with ctx.pool.acquire() as conn:
        return await views.report_of(conn, ctx.reconciliation.account, on, all_versions=versions)


@router.get("/conflicts")
async def conflicts(ctx: Ctx, _: Reader) -> list[dict[str, Any]]:
    """Statements refused because another one for the same account and day was imported."""
    async with ctx.pool.acquire() as conn:
        rows = await repo.conflicts(conn)
    return [
        {
            "account": r["account"],
            "date": r["statement_date"].isoformat(),
            "refused_statement_id": r["content_sha"],
            "imported_statement_id": r["existing_id"],
            "received_by": r["received_by"],
            "received_at": r["received_at"].isoformat(),
        }
        for r in rows
    ]


@router.get("/suspense")
async def suspense_queue(ctx: Ctx, _: Reader) -> list[dict[str, Any]]:
    """Open suspense items, oldest first, each with its age in days and suggested matches;
    `flagged` past the configured age."""
    return await views.queue(ctx)


class MatchIn(RequestBody):
    target: str = Field(
        min_length=3,
        max_length=2000,
        description="money out: payout:<payout id>, several (payout:<id>,payout:<id>), a whole run "
        "(run:<run id>) or return:<return id>; money in: receivable:<supplier id>; the bank's own "
        "entries: fee (money out) or interest (money in)",
    )
    reason: Reason


class ReturnIn(RequestBody):
    reason: Reason
    payer_account: str | None = Field(
        default=None,
        min_length=4,
        max_length=34,
        pattern=r"^[0-9A-Za-z ]+$",
        description="where to send it; the line's counterparty account if not given",
    )


class WriteOffIn(RequestBody):
    reason: Reason


class DecisionIn(RequestBody):
    reason: Reason | None = None


@router.post("/suspense/{line_id}/confirm")
async def confirm(
    ctx: Ctx, officer: Officer, line_id: LinePath, body: DecisionIn | None = None
) -> dict[str, Any]:
    """Confirm the suggested match of a line."""
    await suspense.confirm_suggestion(
        ctx, line_id, Audited.by(officer, "suspense.confirmed", body.reason if body else None)
    )
    return {"line_id": line_id, "state": "matched"}


@router.post("/suspense/{line_id}/reject")
async def reject(
    ctx: Ctx, officer: Officer, line_id: LinePath, body: DecisionIn | None = None
) -> dict[str, Any]:
    """Reject the suggested match of a line: it stays in suspense and is not suggested again."""
    await suspense.reject_suggestion(
        ctx, line_id, Audited.by(officer, "suspense.rejected", body.reason if body else None)
    )
    return {"line_id": line_id, "state": "open"}


@router.post("/suspense/{line_id}/match")
async def match(ctx: Ctx, officer: Officer, line_id: LinePath, body: MatchIn) -> dict[str, Any]:
    """Match a line to a ledger item the rules could not find."""
    await suspense.match_to(ctx, line_id, body.target, Audited.by(officer, "suspense.matched", body.reason))
    return {"line_id": line_id, "state": "matched", "target": body.target}


@router.post("/suspense/{line_id}/return")
async def return_to_payer(ctx: Ctx, officer: Officer, line_id: LinePath, body: ReturnIn) -> dict[str, Any]:
    """Send money that came in unexplained back to its payer through the bank."""
    return_id = await suspense.return_to_payer(
        ctx, line_id, body.payer_account, Audited.by(officer, "suspense.returned", body.reason)
    )
    async with ctx.pool.acquire() as conn:
        sent = await repo.bank_return(conn, return_id)
    return {"line_id": line_id, "return_id": return_id, **sent}


@router.post("/suspense/{line_id}/write-off", status_code=202)
async def write_off(ctx: Ctx, officer: Officer, line_id: LinePath, body: WriteOffIn) -> dict[str, Any]:
    """Ask to write a line off; it is written off when a second operator approves."""
    await suspense.request_write_off(
        ctx, line_id, Audited.by(officer, "suspense.write_off_requested", body.reason)
    )
    return {"line_id": line_id, "state": "open", "write_off": "requested", "requested_by": officer.subject}


@router.post("/suspense/{line_id}/write-off/approve")
async def approve_write_off(
    ctx: Ctx, officer: Officer, line_id: LinePath, body: DecisionIn | None = None
) -> dict[str, Any]:
    """Approve another operator's write-off: the amount leaves suspense for reconciliation differences."""
    await suspense.approve_write_off(
        ctx, line_id, Audited.by(officer, "suspense.written_off", body.reason if body else None)
    )
    return {"line_id": line_id, "state": "written_off", "approved_by": officer.subject}
