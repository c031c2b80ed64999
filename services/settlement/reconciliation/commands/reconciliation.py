"""Reconciling bank statements with the ledger (统一对账, and 补对账 when items arrive late).

A statement is read (camt.053, MT940 or a bank's CSV) and refused whole if it is malformed or does
not add up; it is one account's day, imported once. Its lines and every line still open are
matched against what the ledger sent through the bank and no line has yet shown (domain.matching).
A line with no confirmed match is 长款: its amount is parked in the suspense account until it is
matched later or an operator resolves it (commands.suspense). A payout no line shows is 短款 until
a line does. After every change the 余额调节表 of each day it touches is computed again and kept
as a new version when it says something new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg

from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.errors import Conflict, RuleViolation
from plumbing.web.auth import PLATFORM_TENANT
from services.settlement.context import Context
from services.settlement.ledger.adapters.store import load_ledger, write_ledger
from services.settlement.ledger.domain import accounts
from services.settlement.reconciliation.adapters import reconciliation_repo as repo
from services.settlement.reconciliation.adapters.statements import StatementFormat, read
from services.settlement.reconciliation.domain.bank_entries import CHARGES, bookable, charge, pair_reversals
from services.settlement.reconciliation.domain.bank_reconciliation import day_report
from services.settlement.reconciliation.domain.matching import OpenLine, match
from services.settlement.reconciliation.domain.statement import (
    CurrencyMismatch,
    Statement,
    StatementInFuture,
)
from services.settlement.reconciliation.domain.suspense import park

SUSPENSE = accounts.SUSPENSE


class StatementConflict(Conflict):
    code = "statement_conflict"


@dataclass
class Imported:
    statement_id: str
    account: str
    statement_date: date
    fresh: bool


async def import_statement(
    ctx: Context,
    content: bytes,
    imported_by: Audited,
    *,
    format: StatementFormat | None = None,
    layout: str | None = None,
) -> list[Imported]:
    """Import a file's statements, each day in order as if it came in a file of its own. The file
    is refused whole before anything is written when it is malformed, does not add up, is of
    another account or currency, or holds a day that has not ended yet."""
    statements = read(content, format=format, layout=layout)
    for statement in statements:
        _check_importable(ctx, statement)
    return [await _import_one(ctx, statement, imported_by) for statement in statements]


def _check_importable(ctx: Context, statement: Statement) -> None:
    if statement.account != ctx.reconciliation.account:
        raise RuleViolation(
            f"the statement is of account {statement.account}, not the platform's escrow account",
            code="statement_account_unknown",
            details={"account": statement.account},
        )
    if statement.currency != "CNY":
        raise CurrencyMismatch(f"the statement is in {statement.currency}; the account is in CNY")
    if statement.statement_date > ctx.today:
        raise StatementInFuture(
            f"the statement is of {statement.statement_date}, after today ({ctx.today}): a bank states"
            " a day once it has ended",
            details={"date": statement.statement_date.isoformat(), "today": ctx.today.isoformat()},
        )


async def _import_one(ctx: Context, statement: Statement, imported_by: Audited) -> Imported:
    sha = statement.fingerprint()  # the same statement through another channel is the same one
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.lock(conn)
        existing = await repo.statement_of_day(conn, statement.account, statement.statement_date)
        if existing is None:
            new_lines = await repo.insert_statement(
                conn, sha, statement, imported_by.actor_id, ctx.clock.now()
            )
            outcome, since = await _rematch(conn, ctx, imported_by.actor_id, new_lines)
            await report_days(
                conn,
                ctx,
                statement.account,
                f"statement {sha[:12]} imported",
                since=min(since, statement.statement_date),
            )
            await audit.record(
                conn,
                imported_by,
                tenant_id=PLATFORM_TENANT,
                subject=f"statement:{sha}",
                before=None,
                after={
                    "account": statement.account,
                    "date": statement.statement_date.isoformat(),
                    "format": statement.format,
                    "lines": len(statement.lines),
                    "opening_minor": statement.opening_minor,
                    "closing_minor": statement.closing_minor,
                    **outcome,
                },
            )
            return Imported(sha, statement.account, statement.statement_date, True)
        if existing == sha:
            return Imported(sha, statement.account, statement.statement_date, False)
        await repo.add_conflict(conn, statement, sha, existing, imported_by.actor_id, ctx.clock.now())
    raise StatementConflict(
        f"a different statement of account {statement.account} for {statement.statement_date} was imported"
        " already; the new one is kept for an operator and not reconciled",
        details={
            "account": statement.account,
            "date": statement.statement_date.isoformat(),
            "imported_statement_id": existing,
            "refused_statement_id": sha,
        },
    )


async def rematch(ctx: Context, cause: str) -> dict[str, int]:
    """Match the lines still open against what the ledger recorded since (补对账), and report
    again the days the new items fall on (a payout no statement shows yet is 短款 there)."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await repo.any_statement(conn):
            return {"confirmed": 0, "suggested": 0}
        await repo.lock(conn)
        outcome, since = await _rematch(conn, ctx, "system", [])
        await report_days(conn, ctx, ctx.reconciliation.account, cause, since=since)
        return outcome


