"""The suspense queue: statement lines no rule explained, worked by reconciliation officers.

Each action takes the line's amount out of suspense in a balanced transfer with a deterministic
id, on the audit trail, and the day reports are computed again:
- confirm or reject a suggested match (amount and date);
- match to ledger items: a payout, several, a payout run, or a return the bank booked without a
  reference we know (a debit line), or a supplier paying back what the guarantee fund advanced for
  it (a credit line);
- book a fee the bank charged, or interest it paid, to its own account (`domain.bank_entries`);
- return to the payer: the money goes back out through the bank like a payout (pending, then
  posted or voided on the bank's answer), and the statement that shows it matches the return;
- write off to reconciliation differences: asked by one officer, approved by another.
Reversals paired with what they undo, and fees and interest the bank's codes name, are resolved at
import (commands.reconciliation)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import asyncpg

from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.errors import Conflict, Forbidden, NotFound, RuleViolation
from plumbing.web.auth import PLATFORM_TENANT
from services.settlement.context import Context
from services.settlement.ledger.adapters.store import load_ledger, load_transfers, write_ledger
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Ledger, Transfer, TransferKind, transfer_id
from services.settlement.reconciliation.adapters import reconciliation_repo as repo
from services.settlement.reconciliation.commands.reconciliation import park, report_days
from services.settlement.reconciliation.domain.bank_entries import CHARGES, charge
from services.settlement.reconciliation.domain.matching import BankItem, Match, MatchRule
from services.settlement.reconciliation.domain.statement import Direction, StatementLine

OPEN_STATES = ("open", "returning")


def return_end_to_end_id(return_id: str) -> str:
    return "USR" + hashlib.sha256(return_id.encode()).hexdigest()[:24].upper()


async def queue(ctx: Context) -> list[dict[str, Any]]:
    """Every open item with its age in days; flagged past the configured age."""
    async with ctx.pool.acquire() as conn:
        rows = await conn.fetch(
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
    today = ctx.today
    out = []
    for r in rows:
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


async def _open_line(conn: asyncpg.Connection, line_id: str) -> asyncpg.Record:
    row = await repo.line_row(conn, line_id, lock=True)
    if row is None or row["account"] is None:
        raise NotFound(f"no statement line {line_id}", code="suspense_item_not_found")
    if row["state"] != "open":
        raise Conflict(
            f"line {line_id} is {row['state']}, not open in suspense",
            code="suspense_item_resolved",
            details={"state": row["state"]},
        )
    return row


def _unpark_cause(row: asyncpg.Record, how: str) -> str:
    return f"statement:{row['statement_id']}:{row['line_no']}:{how}"


async def _ledger(conn: asyncpg.Connection, *more: accounts.Opening) -> Ledger:
    return await load_ledger(
        conn, [accounts.PLATFORM[accounts.BANK], accounts.PLATFORM[accounts.SUSPENSE], *more]
    )


async def _done(
    conn: asyncpg.Connection,
    ctx: Context,
    by: Audited,
    line_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    # the line's day is the first whose report this changes, or an earlier one of the items it was matched to
    since = await conn.fetchval(
        """select least(s.statement_date, min(i.recorded_on), $2::date)
           from bank_statement_lines l join bank_statements s using (statement_id)
           left join line_matches m on m.line_id = l.line_id and m.status = 'confirmed'
           left join bank_items i on i.item_id = m.item_id
           where l.line_id = $1 group by s.statement_date""",
        line_id,
        ctx.today,
    )
    cause = f"{by.action} {line_id} by {by.actor_id}"
    await report_days(conn, ctx, ctx.reconciliation.account, cause, since=since)
    await audit.record(
        conn, by, tenant_id=PLATFORM_TENANT, subject=f"statement_line:{line_id}", before=before, after=after
    )


async def confirm_suggestion(ctx: Context, line_id: str, by: Audited) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.lock(conn)
        row = await _open_line(conn, line_id)
        suggested = await conn.fetch(
            "select item_id from line_matches where line_id = $1 and status = 'suggested'", line_id
        )
        if not suggested:
            raise Conflict(f"line {line_id} has no suggested match", code="no_suggestion")
        taken = await conn.fetchval(
            """select count(*) from line_matches where status = 'confirmed' and item_id = any($1::text[])""",
            [r["item_id"] for r in suggested],
        )
        if taken:
            raise Conflict("a suggested item was matched to another line meanwhile", code="suggestion_stale")
        await conn.execute(
            """update line_matches set status = 'confirmed', matched_by = $2, matched_at = $3
               where line_id = $1 and status = 'suggested'""",
            line_id,
            by.actor_id,
            ctx.clock.now(),
        )
        ledger = await _ledger(conn)
        park(ledger, _unpark_cause(row, "matched"), repo.statement_line(row), out=True)
        await write_ledger(conn, ledger)
        await _matched(conn, line_id)
        await _done(
            conn,
            ctx,
            by,
            line_id,
            {"state": "open"},
            {"state": "matched", "items": [r["item_id"] for r in suggested]},
        )


async def reject_suggestion(ctx: Context, line_id: str, by: Audited) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.lock(conn)
        await _open_line(conn, line_id)
        status = await conn.execute(
            "update line_matches set status = 'rejected', "
            "matched_by = $2 where line_id = $1 and status = 'suggested'",
            line_id,
            by.actor_id,
        )
        if status == "UPDATE 0":
            raise Conflict(f"line {line_id} has no suggested match", code="no_suggestion")
        await _done(conn, ctx, by, line_id, {"suggestion": "open"}, {"suggestion": "rejected"})


async def _matched(conn: asyncpg.Connection, line_id: str) -> None:
    await repo.set_state(conn, [line_id], "matched")
    await conn.execute("delete from suspense_resolutions where line_id = $1 and state <> 'done'", line_id)


async def match_to(ctx: Context, line_id: str, target: str, by: Audited) -> None:
    """Money out: `payout:<id>`, several (`payout:<id>,payout:<id>`, a batch line the rules
    missed), a whole payout run (`run:<id>`), or `return:<id>`; money in: `receivable:<supplier
    id>`; the bank's own entries: `fee` (money out) and `interest` (money in), each to its account."""
    kind, _, ref = target.partition(":")
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.lock(conn)
        row = await _open_line(conn, line_id)
        line = repo.statement_line(row)
        if kind in ("payout", "return", "run"):
            items = await _items_of(conn, target)
            await _match_items(conn, ctx, row, line, items, target, by)
        elif kind == "receivable":
            await _apply_to_receivable(conn, ctx, row, line, ref, by)
        elif kind in CHARGES and not ref:
            await _book_charge(conn, ctx, row, line, kind, by)
        else:
            raise RuleViolation(
                "match to payout:<id>[,payout:<id>…], run:<id>, return:<id>, receivable:<supplier id>, fee or"
                " interest",
                code="invalid_match_target",
            )
        await _done(conn, ctx, by, line_id, {"state": "open"}, {"state": "matched", "target": target})


