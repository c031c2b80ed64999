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
import (commands.reconciliation).

Each command reads the line and what it needs (`adapters.suspense_repo`), decides purely
(`domain.suspense`), and writes the decision, the audit entry and the day reports again once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.errors import Conflict, NotFound, RuleViolation
from plumbing.web.auth import PLATFORM_TENANT
from services.settlement.context import Context
from services.settlement.ledger.adapters.store import load_ledger, load_transfers, write_ledger
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.ledger import Ledger, Transfer
from services.settlement.reconciliation.adapters import reconciliation_repo as repo
from services.settlement.reconciliation.adapters import suspense_repo as rows
from services.settlement.reconciliation.commands.reconciliation import report_days
from services.settlement.reconciliation.domain import suspense as rules
from services.settlement.reconciliation.domain.bank_entries import CHARGES
from services.settlement.reconciliation.domain.matching import BankItem, Match, MatchRule
from services.settlement.reconciliation.domain.suspense import SuspenseLine


async def _open(conn: asyncpg.Connection, line_id: str) -> SuspenseLine:
    await repo.lock(conn)
    return rules.open_line(await rows.line(conn, line_id), line_id)


async def _ledger(conn: asyncpg.Connection, *more: accounts.Opening) -> Ledger:
    """The bank's and suspense's accounts and `more`, locked in one batch in id order."""
    return await load_ledger(
        conn, [accounts.PLATFORM[accounts.BANK], accounts.PLATFORM[accounts.SUSPENSE], *more]
    )


async def _post(conn: asyncpg.Connection, transfers: Sequence[Transfer], *more: accounts.Opening) -> None:
    """Record the transfers a decision took, against the bank, suspense and `more` accounts."""
    ledger = await _ledger(conn, *more)
    ledger.apply_all(list(transfers))
    await write_ledger(conn, ledger)


