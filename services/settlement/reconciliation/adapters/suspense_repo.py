"""The suspense queue's rows: its open lines and their suggestions, write-offs asked and
approved, returns to payers and the bank's answers to them."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from services.settlement.reconciliation.adapters.reconciliation_repo import (
    line_row,
    set_state,
    statement_line,
)
from services.settlement.reconciliation.domain.suspense import (
    OPEN_STATES,
    Return,
    SuspenseLine,
    WriteOffAsked,
)


async def queue(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every line in suspense, with its statement's day, its suggestions and what was asked of it."""
    return list(
        await conn.fetch(
            """select l.*, s.statement_date, r.action, r.state as resolution_state, r.requested_by, r.reason,
                   coalesce(json_agg(json_build_object('item_id', m.item_id, 'rule', m.rule,
                       'explanation', m.explanation)) filter (where m.status = 'suggested'), '[]') suggestions
               from bank_statement_lines l join bank_statements s using (statement_id)
               left join suspense_resolutions r on r.line_id = l.line_id
               left join line_matches m on m.line_id = l.line_id
               where l.state = any($1::text[]) and s.account is not null
               group by l.statement_id, l.line_no, s.statement_date, r.action, r.state, r.requested_by,
               r.reason
               order by l.on_date, l.line_id""",
            list(OPEN_STATES),
        )
    )


async def line(conn: asyncpg.Connection, line_id: str) -> SuspenseLine | None:
    """The line of an account's statement, locked."""
    row = await line_row(conn, line_id, lock=True)
    if row is None or row["account"] is None:
        return None
    return SuspenseLine(
        row["line_id"],
        row["statement_id"],
        row["line_no"],
        row["state"],
        statement_line(row),
        row["counterparty_account"],
    )


async def suggested(conn: asyncpg.Connection, line_id: str) -> list[str]:
    rows = await conn.fetch(
        "select item_id from line_matches where line_id = $1 and status = 'suggested'", line_id
    )
    return [r["item_id"] for r in rows]


async def matched_elsewhere(conn: asyncpg.Connection, item_ids: list[str]) -> set[str]:
    """Which of these items are matched to a line already."""
    rows = await conn.fetch(
        "select item_id from line_matches where status = 'confirmed' and item_id = any($1::text[])", item_ids
    )
    return {r["item_id"] for r in rows}


async def confirm_suggested(conn: asyncpg.Connection, line_id: str, by: str, at: datetime) -> None:
    await conn.execute(
        """update line_matches set status = 'confirmed', matched_by = $2, matched_at = $3
           where line_id = $1 and status = 'suggested'""",
        line_id,
        by,
        at,
    )


async def reject_suggested(conn: asyncpg.Connection, line_id: str, by: str) -> bool:
    """Reject the line's suggestions; False when it had none."""
    status = await conn.execute(
        "update line_matches set status = 'rejected', matched_by = $2"
        " where line_id = $1 and status = 'suggested'",
        line_id,
        by,
    )
    return bool(status != "UPDATE 0")


async def matched(conn: asyncpg.Connection, line_id: str) -> None:
    """The line is matched: whatever was asked of it and not done is dropped."""
    await set_state(conn, [line_id], "matched")
    await conn.execute("delete from suspense_resolutions where line_id = $1 and state <> 'done'", line_id)


async def first_day_changed(conn: asyncpg.Connection, line_id: str, today: date) -> date:
    """The first day whose report a resolution of the line changes: its statement's, or an earlier
    one of the items it was matched to."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        """select least(s.statement_date, min(i.recorded_on), $2::date)
           from bank_statement_lines l join bank_statements s using (statement_id)
           left join line_matches m on m.line_id = l.line_id and m.status = 'confirmed'
           left join bank_items i on i.item_id = m.item_id
           where l.line_id = $1 group by s.statement_date""",
        line_id,
        today,
    )


async def write_off_asked(conn: asyncpg.Connection, line_id: str) -> WriteOffAsked | None:
    row = await conn.fetchrow(
        "select * from suspense_resolutions"
        " where line_id = $1 and action = 'write_off' and state = 'requested'",
        line_id,
    )
    return WriteOffAsked(row["requested_by"], row["reason"]) if row else None


async def ask(
    conn: asyncpg.Connection,
    line_id: str,
    action: str,
    target: str | None,
    reason: str,
    by: str,
    at: datetime,
) -> None:
    """Something asked of the line that another person or the bank completes (a write-off, a
    return), replacing what was asked before."""
    await conn.execute(
        """insert into suspense_resolutions
               (line_id, action, state, target, reason, requested_by, requested_at)
           values ($1, $2, 'requested', $3, $4, $5, $6)
           on conflict (line_id) do update set action = excluded.action, state = 'requested',
               target = excluded.target, reason = excluded.reason, requested_by = excluded.requested_by,
               requested_at = excluded.requested_at, approved_by = null""",
        line_id,
        action,
        target,
        reason,
        by,
        at,
    )


async def done(conn: asyncpg.Connection, line_id: str, on: date, approved_by: str | None = None) -> None:
    await conn.execute(
        """update suspense_resolutions set state = 'done', resolved_on = $2,
               approved_by = coalesce($3, approved_by) where line_id = $1""",
        line_id,
        on,
        approved_by,
    )


async def failed(conn: asyncpg.Connection, line_id: str) -> None:
    await conn.execute("update suspense_resolutions set state = 'failed' where line_id = $1", line_id)


async def next_return_attempt(conn: asyncpg.Connection, line_id: str) -> int:
    return int(await conn.fetchval("select count(*) + 1 from bank_returns where line_id = $1", line_id))


async def add_return(conn: asyncpg.Connection, line_id: str, sent: Return, on: date, at: datetime) -> None:
    await conn.execute(
        """insert into bank_returns (return_id, line_id, amount, payer_account, end_to_end_id, status,
               recorded_on, created_at) values ($1, $2, $3, $4, $5, 'pending', $6, $7)""",
        sent.return_id,
        line_id,
        sent.amount_minor,
        sent.payer_account,
        sent.end_to_end_id,
        on,
        at,
    )


async def pending_return(
    conn: asyncpg.Connection, return_id: str, *, lock: bool = False
) -> tuple[Return, str] | None:
    """A return the bank has not answered, and its line."""
    row = await conn.fetchrow(
        "select * from bank_returns where return_id = $1" + (" for update" if lock else ""), return_id
    )
    if row is None or row["status"] != "pending":
        return None
    return Return(row["return_id"], row["payer_account"], row["amount"]), row["line_id"]


async def return_answered(
    conn: asyncpg.Connection,
    return_id: str,
    *,
    settled: bool,
    bank_reference: str | None,
    failure: str | None,
    on: date,
) -> None:
    await conn.execute(
        "update bank_returns set status = $2, bank_reference = $3, failure = $4, recorded_on = $5"
        " where return_id = $1",
        return_id,
        "settled" if settled else "failed",
        bank_reference,
        failure,
        on,
    )


async def pending_returns(conn: asyncpg.Connection) -> list[str]:
    return [
        r["return_id"]
        for r in await conn.fetch("select return_id from bank_returns where status = 'pending'")
    ]
