"""The finance pages: a university's (or a school's) grants with their execution, one grant with
its charts, its orders and refunds, an order's timeline — each built from the services' APIs as
the person signed in, and the table as CSV or Excel exactly as shown."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from openpyxl import Workbook
from pydantic import TypeAdapter

from contracts.events.common import ExecutionTarget
from plumbing.web.auth import Principal, Role
from services.console.adapters.backend import Backend, Refused
from services.console.api.deps import Ctx, PageError, SignedIn, render
from services.console.domain.charts import grant_chart, months_left
from services.console.domain.sessions import Session

router = APIRouter(include_in_schema=False)
IdPath = Annotated[str, Path(min_length=1, max_length=200)]
OFFICERS = (Role.UNIVERSITY_FINANCE, Role.UNIT_APPROVER)
HOLDING = ("PAID", "SHIPPED", "RECEIVED")  # escrow holds their money
_TARGETS = TypeAdapter(list[ExecutionTarget])


def refused(exc: Refused) -> PageError:
    """An API's no, as a page: what does not exist for this person is not theirs to see."""
    if exc.status in (403, 404):
        return PageError(403, exc.code, "You may not see this.")
    return PageError(502 if exc.status >= 500 else exc.status, exc.code, exc.message)


@router.get("/")
async def home(session: SignedIn) -> Response:
    role = session.principal.role
    if role is Role.PLATFORM_OPS:
        return RedirectResponse("/ops", status_code=303)
    if role in OFFICERS:
        return RedirectResponse("/university", status_code=303)
    return RedirectResponse("/grants", status_code=303)


@dataclass(frozen=True)
class Table:
    """The university view's rows as shown: filtered, behind-target first."""

    grants: list[dict[str, Any]]
    schools: list[dict[str, Any]]
    school_of: dict[str, str]  # grant id → school unit id
    units: list[dict[str, Any]]  # the schools (or units) to filter by


def _school_map(tree: dict[str, Any], scoped: bool) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Grant → the top unit it is under (for a scoped reader: the unit directly below theirs)."""
    tops = tree["units"][0]["units"] if scoped and tree["units"] else tree["units"]
    mapping: dict[str, str] = {}

    def walk(node: dict[str, Any], top: str) -> None:
        for grant in node["grants"]:
            mapping[grant] = top
        for child in node["units"]:
            walk(child, top)

    for top in tops:
        walk(top, top["unit_id"])
    return mapping, [{"unit_id": u["unit_id"], "code": u["code"], "name": u["name"]} for u in tops]


async def table(backend: Backend, who: Principal, school: str | None, behind: bool, q: str | None) -> Table:
    if who.org_unit_id is not None:
        report = await backend.get(who, "settlement", f"/v1/org-units/{who.org_unit_id}/execution")
        parts = report["units"]
    else:
        report = await backend.get(who, "settlement", f"/v1/universities/{who.tenant_id}/execution")
        parts = report["schools"]
    tree = await backend.get(who, "settlement", "/v1/org-units")
    school_of, units = _school_map(tree, who.org_unit_id is not None)
    needle = (q or "").strip().lower()
    grants = [
        g
        for g in report["grants"]
        if (school is None or school_of.get(g["grant_id"]) == school)
        and (not behind or g["outlook"]["behind_target"])
        and (
            not needle
            or needle in g["code"].lower()
            or needle in g["pi_id"].lower()
            or needle in g["grant_id"].lower()
        )
    ]
    return Table(grants, parts, school_of, units)


async def shown_to(ctx: Ctx, session: Session, school: str | None, behind: bool, q: str | None) -> Table:
    """The university view's table for the person signed in (finance offices and unit approvers)."""
    who = session.principal
    if who.role not in OFFICERS:
        raise PageError(403, "forbidden", "The university view is for finance offices and unit approvers.")
    try:
        return await table(ctx.backend, who, school or None, behind, q)
    except Refused as exc:
        raise refused(exc) from exc


