"""Funding-execution reports over many grants — a university's, a unit's — from one read of
the figures: each grant's execution, behind-target grants first, rolled up the organisation tree,
as JSON or as CSV rows for a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import date

import asyncpg
from fastapi.responses import Response

from plumbing.org import store as org_store
from plumbing.org.tree import OrgTree
from services.settlement.grants.adapters import execution_queries as figures_q
from services.settlement.grants.api.grants import execution_of
from services.settlement.grants.api.org_schemas import PartOut, UnitMonthOut, UnitRef
from services.settlement.grants.api.schemas import ExecutionOut, FiguresOut
from services.settlement.grants.domain.rollup import GrantLine, GrantMonth, RollUp, roll_up


async def report(
    conn: asyncpg.Connection, tenant_id: str, unit_id: str | None, today: date
) -> tuple[RollUp, list[ExecutionOut], OrgTree]:
    """The roll-up of the unit (None: the university) and the execution of each of its grants,
    behind-target first."""
    tree = await org_store.load(conn, tenant_id)
    found = await figures_q.executions(conn, tenant_id)
    lines = {
        f.grant.grant_id: GrantLine(
            f.grant.grant_id,
            figures_q.total(f.by_category),
            _months(f.by_month),
        )
        for f in found
    }
    rolled = roll_up(tree, unit_id, lines, today)
    mine = set(rolled.grant_ids)
    grants = behind_first(
        [
            execution_of(f, today).model_copy(update={"org_unit_id": tree.unit_of(f.grant.grant_id, today)})
            for f in found
            if f.grant.grant_id in mine
        ]
    )
    return rolled, grants, tree


def _months(months: list[figures_q.Month]) -> list[GrantMonth]:
    by_month: dict[date, list[int]] = {}
    for m in months:
        sums = by_month.setdefault(m.month, [0, 0])
        sums[0] += m.expended
        sums[1] += m.refunded
    return [GrantMonth(month, x, r) for month, (x, r) in sorted(by_month.items())]


def parts(rolled: RollUp) -> list[PartOut]:
    return [
        PartOut(
            unit=UnitRef(unit_id=p.unit.unit_id, code=p.unit.code, name=p.unit.name, kind=p.unit.kind)
            if p.unit
            else None,
            grants=len(p.grant_ids),
            total=FiguresOut.of(p.total),
        )
        for p in rolled.parts
    ]


def months(rolled: RollUp) -> list[UnitMonthOut]:
    return [UnitMonthOut(month=m.month, expended=m.expended, refunded=m.refunded) for m in rolled.months]


def behind_first(grants: list[ExecutionOut]) -> list[ExecutionOut]:
    """Those projected to miss their target first, the furthest behind leading."""
    return sorted(
        grants,
        key=lambda g: (
            not g.outlook.behind_target,
            g.outlook.projected_rate_bp - g.outlook.target_at_end_bp,
            g.grant_id,
        ),
    )


def csv_response(grants: list[ExecutionOut], name: str) -> Response:
    return Response(
        _csv(grants),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="execution-{name}.csv"'},
    )


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
            "org_unit_id",
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
                g.org_unit_id or "",
            ]
        )
    return out.getvalue()
