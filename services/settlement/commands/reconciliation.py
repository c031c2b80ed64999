"""Reconciling a bank statement with the ledger.

Each statement line is matched to a settled payout by reference and amount. A line the ledger
does not know is 长款 (on the statement, not in the ledger): its amount is parked in the suspense
account until an operator resolves it. A settled payout in the statement's period that no line
shows is 短款 (in the ledger, not on the statement)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import asyncpg

from plumbing import audit
from plumbing.audit import Audited
from plumbing.auth import PLATFORM_TENANT
from services.settlement.adapters.book_reader import load_ledger
from services.settlement.adapters.effects import write_ledger
from services.settlement.context import Context
from services.settlement.domain import accounts
from services.settlement.domain.ledger import Ledger, Transfer, TransferKind, transfer_id
from services.settlement.domain.statement import Direction, StatementLine, parse

SUSPENSE = accounts.SUSPENSE


@dataclass
class Report:
    statement_id: str
    matched: list[dict[str, object]] = field(default_factory=list)
    surplus: list[dict[str, object]] = field(default_factory=list)  # 长款
    shortage: list[dict[str, object]] = field(default_factory=list)  # 短款


async def import_statement(ctx: Context, content: str, imported_by: Audited) -> Report:
    statement_id = hashlib.sha256(content.encode()).hexdigest()
    lines = parse(content)
    async with ctx.pool.acquire() as conn, conn.transaction():
        fresh = await conn.fetchval(
            """insert into bank_statements (statement_id, imported_by, lines) values ($1, $2, $3)
               on conflict do nothing returning true""",
            statement_id,
            imported_by.actor_id,
            len(lines),
        )
        if fresh:
            ledger = await load_ledger(conn, [accounts.PLATFORM[accounts.BANK], accounts.PLATFORM[SUSPENSE]])
            for line in lines:
                await _match(conn, ledger, statement_id, line)
            await write_ledger(conn, ledger)
        result = await report(conn, statement_id)
        if fresh:
            await audit.record(
                conn,
                imported_by,
                tenant_id=PLATFORM_TENANT,
                subject=f"statement:{statement_id}",
                before=None,
                after={"lines": len(lines), "surplus": result.surplus, "shortage": len(result.shortage)},
            )
        return result


async def _match(conn: asyncpg.Connection, ledger: Ledger, statement_id: str, line: StatementLine) -> None:
    payout_id = None
    if line.direction is Direction.DEBIT:
        payout_id = await conn.fetchval(
            """select payout_id from payouts p where payout_id = $1 and amount = $2 and status = 'settled'
               and not exists (select 1 from bank_statement_lines l where l.payout_id = p.payout_id)""",
            line.reference,
            line.amount_minor,
        )
    if payout_id is None:
        debit, credit = (
            (accounts.BANK, SUSPENSE) if line.direction is Direction.CREDIT else (SUSPENSE, accounts.BANK)
        )
        ledger.apply(
            Transfer(
                transfer_id(f"statement:{statement_id}:{line.line_no}"),
                debit,
                credit,
                line.amount_minor,
                TransferKind.POSTED,
                "statement_suspense",
            )
        )
    await conn.execute(
        """insert into bank_statement_lines (statement_id, line_no, on_date, amount, direction, reference,
               matched, payout_id) values ($1, $2, $3, $4, $5, $6, $7, $8)""",
        statement_id,
        line.line_no,
        line.on,
        line.amount_minor,
        line.direction.value,
        line.reference,
        "payout" if payout_id else "suspense",
        payout_id,
    )


async def report(conn: asyncpg.Connection, statement_id: str) -> Report:
    out = Report(statement_id)
    rows = await conn.fetch(
        """select line_no, on_date, amount, direction, reference, matched, payout_id from bank_statement_lines
           where statement_id = $1 order by line_no""",
        statement_id,
    )
    for r in rows:
        entry: dict[str, object] = {
            "line": r["line_no"],
            "date": r["on_date"].isoformat(),
            "amount_minor": r["amount"],
            "direction": r["direction"],
            "reference": r["reference"],
        }
        (out.matched if r["matched"] == "payout" else out.surplus).append(entry)
    if rows:
        first, last = min(r["on_date"] for r in rows), max(r["on_date"] for r in rows)
        missing = await conn.fetch(
            """select payout_id, amount, resolved_at from payouts p where status = 'settled'
               and resolved_at::date between $1 and $2
               and not exists (select 1 from bank_statement_lines l where l.payout_id = p.payout_id)
               order by payout_id""",
            first,
            last,
        )
        out.shortage = [
            {
                "payout_id": m["payout_id"],
                "amount_minor": m["amount"],
                "settled_on": m["resolved_at"].date().isoformat(),
            }
            for m in missing
        ]
    return out