async def _rematch(
    conn: asyncpg.Connection, ctx: Context, by: str, new_lines: list[OpenLine]
) -> tuple[dict[str, int], date]:
    """Match the new lines and those still open; park what stays open, unpark what was. Also the
    first day whose report this may change (`report_days`): today's, a newly matched line's, and
    that of every item unmatched until now (one recorded since the last report is among them).

    Size: matching, suggesting, reversals and bank charges are one pass over the open lines and
    unmatched items, written together."""
    new_ids = {x.line_id for x in new_lines}
    candidates = await repo.open_lines(conn)  # the new lines are inserted open
    rejected = await repo.rejected_pairs(conn)
    items = await repo.unmatched_items(conn)
    found = [
        m
        for m in match(candidates, items, window_days=ctx.reconciliation.window_days)
        if not any((m.line_id, i.item_id) in rejected for i in m.items)
    ]
    await repo.drop_suggestions(conn, [x.line_id for x in candidates])
    await repo.record_matches(conn, found, by, ctx.clock.now())
    confirmed = {m.line_id for m in found if m.confirmed}
    by_id = {x.line_id: x for x in candidates}
    ledger = await load_ledger(
        conn,
        [
            accounts.PLATFORM[accounts.BANK],
            accounts.PLATFORM[SUSPENSE],
            accounts.PLATFORM[accounts.BANK_CHARGES],
            accounts.PLATFORM[accounts.BANK_INTEREST],
        ],
    )
    rows = await repo.where_lines_are(conn, [x.line_id for x in candidates])
    since = min(
        [
            ctx.today,
            *(r["statement_date"] for r in rows if r["line_id"] in confirmed),
            *(i.recorded_on for i in items),  # unmatched until now
        ]
    )
    for row in rows:
        line = by_id[row["line_id"]].line
        parked = row["line_id"] not in new_ids
        if row["line_id"] in confirmed and parked:
            park(ledger, f"statement:{row['statement_id']}:{row['line_no']}:matched", line, out=True)
        elif row["line_id"] not in confirmed and not parked:
            park(ledger, f"statement:{row['statement_id']}:{row['line_no']}", line)
    # What stays open may be the bank's own entry: a reversal and the line it undoes, a fee or
    # interest. They are resolved here, on their statements' days (domain.bank_entries).
    day_of = {r["line_id"]: r["statement_date"] for r in rows}
    still_open = [x for x in candidates if x.line_id not in confirmed]
    pairs = pair_reversals(still_open)
    paired = {x.line_id for pair in pairs for x in pair}
    charged = [x for x in still_open if x.line_id not in paired and bookable(x.line)]
    ledger.apply_all([charge(x.line_id, x.line, x.line.kind) for x in charged])
    await write_ledger(conn, ledger)
    await repo.set_state(conn, sorted(confirmed), "matched")
    now = ctx.clock.now()
    for reversal, original in pairs:
        on = max(day_of[reversal.line_id], day_of[original.line_id])
        for one, other in ((reversal, original), (original, reversal)):
            await repo.record_resolution(
                conn,
                one.line_id,
                action="reversal",
                target=other.line_id,
                reason="the bank reversed the entry",
                by=by,
                at=now,
                on=on,
                state="reversed",
            )
    for x in charged:
        booked = CHARGES[x.line.kind]
        await repo.record_resolution(
            conn,
            x.line_id,
            action=booked.action,
            target=booked.account,
            reason=f"the bank's {x.line.kind}",
            by=by,
            at=now,
            on=day_of[x.line_id],
            state="booked",
        )
    since = min([since, *(day_of[line_id] for line_id in paired), *(day_of[x.line_id] for x in charged)])
    outcome = {
        "confirmed": len(confirmed),
        "suggested": sum(1 for m in found if not m.confirmed),
        "parked": len(new_ids - confirmed - paired - {x.line_id for x in charged}),
        "reversed": len(paired),
        "booked": len(charged),
    }
    return outcome, since


async def report_days(
    conn: asyncpg.Connection, ctx: Context, account: str, cause: str, *, since: date | None = None
) -> None:
    """Report again each statement day from `since` (every day when None). A day's report says
    what was known by its end and what cleared since, so it changes only when one of its lines or
    of the items recorded by then is recorded, matched or resolved: days before all of those stay."""
    statements, lines, items = await repo.report_facts(conn, account)
    for statement in statements:
        if since is not None and statement.on < since:
            continue
        body = day_report(statement.on, statements, lines, items)
        await repo.save_report(
            conn, account, statement.on, {"account": account, **body}, cause, ctx.clock.now()
        )