@router.get("/university")
async def university(
    request: Request,
    session: SignedIn,
    ctx: Ctx,
    school: Annotated[str | None, Query(max_length=200)] = None,
    behind: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    shown = await shown_to(ctx, session, school, behind, q)
    query = request.url.query
    return render(
        request,
        "university.html",
        session=session,
        table=shown,
        school=school,
        behind=behind,
        q=q or "",
        query=query,
    )


def _rows(shown: Table) -> tuple[list[str], list[list[Any]]]:
    header = [
        "grant_id",
        "code",
        "pi_id",
        "school",
        "budget_fen",
        "encumbered_fen",
        "expended_fen",
        "refunded_fen",
        "available_fen",
        "execution_rate_bp",
        "target_today_bp",
        "projected_rate_bp",
        "behind_target",
    ]
    rows = [
        [
            g["grant_id"],
            g["code"],
            g["pi_id"],
            shown.school_of.get(g["grant_id"], ""),
            g["total"]["budget"],
            g["total"]["encumbered"],
            g["total"]["expended"],
            g["total"]["refunded"],
            g["total"]["available"],
            g["total"]["execution_rate_bp"],
            g["outlook"]["target_today_bp"],
            g["outlook"]["projected_rate_bp"],
            g["outlook"]["behind_target"],
        ]
        for g in shown.grants
    ]
    return header, rows


@router.get("/university.{kind}")
async def export(
    kind: Annotated[str, Path(pattern="^(csv|xlsx)$")],
    session: SignedIn,
    ctx: Ctx,
    school: Annotated[str | None, Query(max_length=200)] = None,
    behind: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The university view's table as shown (same filters), for a spreadsheet."""
    who = session.principal
    header, rows = _rows(await shown_to(ctx, session, school, behind, q))
    name = f"execution-{who.org_unit_id or who.tenant_id}-{date.today().isoformat()}"
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "execution"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return Response(
        data.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.get("/grants")
async def grants(request: Request, session: SignedIn, ctx: Ctx) -> Response:
    """The grants the person may read (a PI's own)."""
    try:
        found = await ctx.backend.get(session.principal, "settlement", "/v1/grants")
    except Refused as exc:
        raise refused(exc) from exc
    return render(request, "grants.html", session=session, grants=found)


@router.get("/grants/{grant_id}")
async def grant(grant_id: IdPath, request: Request, session: SignedIn, ctx: Ctx) -> Response:
    who = session.principal
    try:
        execution = await ctx.backend.get(who, "settlement", f"/v1/grants/{grant_id}/execution")
        details = await ctx.backend.get(who, "settlement", f"/v1/grants/{grant_id}")
        orders = await ctx.backend.get(who, "orders", "/v1/orders", grant_id=grant_id, limit=200)
    except Refused as exc:
        raise refused(exc) from exc
    chart = grant_chart(execution, _TARGETS.validate_python(details["execution_targets"]), ctx.today)
    outlook = execution["outlook"]
    items = orders["items"]
    return render(
        request,
        "grant.html",
        session=session,
        g=execution,
        grant_info=details,
        chart=chart.as_json(),
        burn_per_month=int(outlook["burn_per_day_minor"] * 30.4375),
        months_left=months_left(execution["total"]["available"], outlook["burn_per_day_minor"]),
        holding=[o for o in items if o["status"] in HOLDING],
        refunds=[o for o in items if o["refunded_minor"] or o["refund_state"] not in ("none", "")],
    )


@router.get("/orders/{order_id}")
async def order(order_id: IdPath, request: Request, session: SignedIn, ctx: Ctx) -> Response:
    who = session.principal
    try:
        found = await ctx.backend.get(who, "orders", f"/v1/orders/{order_id}")
        timeline = await ctx.backend.get(who, "orders", f"/v1/orders/{order_id}/timeline")
    except Refused as exc:
        raise refused(exc) from exc
    try:
        invoicing = await ctx.backend.get(who, "invoices", f"/v1/orders/{order_id}/invoices")
    except Refused:
        invoicing = None  # not the reader's to see, or invoices cannot answer now: the order still shows
    return render(request, "order.html", session=session, order=found, timeline=timeline, invoicing=invoicing)