async def _items_of(conn: asyncpg.Connection, target: str) -> list[BankItem]:
    """The payouts or return a target names, each paid through the bank."""
    kind, _, ref = target.partition(":")
    if kind == "run":
        items = await repo.run_items(conn, ref)
        if not items:
            raise NotFound(f"payout run {ref} paid nothing through the bank", code="ledger_item_not_found")
        return items
    found = []
    for part in target.split(","):
        part_kind, _, part_ref = part.strip().partition(":")
        item = await repo.item(conn, part_ref)
        if item is None or item.kind != part_kind or (kind == "return" and part_kind != "return"):
            raise NotFound(
                f"no {part_kind} {part_ref} was paid through the bank", code="ledger_item_not_found"
            )
        found.append(item)
    if len({i.item_id for i in found}) != len(found):
        raise RuleViolation("an item is named twice", code="invalid_match_target")
    return found


async def _match_items(
    conn: asyncpg.Connection,
    ctx: Context,
    row: asyncpg.Record,
    line: StatementLine,
    items: list[BankItem],
    target: str,
    by: Audited,
) -> None:
    """Confirm the line as the items (together its amount), and take it out of suspense."""
    if line.direction is not Direction.DEBIT:
        raise RuleViolation("money into the account is not a payout or a return", code="match_direction")
    for item in items:
        if await conn.fetchval(
            "select line_id from line_matches where item_id = $1 and status = 'confirmed'", item.item_id
        ):
            raise Conflict(
                f"{item.kind} {item.item_id} is matched to another line already", code="ledger_item_matched"
            )
    total = sum(i.amount_minor for i in items)
    if total != line.amount_minor:
        raise RuleViolation(
            f"{target} is {total} fen, the line {line.amount_minor}",
            code="match_amount_differs",
            details={"items_minor": total, "line_minor": line.amount_minor},
        )
    line_id = row["line_id"]
    await conn.execute("delete from line_matches where line_id = $1 and status = 'suggested'", line_id)
    explanation = f"matched by {by.actor_id}" + (f": {by.reason}" if by.reason else "")
    await repo.record_matches(
        conn,
        [Match(line_id, tuple(items), MatchRule.OPERATOR, True, explanation)],
        by.actor_id,
        ctx.clock.now(),
    )
    ledger = await _ledger(conn)
    park(ledger, _unpark_cause(row, "matched"), line, out=True)
    await write_ledger(conn, ledger)
    await _matched(conn, line_id)