async def _done(
    conn: asyncpg.Connection,
    ctx: Context,
    by: Audited,
    line_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """The day reports the change touches, made again, and the change on the audit trail."""
    since = await rows.first_day_changed(conn, line_id, ctx.today)
    cause = f"{by.action} {line_id} by {by.actor_id}"
    await report_days(conn, ctx, ctx.reconciliation.account, cause, since=since)
    await audit.record(
        conn, by, tenant_id=PLATFORM_TENANT, subject=f"statement_line:{line_id}", before=before, after=after
    )


async def confirm_suggestion(ctx: Context, line_id: str, by: Audited) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        found = await _open(conn, line_id)
        suggested = await rows.suggested(conn, line_id)
        if not suggested:
            raise Conflict(f"line {line_id} has no suggested match", code="no_suggestion")
        if await rows.matched_elsewhere(conn, suggested):
            raise Conflict("a suggested item was matched to another line meanwhile", code="suggestion_stale")
        await rows.confirm_suggested(conn, line_id, by.actor_id, ctx.clock.now())
        await _post(conn, [rules.parked(found.cause("matched"), found.line, out=True)])
        await rows.matched(conn, line_id)
        await _done(conn, ctx, by, line_id, {"state": "open"}, {"state": "matched", "items": suggested})


async def reject_suggestion(ctx: Context, line_id: str, by: Audited) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        await _open(conn, line_id)
        if not await rows.reject_suggested(conn, line_id, by.actor_id):
            raise Conflict(f"line {line_id} has no suggested match", code="no_suggestion")
        await _done(conn, ctx, by, line_id, {"suggestion": "open"}, {"suggestion": "rejected"})


async def match_to(ctx: Context, line_id: str, target: str, by: Audited) -> None:
    """Money out: `payout:<id>`, several (`payout:<id>,payout:<id>`, a batch line the rules
    missed), a whole payout run (`run:<id>`), or `return:<id>`; money in: `receivable:<supplier
    id>`; the bank's own entries: `fee` (money out) and `interest` (money in), each to its account."""
    kind, _, ref = target.partition(":")
    async with ctx.pool.acquire() as conn, conn.transaction():
        found = await _open(conn, line_id)
        if kind in ("payout", "return", "run"):
            items = await _items_of(conn, target)
            matched_elsewhere = await rows.matched_elsewhere(conn, [i.item_id for i in items])
            unparked = rules.match_items(found, items, target, matched_elsewhere)
            await repo.drop_suggestions(conn, [line_id])
            explanation = f"matched by {by.actor_id}" + (f": {by.reason}" if by.reason else "")
            match = Match(line_id, tuple(items), MatchRule.OPERATOR, True, explanation)
            await repo.record_matches(conn, [match], by.actor_id, ctx.clock.now())
            await _post(conn, [unparked])
            await rows.matched(conn, line_id)
        elif kind == "receivable":
            receivable = accounts.opening_receivable(ref)
            guarantee = [accounts.PLATFORM[a] for a in (accounts.GUARANTEE_FUND, accounts.GUARANTEE_ADVANCED)]
            ledger = await _ledger(conn, receivable, *guarantee)
            owes = ledger.accounts[receivable.account_id]
            ledger.apply_all(rules.repay_receivable(found, ref, owes.debits_posted - owes.credits_posted))
            await write_ledger(conn, ledger)
            await _resolved(conn, ctx, line_id, "match", f"receivable:{ref}", by, "applied")
        elif kind in CHARGES and not ref:
            booked = CHARGES[kind]
            await _post(conn, [rules.book_charge(found, kind)], accounts.PLATFORM[booked.account])
            await _resolved(conn, ctx, line_id, booked.action, booked.account, by, "booked")
        else:
            raise RuleViolation(f"match to {rules.MATCH_TARGETS}", code="invalid_match_target")
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
    return found


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
    reason = rules.write_off_reason(by.reason)  # before anything is read
    async with ctx.pool.acquire() as conn, conn.transaction():
        await _open(conn, line_id)
        rules.ask_write_off(await rows.write_off_asked(conn, line_id), line_id)
        await rows.ask(conn, line_id, "write_off", None, reason, by.actor_id, ctx.clock.now())
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
        found = await _open(conn, line_id)
        asked = await rows.write_off_asked(conn, line_id)
        written_off = rules.write_off(found, asked, by.actor_id)
        assert asked is not None
        await _post(conn, [written_off], accounts.PLATFORM[accounts.RECONCILIATION_DIFFERENCES])
        await rows.done(conn, line_id, ctx.today, approved_by=by.actor_id)
        await repo.set_state(conn, [line_id], "written_off")
        await _done(
            conn,
            ctx,
            by,
            line_id,
            {"state": "open", "write_off_requested_by": asked.requested_by},
            {"state": "written_off", "amount_minor": found.line.amount_minor, "reason": asked.reason},
        )


async def return_to_payer(ctx: Context, line_id: str, payer_account: str | None, by: Audited) -> str:
    """Send a 长款 back where it came from; the return's id."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        found = await _open(conn, line_id)
        sent = rules.return_to_payer(found, payer_account, await rows.next_return_attempt(conn, line_id))
        await rows.add_return(conn, line_id, sent, ctx.today, ctx.clock.now())
        await _post(conn, [sent.pending])
        await rows.ask(
            conn, line_id, "return", f"return:{sent.return_id}", by.reason or "", by.actor_id, ctx.clock.now()
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
                "return_id": sent.return_id,
                "to_account": sent.payer_account,
                "amount_minor": sent.amount_minor,
            },
        )
    await finish_return(ctx, sent.return_id)
    return sent.return_id


async def finish_return(ctx: Context, return_id: str) -> None:
    """Send a pending return through the bank and record its answer (the bank answers the same
    way to the same reference, so asking again after a crash is safe)."""
    async with ctx.pool.acquire() as conn:
        pending = await rows.pending_return(conn, return_id)
    if pending is None:
        return
    sent, line_id = pending
    outcome = await ctx.bank.pay(
        reference=return_id,
        bank_account_id=sent.payer_account,
        amount_minor=sent.amount_minor,
        end_to_end_id=sent.end_to_end_id,
        remittance=f"UniSettle return of statement line {line_id}",
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.lock(conn)
        if await rows.pending_return(conn, return_id, lock=True) is None:
            return
        ledger = await _ledger(conn)
        await load_transfers(conn, ledger, [sent.pending.transfer_id])
        ledger.apply(sent.answered(outcome.settled))
        await write_ledger(conn, ledger)
        await rows.return_answered(
            conn,
            return_id,
            settled=outcome.settled,
            bank_reference=outcome.bank_reference,
            failure=outcome.failure_code,
            on=ctx.today,
        )
        if outcome.settled:
            await rows.done(conn, line_id, ctx.today)
            await repo.set_state(conn, [line_id], "returned")
        else:
            await rows.failed(conn, line_id)
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
        pending = await rows.pending_returns(conn)
    for return_id in pending:
        await finish_return(ctx, return_id)
