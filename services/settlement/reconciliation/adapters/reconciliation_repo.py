"""Reading and writing reconciliation's tables: statements, their lines, matches, bank items,
and the versioned day reports.

Size: reconciliation's tables (statements, lines, matches, bank items, reports) are read and
written in this one place."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import asyncpg

from services.settlement.reconciliation.domain.bank_reconciliation import DayStatement, ItemFacts, LineFacts
from services.settlement.reconciliation.domain.matching import BankItem, Match, OpenLine
from services.settlement.reconciliation.domain.statement import Batch, Direction, Statement, StatementLine

RESOLVED_STATES = {
    "returned": "return",
    "written_off": "write_off",
    "applied": "match",
    "reversed": "reversal",
    "booked": "bank_charge",
}


def line_id_of(statement: Statement, line: StatementLine) -> str:
    return f"{statement.account[-4:]}-{statement.statement_date:%Y%m%d}-{line.line_no}"


async def lock(conn: asyncpg.Connection) -> None:
    """One piece of reconciliation work at a time: matching reads what the last one decided."""
    await conn.execute("select pg_advisory_xact_lock(hashtext('unisettle:reconciliation'))")


async def insert_statement(
    conn: asyncpg.Connection, statement_id: str, statement: Statement, imported_by: str, at: datetime
) -> list[OpenLine]:
    await conn.execute(
        """insert into bank_statements (statement_id, imported_by, imported_at, lines, account,
               statement_date,
               format, opening, closing, content_sha)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $1)""",
        statement_id,
        imported_by,
        at,
        len(statement.lines),
        statement.account,
        statement.statement_date,
        statement.format,
        statement.opening_minor,
        statement.closing_minor,
    )
    rows = [
        (
            statement_id,
            line.line_no,
            line_id_of(statement, line),
            line.booking_date,
            line.value_date,
            line.amount_minor,
            line.direction.value,
            line.bank_reference,
            line.end_to_end_id,
            line.remittance,
            line.counterparty_account,
            line.counterparty_name,
            line.batch.count if line.batch else None,
            line.batch.total_minor if line.batch else None,
            list(line.batch.end_to_end_ids) if line.batch else [],
            line.reversal,
            line.kind,
        )
        for line in statement.lines
    ]
    await conn.executemany(
        """insert into bank_statement_lines (statement_id, line_no, line_id, on_date, value_date,
               amount, direction,
               reference, end_to_end_id, remittance, counterparty_account, counterparty_name, batch_count,
               batch_total, batch_ids, reversal, kind, state)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'open')""",
        rows,
    )
    return [OpenLine(line_id_of(statement, line), line) for line in statement.lines]


def statement_line(row: asyncpg.Record) -> StatementLine:
    """A stored line as the reader produced it."""
    batch = (
        Batch(row["batch_count"], row["batch_total"], tuple(row["batch_ids"])) if row["batch_count"] else None
    )
    return StatementLine(
        line_no=row["line_no"],
        booking_date=row["on_date"],
        amount_minor=row["amount"],
        direction=Direction(row["direction"]),
        value_date=row["value_date"],
        bank_reference=row["reference"],
        end_to_end_id=row["end_to_end_id"],
        remittance=row["remittance"],
        counterparty_account=row["counterparty_account"],
        counterparty_name=row["counterparty_name"],
        batch=batch,
        reversal=row["reversal"],
        kind=row["kind"],
    )


async def open_lines(conn: asyncpg.Connection) -> list[OpenLine]:
    rows = await conn.fetch(
        """select l.* from bank_statement_lines l join bank_statements s using (statement_id)
           where l.state = 'open' and s.account is not null order by l.on_date, l.line_id"""
    )
    return [OpenLine(r["line_id"], statement_line(r)) for r in rows]


async def line_row(conn: asyncpg.Connection, line_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "select l.*, s.statement_date, s.account from bank_statement_lines l join bank_statements s"
        " using (statement_id) where l.line_id = $1" + (" for update of l" if lock else ""),
        line_id,
    )


async def unmatched_items(conn: asyncpg.Connection) -> list[BankItem]:
    rows = await conn.fetch(
        """select i.* from bank_items i where not exists
               (select 1 from line_matches m where m.item_id = i.item_id and m.status = 'confirmed')"""
    )
    return [_item(r) for r in rows]


async def item(conn: asyncpg.Connection, item_id: str) -> BankItem | None:
    row = await conn.fetchrow("select * from bank_items where item_id = $1", item_id)
    return _item(row) if row else None


async def run_items(conn: asyncpg.Connection, run_id: str) -> list[BankItem]:
    """The payouts of a payout run that went through the bank, in id order."""
    rows = await conn.fetch("select * from bank_items where batch_id = $1 order by item_id", run_id)
    return [_item(r) for r in rows]


def _item(r: asyncpg.Record) -> BankItem:
    return BankItem(
        item_id=r["item_id"],
        kind=r["kind"],
        amount_minor=r["amount"],
        recorded_on=r["recorded_on"],
        end_to_end_id=r["end_to_end_id"],
        bank_reference=r["bank_reference"],
        batch_id=r["batch_id"],
    )


async def rejected_pairs(conn: asyncpg.Connection) -> set[tuple[str, str]]:
    rows = await conn.fetch("select line_id, item_id from line_matches where status = 'rejected'")
    return {(r["line_id"], r["item_id"]) for r in rows}


async def record_matches(conn: asyncpg.Connection, matches: list[Match], by: str, at: datetime) -> None:
    await conn.executemany(
        """insert into line_matches (line_id, item_id, item_kind, status, rule, explanation,
               matched_by, matched_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           on conflict (line_id, item_id) do update set status = excluded.status, rule = excluded.rule,
               explanation = excluded.explanation, matched_by = excluded.matched_by,
                      matched_at = excluded.matched_at""",
        [
            (
                m.line_id,
                i.item_id,
                i.kind,
                "confirmed" if m.confirmed else "suggested",
                m.rule.value,
                m.explanation,
                by,
                at,
            )
            for m in matches
            for i in m.items
        ],
    )


async def record_resolution(
    conn: asyncpg.Connection,
    line_id: str,
    *,
    action: str,
    target: str | None,
    reason: str,
    by: str,
    at: datetime,
    on: date,
    state: str,
) -> None:
    """A line resolved on its own (returned, written off, applied, reversed, booked), on day `on`."""
    await conn.execute(
        """insert into suspense_resolutions (line_id, action, state, target, reason, requested_by,
               requested_at, resolved_on)
           values ($1, $2, 'done', $3, $4, $5, $6, $7)
           on conflict (line_id) do update set action = excluded.action, state = 'done',
               target = excluded.target, reason = excluded.reason, resolved_on = excluded.resolved_on""",
        line_id,
        action,
        target,
        reason,
        by,
        at,
        on,
    )
    await set_state(conn, [line_id], state)


async def set_state(conn: asyncpg.Connection, line_ids: list[str], state: str) -> None:
    await conn.execute(
        "update bank_statement_lines set state = $2 where line_id = any($1::text[])", line_ids, state
    )


async def report_facts(
    conn: asyncpg.Connection, account: str
) -> tuple[list[DayStatement], list[LineFacts], list[ItemFacts]]:
    statements = [
        DayStatement(r["statement_id"], r["statement_date"], r["opening"], r["closing"], r["format"])
        for r in await conn.fetch(
            """select statement_id, statement_date, opening, closing, format from bank_statements
               where account = $1 order by statement_date""",
            account,
        )
    ]
    rows = await conn.fetch(
        """select l.line_id, s.statement_date, l.amount, l.direction, l.state,
               coalesce(array_agg(m.item_id order by m.item_id) filter (where m.status = 'confirmed'),
               '{}') items,
               r.resolved_on, r.action, r.target
           from bank_statement_lines l join bank_statements s using (statement_id)
           left join line_matches m on m.line_id = l.line_id
           left join suspense_resolutions r on r.line_id = l.line_id and r.state = 'done'
           where s.account = $1
           group by l.line_id, s.statement_date, l.amount, l.direction, l.state, r.resolved_on,
                  r.action, r.target""",
        account,
    )
    lines = [
        LineFacts(
            line_id=r["line_id"],
            on=r["statement_date"],
            amount_minor=r["amount"],
            direction=Direction(r["direction"]),
            state=r["state"],
            items=tuple(r["items"]),
            resolved_on=r["resolved_on"] if r["state"] in RESOLVED_STATES else None,
            resolution=f"{r['action']}:{r['target']}" if r["action"] and r["target"] else (r["action"] or ""),
        )
        for r in rows
    ]
    items = [
        ItemFacts(r["item_id"], r["kind"], r["amount"], r["recorded_on"])
        for r in await conn.fetch("select item_id, kind, amount, recorded_on from bank_items")
    ]
    return statements, lines, items


async def save_report(
    conn: asyncpg.Connection, account: str, on: date, body: dict[str, Any], cause: str, at: datetime
) -> int:
    """A new version of the day's report if it says something new; its version either way."""
    latest = await conn.fetchrow(
        """select version, body from reconciliation_reports where account = $1 and on_date = $2
           order by version desc limit 1""",
        account,
        on,
    )
    if latest is not None and json.loads(latest["body"]) == body:
        return int(latest["version"])
    version = (latest["version"] if latest else 0) + 1
    await conn.execute(
        """insert into reconciliation_reports (account, on_date, version, body, cause, created_at)
           values ($1, $2, $3, $4::jsonb, $5, $6)""",
        account,
        on,
        version,
        json.dumps(body),
        cause,
        at,
    )
    return version


async def reports(
    conn: asyncpg.Connection, account: str, on: date, *, all_versions: bool = False
) -> list[asyncpg.Record]:
    found: list[asyncpg.Record] = await conn.fetch(
        """select version, body, cause, created_at from reconciliation_reports
           where account = $1 and on_date = $2 order by version desc"""
        + ("" if all_versions else " limit 1"),
        account,
        on,
    )
    return found


async def latest_statements(conn: asyncpg.Connection, limit: int) -> list[str]:
    """The ids of the statements imported last, newest day first."""
    return [
        r["statement_id"]
        for r in await conn.fetch(
            "select statement_id from bank_statements"
            " order by statement_date desc nulls last, imported_at desc, statement_id limit $1",
            limit,
        )
    ]


async def conflicts(conn: asyncpg.Connection, limit: int = 100) -> list[asyncpg.Record]:
    """Statements refused because another one for the same account and day was imported."""
    return list(
        await conn.fetch("select * from statement_conflicts order by received_at desc limit $1", limit)
    )


async def bank_return(conn: asyncpg.Connection, return_id: str) -> dict[str, object]:
    """Where a return of unexplained money to its payer stands with the bank."""
    row = await conn.fetchrow(
        "select status, failure, end_to_end_id, bank_reference from bank_returns where return_id = $1",
        return_id,
    )
    return dict(row) if row else {}


async def statement_of_day(conn: asyncpg.Connection, account: str, on: date) -> str | None:
    """The id of the statement imported for the account and day, if one was."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "select statement_id from bank_statements where account = $1 and statement_date = $2", account, on
    )


async def add_conflict(
    conn: asyncpg.Connection, statement: Statement, sha: str, existing_id: str, by: str, at: datetime
) -> None:
    """A statement refused because another was imported for its account and day: kept for an
    operator."""
    await conn.execute(
        """insert into statement_conflicts (account, statement_date, content_sha, existing_id, received_by,
               received_at) values ($1, $2, $3, $4, $5, $6) on conflict do nothing""",
        statement.account,
        statement.statement_date,
        sha,
        existing_id,
        by,
        at,
    )


async def any_statement(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("select exists (select 1 from bank_statements)"))


async def drop_suggestions(conn: asyncpg.Connection, line_ids: list[str]) -> None:
    await conn.execute(
        "delete from line_matches where status = 'suggested' and line_id = any($1::text[])", line_ids
    )


async def where_lines_are(conn: asyncpg.Connection, line_ids: list[str]) -> list[asyncpg.Record]:
    """Each line's statement, place in it and day."""
    return list(
        await conn.fetch(
            """select line_id, statement_id, line_no, statement_date from bank_statement_lines
               join bank_statements using (statement_id) where line_id = any($1::text[])""",
            line_ids,
        )
    )