async def _book_charge(
    conn: asyncpg.Connection, ctx: Context, row: asyncpg.Record, line: StatementLine, kind: str, by: Audited
) -> None:
    """A fee or interest of the bank's that no code said, booked to its account."""
    booked = CHARGES[kind]
    ledger = await _ledger(conn, accounts.PLATFORM[booked.account])
    try:
        ledger.apply(charge(row["line_id"], line, kind))
    except ValueError as exc:
        raise RuleViolation(str(exc), code="match_direction") from exc
    await write_ledger(conn, ledger)
    await _resolved(conn, ctx, row["line_id"], booked.action, booked.account, by, "booked")


async def _apply_to_receivable(
    conn: asyncpg.Connection,
    ctx: Context,
    row: asyncpg.Record,
    line: StatementLine,
    supplier_id: str,
    by: Audited,
) -> None:
    """A supplier paid back by transfer what the guarantee fund advanced for it."""
    if line.direction is not Direction.CREDIT:
        raise RuleViolation("a repayment is money into the account", code="match_direction")
    ledger = await _ledger(
        conn,
        accounts.opening_receivable(supplier_id),
        accounts.PLATFORM[accounts.GUARANTEE_FUND],
        accounts.PLATFORM[accounts.GUARANTEE_ADVANCED],
    )
    receivable = ledger.accounts[accounts.supplier_receivable(supplier_id)]
    owed = receivable.debits_posted - receivable.credits_posted
    if owed < line.amount_minor:
        raise RuleViolation(
            f"supplier {supplier_id} owes {owed} fen, less than the line's {line.amount_minor}",
            code="exceeds_receivable",
            details={"owed_minor": owed},
        )
    cause = f"suspense:{row['line_id']}:receivable"
    ledger.apply_all(
        [
            Transfer(
                transfer_id(f"{cause}:repaid"),
                accounts.SUSPENSE,
                accounts.supplier_receivable(supplier_id),
                line.amount_minor,
                TransferKind.POSTED,
                TransferCode.RECEIVABLE_REPAID,
            ),
            Transfer(
                transfer_id(f"{cause}:replenish"),
                accounts.GUARANTEE_ADVANCED,
                accounts.GUARANTEE_FUND,
                line.amount_minor,
                TransferKind.POSTED,
                TransferCode.RECEIVABLE_REPLENISH,
            ),
        ]
    )
    await write_ledger(conn, ledger)
    await _resolved(conn, ctx, row["line_id"], "match", f"receivable:{supplier_id}", by, "applied")


async def _resolved(
    conn: asyncpg.Connection,
    ctx: Context,
    line_id: str,
    action: str,
    target: str | None,
    by: Audited,
    state: str,
) -> None:
    await repo.record_resolution(
        conn,
        line_id,
        action=action,
        target=target,
        reason=by.reason or "",
        by=by.actor_id,
        at=ctx.clock.now(),
        on=ctx.today,
        state=state,
    )


