"""What reconciliation shows: a statement as reconciled now, the day reports and their versions,
and the suspense queue with each item's age."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import asyncpg

from plumbing.errors import NotFound
from services.settlement.context import Context
from services.settlement.reconciliation.adapters import reconciliation_repo as repo
from services.settlement.reconciliation.adapters import suspense_repo


async def report_of(
    conn: asyncpg.Connection, account: str, on: date, *, all_versions: bool = False
) -> list[dict[str, Any]]:
    found = await repo.reports(conn, account, on, all_versions=all_versions)
    if not found:
        raise NotFound(
            f"no statement of account {account} for {on} has been reconciled", code="report_not_found"
        )
    return [
        {
            "version": r["version"],
            "cause": r["cause"],
            "computed_at": r["created_at"].isoformat(),
            **json.loads(r["body"]),
        }
        for r in found
    ]


async def statement_view(conn: asyncpg.Connection, statement_id: str) -> dict[str, Any]:
    """A statement as reconciled now: each line matched (to what, by which rule), suggested, or
    not in the ledger (长款, with what became of it); and the payouts up to its day no line shows
    yet (短款).

    Size: one view built from one read of the statement, its lines, matches and resolutions."""
    head = await conn.fetchrow("select * from bank_statements where statement_id = $1", statement_id)
    if head is None:
        raise NotFound(f"no statement {statement_id}", code="statement_not_found")
    rows = await conn.fetch(
        """select l.*, coalesce(json_agg(json_build_object('item_id', m.item_id, 'kind', m.item_kind,
               'status', m.status, 'rule', m.rule, 'explanation', m.explanation) order by m.item_id)
               filter (where m.status in ('confirmed', 'suggested')), '[]') matches
           from bank_statement_lines l left join line_matches m on m.line_id = l.line_id
           where l.statement_id = $1 group by l.statement_id, l.line_no order by l.line_no""",
        statement_id,
    )
    view: dict[str, Any] = {
        "statement_id": statement_id,
        "account": head["account"],
        "date": head["statement_date"].isoformat() if head["statement_date"] else None,
        "format": head["format"] or "csv",
        "opening_minor": head["opening"],
        "closing_minor": head["closing"],
        "imported_at": head["imported_at"].isoformat(),
        "imported_by": head["imported_by"],
        "matched": [],
        "suggested": [],
        "surplus": [],
        "shortage": [],
        "reversed": [],  # a reversal and the line it undoes, resolved together
        "bank_charges": [],  # fees and interest booked to their accounts
    }
    for r in rows:
        matches = json.loads(r["matches"])
        entry = {
            "line_id": r["line_id"],
            "line": r["line_no"],
            "date": r["on_date"].isoformat(),
            "amount_minor": r["amount"],
            "direction": r["direction"],
            "bank_reference": r["reference"],
            "end_to_end_id": r["end_to_end_id"],
            "state": r["state"],
        }
        confirmed = [m for m in matches if m["status"] == "confirmed"]
        suggested = [m for m in matches if m["status"] == "suggested"]
        if r["state"] == "matched":
            view["matched"].append(
                {
                    **entry,
                    "items": [m["item_id"] for m in confirmed],
                    "rule": confirmed[0]["rule"] if confirmed else "reference",
                    "explanation": confirmed[0]["explanation"] if confirmed else "",
                }
            )
            continue
        if r["state"] in ("reversed", "booked"):
            view["reversed" if r["state"] == "reversed" else "bank_charges"].append(entry)
            continue
        if suggested:
            view["suggested"].append(
                {
                    **entry,
                    "items": [m["item_id"] for m in suggested],
                    "rule": suggested[0]["rule"],
                    "explanation": suggested[0]["explanation"],
                }
            )
        view["surplus"].append(entry)
    if head["statement_date"] is not None:
        missing = await conn.fetch(
            """select i.item_id, i.kind, i.amount, i.recorded_on from bank_items i
               where i.recorded_on <= $1 and not exists
                   (select 1 from line_matches m where m.item_id = i.item_id and m.status = 'confirmed')
               order by i.recorded_on, i.item_id""",
            head["statement_date"],
        )
        view["shortage"] = [
            {
                "item_id": m["item_id"],
                "kind": m["kind"],
                "amount_minor": m["amount"],
                "recorded_on": m["recorded_on"].isoformat(),
            }
            for m in missing
        ]
    return view


async def queue(ctx: Context) -> list[dict[str, Any]]:
    """Every open item with its age in days; flagged past the configured age."""
    async with ctx.pool.acquire() as conn:
        found = await suspense_repo.queue(conn)
    today = ctx.today
    out = []
    for r in found:
        age = (today - r["on_date"]).days
        write_off = r["action"] == "write_off" and r["resolution_state"] == "requested"
        out.append(
            {
                "line_id": r["line_id"],
                "statement_date": r["statement_date"].isoformat(),
                "booking_date": r["on_date"].isoformat(),
                "amount_minor": r["amount"],
                "direction": r["direction"],
                "bank_reference": r["reference"],
                "end_to_end_id": r["end_to_end_id"],
                "remittance": r["remittance"],
                "counterparty_account": r["counterparty_account"],
                "counterparty_name": r["counterparty_name"],
                "state": r["state"],
                "age_days": age,
                "flagged": age > ctx.reconciliation.flag_after_days,
                "suggestions": json.loads(r["suggestions"]),
                "write_off_requested_by": r["requested_by"] if write_off else None,
                "write_off_reason": r["reason"] if write_off else None,
            }
        )
    return out