async def request_write_off(ctx: Context, line_id: str, by: Audited) -> None:
    if not by.reason:
        raise RuleViolation("a write-off needs a reason", code="reason_required")
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.lock(conn)
        await _open_line(conn, line_id)
        asked = await conn.fetchrow("select * from suspense_resolutions where line_id = $1", line_id)
        if asked is not None and asked["state"] == "requested":
            raise Conflict(
                f"a write-off of {line_id} was asked by {asked['requested_by']} already",
                code="write_off_requested",
            )
        await conn.execute(
            """insert into suspense_resolutions (line_id, action, state, reason, requested_by, requested_at)
               values ($1, 'write_off', 'requested', $2, $3, $4)
               on conflict (line_id) do update set action = 'write_off', state = 'requested', target = null,
                   reason = excluded.reason, requested_by = excluded.requested_by,
                   requested_at = excluded.requested_at,
                   approved_by = null""",
            line_id,
            by.reason,
            by.actor_id,
            ctx.clock.now(),
        )
        await audit.record(
            conn,
            by,
            tenant_id=PLATFORM_TENANT,
            subject=f"statement_line:{line_id}",
            before={"state": "open"},
            after={"state": "open", "write_off": "requested"},
        )


async def approve_write_off(ctx: Context, line_id: str, by: Audited) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.lock(conn)
        row = await _open_line(conn, line_id)
        asked = await conn.fetchrow(
            "select * from suspense_resolutions where line_id = $1 and action = 'write_off' and state = "
            "'requested'",
            line_id,
        )
        if asked is None:
            raise Conflict(f"no write-off of {line_id} was asked", code="no_write_off_requested")
        if asked["requested_by"] == by.actor_id:
            raise Forbidden(
                "a write-off is approved by a second person, not the one who asked",
                code="second_approver_required",
            )
        line = repo.statement_line(row)
        ledger = await _ledger(conn, accounts.PLATFORM[accounts.RECONCILIATION_DIFFERENCES])
        differences, suspense = accounts.RECONCILIATION_DIFFERENCES, accounts.SUSPENSE
        debit, credit = (
            (suspense, differences) if line.direction is Direction.CREDIT else (differences, suspense)
        )
        ledger.apply(
            Transfer(
                transfer_id(_unpark_cause(row, "written_off")),
                debit,
                credit,
                line.amount_minor,
                TransferKind.POSTED,
                TransferCode.SUSPENSE_WRITTEN_OFF,
            )
        )
        await write_ledger(conn, ledger)
        await conn.execute(
            "update suspense_resolutions set state = 'done', approved_by = $2, "
            "resolved_on = $3 where line_id = $1",
            line_id,
            by.actor_id,
            ctx.today,
        )
        await repo.set_state(conn, [line_id], "written_off")
        await _done(
            conn,
            ctx,
            by,
            line_id,
            {"state": "open", "write_off_requested_by": asked["requested_by"]},
            {"state": "written_off", "amount_minor": line.amount_minor, "reason": asked["reason"]},
        )


async def return_to_payer(ctx: Context, line_id: str, payer_account: str | None, by: Audited) -> str:
    """Send a 长款 back where it came from; the return's id."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.lock(conn)
        row = await _open_line(conn, line_id)
        line = repo.statement_line(row)
        if line.direction is not Direction.CREDIT:
            raise RuleViolation("only money that came in can be returned", code="not_a_receipt")
        account = (payer_account or row["counterparty_account"] or "").replace(" ", "")
        if not account:
            raise RuleViolation("the line names no payer account; give one", code="payer_account_unknown")
        attempt = await conn.fetchval("select count(*) + 1 from bank_returns where line_id = $1", line_id)
        return_id = f"RT-{line_id}-{attempt}"
        await conn.execute(
            """insert into bank_returns (return_id, line_id, amount, payer_account, end_to_end_id, status,
                   recorded_on, created_at) values ($1, $2, $3, $4, $5, 'pending', $6, $7)""",
            return_id,
            line_id,
            line.amount_minor,
            account,
            return_end_to_end_id(return_id),
            ctx.today,
            ctx.clock.now(),
        )
        ledger = await _ledger(conn)
        ledger.apply(
            Transfer(
                transfer_id(f"return:{return_id}"),
                accounts.SUSPENSE,
                accounts.BANK,
                line.amount_minor,
                TransferKind.PENDING,
                TransferCode.SUSPENSE_RETURN,
            )
        )
        await write_ledger(conn, ledger)
        await conn.execute(
            """insert into suspense_resolutions (line_id, action, state, target, reason, requested_by,
                   requested_at)
               values ($1, 'return', 'requested', $2, $3, $4, $5)
               on conflict (line_id) do update set action = 'return', state = 'requested',
               target = excluded.target,
                   reason = excluded.reason, requested_by = excluded.requested_by,
                   requested_at = excluded.requested_at, approved_by = null""",
            line_id,
            f"return:{return_id}",
            by.reason or "",
            by.actor_id,
            ctx.clock.now(),
        )
        await repo.set_state(conn, [line_id], "returning")
        await audit.record(
            conn,
            by,
            tenant_id=PLATFORM_TENANT,
            subject=f"statement_line:{line_id}",
            before={"state": "open"},
            after={
                "state": "returning",
                "return_id": return_id,
                "to_account": account,
                "amount_minor": line.amount_minor,
            },
        )
    await finish_return(ctx, return_id)
    return return_id


async def finish_return(ctx: Context, return_id: str) -> None:
    async with ctx.pool.acquire() as conn:
        ret = await conn.fetchrow("select * from bank_returns where return_id = $1", return_id)
    if ret is None or ret["status"] != "pending":
        return
    outcome = await ctx.bank.pay(
        reference=return_id,
        bank_account_id=ret["payer_account"],
        amount_minor=ret["amount"],
        end_to_end_id=ret["end_to_end_id"],
        remittance=f"UniSettle return of statement line {ret['line_id']}",
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.lock(conn)
        if (
            await conn.fetchval("select status from bank_returns where return_id = $1 for update", return_id)
            != "pending"
        ):
            return
        ledger = await _ledger(conn)
        await load_transfers(conn, ledger, [transfer_id(f"return:{return_id}")])
        ledger.apply(
            Transfer(
                transfer_id(f"return:{return_id}:{'settle' if outcome.settled else 'fail'}"),
                accounts.SUSPENSE,
                accounts.BANK,
                ret["amount"],
                TransferKind.POST_PENDING if outcome.settled else TransferKind.VOID_PENDING,
                TransferCode.SUSPENSE_RETURNED if outcome.settled else TransferCode.SUSPENSE_RETURN_FAILED,
                pending_id=transfer_id(f"return:{return_id}"),
            )
        )
        await write_ledger(conn, ledger)
        await conn.execute(
            "update bank_returns set status = $2, bank_reference = $3, failure = $4, "
            "recorded_on = $5 where return_id = $1",
            return_id,
            "settled" if outcome.settled else "failed",
            outcome.bank_reference,
            outcome.failure_code,
            ctx.today,
        )
        line_id = ret["line_id"]
        if outcome.settled:
            await conn.execute(
                "update suspense_resolutions set state = 'done', resolved_on = $2 where line_id = $1",
                line_id,
                ctx.today,
            )
            await repo.set_state(conn, [line_id], "returned")
        else:
            await conn.execute("update suspense_resolutions set state = 'failed' where line_id = $1", line_id)
            await repo.set_state(conn, [line_id], "open")
        await _done(
            conn,
            ctx,
            Audited("suspense.return_answered", "system", "system", outcome.failure_code),
            line_id,
            {"state": "returning", "return_id": return_id},
            {
                "state": "returned" if outcome.settled else "open",
                "bank": outcome.bank_reference or outcome.failure_code,
            },
        )


async def resume_returns(ctx: Context) -> None:
    """Ask the bank again about returns a crash left pending (it answers the same way per reference)."""
    async with ctx.pool.acquire() as conn:
        pending = await conn.fetch("select return_id from bank_returns where status = 'pending'")
    for row in pending:
        await finish_return(ctx, row["return_id"])
