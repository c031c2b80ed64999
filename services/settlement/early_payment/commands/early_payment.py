"""Early payment: quote, accept (the advance paid through the payout path), and settle each
financing from its order's release — or, when the order was refunded or cancelled first, turn
what the supplier received into a receivable recovered from its next releases and payouts.

Every step is balanced transfers with deterministic ids (domain.financing); a supplier's
financing is decided under a lock of that supplier, so concurrent acceptances never pass its limit."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import asyncpg

from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.errors import Conflict, NotFound, RuleViolation
from plumbing.web.auth import PLATFORM_TENANT
from services.settlement.context import Context, EarlyPaymentTerms
from services.settlement.early_payment.adapters import repository as repo
from services.settlement.early_payment.domain import terms as financing
from services.settlement.ledger.adapters.store import load_ledger, load_transfers, write_ledger
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Ledger, transfer_id
from services.settlement.money_path.commands import guarantee
from services.settlement.money_path.domain.fees import platform_fee
from services.settlement.payouts.commands import payout_record
from services.settlement.reconciliation.commands import reconciliation

MAX_ORDERS = 50


class FinancingRefused(RuleViolation):
    code = "order_not_financeable"


def accounts_of(supplier_id: str) -> list[accounts.Opening]:
    return [
        accounts.opening_payable(supplier_id),
        accounts.opening_financed(supplier_id),
        accounts.opening_financing_receivable(supplier_id),
        accounts.opening_receivable(supplier_id),
        *(
            accounts.PLATFORM[a]
            for a in (
                accounts.FINANCING_FUND,
                accounts.FINANCING_ADVANCED,
                accounts.FINANCING_INCOME,
                accounts.BANK,
            )
        ),
    ]


async def ensure_fund(pool: asyncpg.Pool, capital_minor: int) -> None:
    """Put the financing fund's configured capital in (it only grows)."""
    await guarantee.ensure_capital(
        pool, accounts.FINANCING_FUND, TransferCode.FINANCING_CAPITAL, capital_minor
    )


async def _lock(conn: asyncpg.Connection, supplier_id: str) -> None:
    await conn.execute("select pg_advisory_xact_lock(hashtext($1))", f"financing:{supplier_id}")


def owed(ledger: Ledger, supplier_id: str) -> int:
    """What the supplier owes the fund: advances at face not yet repaid, and receivables."""
    financed = ledger.accounts[accounts.supplier_financed(supplier_id)]
    receivable = ledger.accounts[accounts.supplier_financing_receivable(supplier_id)]
    return (
        financed.debits_posted
        + financed.debits_pending
        - financed.credits_posted
        + receivable.debits_posted
        - receivable.credits_posted
    )


async def _candidates(
    conn: asyncpg.Connection, ctx: Context, supplier_id: str, order_ids: list[str], ledger: Ledger
) -> list[financing.Candidate]:
    rows = await repo.orders(conn, supplier_id, order_ids)
    unpaid = ledger.available(accounts.supplier_payable(supplier_id)) or 0
    found = []
    for oid in order_ids:
        r = rows.get(oid)
        if r is None:
            found.append(financing.Candidate(oid, supplier_id, None, 0, None, False, False))
            continue
        release: date | None
        held = repo.held_total(r)
        if r["status"] == "released":
            face, release = int(r["released_net"]), ctx.today
            in_payable = min(face, unpaid)
            unpaid -= in_payable
        else:
            face = held - platform_fee(held, ctx.fee_rate_bp)
            release = r["auto_confirm_at"].date() if r["auto_confirm_at"] else None
            in_payable = 0
        found.append(
            financing.Candidate(
                oid, supplier_id, r["status"], face, release, r["refund_open"], r["financed"], in_payable
            )
        )
    return found


def _refuse(refusals: list[tuple[str, financing.Refusal]]) -> None:
    if refusals:
        first = refusals[0][1]
        raise FinancingRefused(
            first.message,
            code=first.code,
            details={
                "orders": [{"order_id": oid, "code": r.code, "message": r.message} for oid, r in refusals]
            },
        )


async def terms_of(ctx: Context, terms: EarlyPaymentTerms, supplier_id: str) -> financing.Offer:
    """The supplier's rate and limit now: by its profile score's band, where bands are set."""
    score, known = (None, True)
    if terms.bands and ctx.scores is not None:
        score, known = await ctx.scores.score(supplier_id)
    return financing.offer(
        score, known=known, apr_bp=terms.apr_bp, limit_minor=terms.limit_minor, by_score=terms.bands
    )


async def quote(
    ctx: Context, terms: EarlyPaymentTerms, supplier_id: str, order_ids: list[str]
) -> dict[str, Any]:
    """A price for paying these orders now, valid for a while; nothing moves."""
    if not order_ids or len(order_ids) > MAX_ORDERS or len(set(order_ids)) != len(order_ids):
        raise RuleViolation(f"quote 1 to {MAX_ORDERS} different orders", code="invalid_order_list")
    offered = await terms_of(ctx, terms, supplier_id)
    async with ctx.pool.acquire() as conn, conn.transaction():
        ledger = await load_ledger(conn, accounts_of(supplier_id))
        candidates = await _candidates(conn, ctx, supplier_id, order_ids, ledger)
        _refuse([(c.order_id, r) for c in candidates if (r := financing.refusal(c)) is not None])
        lines = [financing.priced(c, ctx.today, offered.apr_bp, terms.max_days) for c in candidates]
        face = sum(line.face_minor for line in lines)
        _within_limit(ledger, offered.limit_minor, supplier_id, face)
        now = ctx.clock.now()
        quote_id = "EQ-" + uuid.uuid4().hex[:16]
        body = [
            {
                "order_id": line.order_id,
                "face_minor": line.face_minor,
                "days": line.days,
                "discount_minor": line.discount_minor,
                "advance_minor": line.advance_minor,
            }
            for line in lines
        ]
        await repo.insert_quote(
            conn,
            quote_id,
            supplier_id,
            apr_bp=offered.apr_bp,
            lines=body,
            created_at=now,
            valid_until=now + terms.quote_valid,
            score=offered.score,
            limit_minor=offered.limit_minor,
        )
    return await quote_view(ctx, supplier_id, quote_id)


def _within_limit(ledger: Ledger, limit_minor: int, supplier_id: str, face: int) -> None:
    already = owed(ledger, supplier_id)
    if already + face > limit_minor:
        raise RuleViolation(
            f"paying these orders early would have the supplier owe {already + face} fen, over its"
            f" limit of {limit_minor}",
            code="financing_limit_exceeded",
            details={"owed_minor": already, "asked_minor": face, "limit_minor": limit_minor},
        )
    fund = ledger.available(accounts.FINANCING_FUND) or 0
    if fund < face:
        raise RuleViolation(
            "the financing fund cannot advance this much now",
            code="financing_fund_exhausted",
            details={"fund_available_minor": fund, "asked_minor": face},
        )


async def quote_view(ctx: Context, supplier_id: str, quote_id: str) -> dict[str, Any]:
    async with ctx.pool.acquire() as conn:
        row = await conn.fetchrow(
            "select * from early_payment_quotes where quote_id = $1 and supplier_id = $2",
            quote_id,
            supplier_id,
        )
        if row is None:
            raise NotFound(f"no quote {quote_id}", code="quote_not_found")
        payout = await conn.fetchrow(
            "select status, bank_reference, failure from payouts where payout_id = $1", _payout_id(quote_id)
        )
    return {
        "quote_id": quote_id,
        "supplier_id": supplier_id,
        "apr_bp": row["apr_bp"],
        "score": row["score"],
        "limit_minor": row["limit_minor"],
        "lines": json.loads(row["lines"]),
        "face_minor": row["face"],
        "discount_minor": row["discount"],
        "advance_minor": row["advance"],
        "created_at": row["created_at"].isoformat(),
        "valid_until": row["valid_until"].isoformat(),
        "status": row["status"],
        "payout": dict(payout) if payout else None,
    }


def _payout_id(quote_id: str) -> str:
    return f"early-{quote_id}"


def _lines(body: Any) -> list[financing.Line]:
    rows = json.loads(body)
    return [financing.Line(r["order_id"], r["face_minor"], r["days"], r["discount_minor"]) for r in rows]


async def accept(
    ctx: Context, terms: EarlyPaymentTerms, supplier_id: str, quote_id: str, by: Audited
) -> dict[str, Any]:
    """Take the quote: the fund advances, the bank pays the supplier now. Accepting again
    returns what the first acceptance did."""
    payout_id = _payout_id(quote_id)
    offered = await terms_of(ctx, terms, supplier_id)  # the limit as of now, not of the quote
    async with ctx.pool.acquire() as conn, conn.transaction():
        await _lock(conn, supplier_id)
        row = await conn.fetchrow(
            "select * from early_payment_quotes where quote_id = $1 and supplier_id = $2 for update",
            quote_id,
            supplier_id,
        )
        if row is None:
            raise NotFound(f"no quote {quote_id}", code="quote_not_found")
        if row["status"] == "accepted":
            return await quote_view(ctx, supplier_id, quote_id)
        if ctx.clock.now() > row["valid_until"]:
            raise Conflict(
                f"quote {quote_id} expired at {row['valid_until'].isoformat()}", code="quote_expired"
            )
        payee = await conn.fetchrow("select * from payees where supplier_id = $1", supplier_id)
        if payee is None or not payee["active"] or not payee["account_verified"]:
            raise RuleViolation(
                "the supplier has no verified bank account to pay", code="bank_account_unverified"
            )
        lines = _lines(row["lines"])
        ledger = await load_ledger(conn, accounts_of(supplier_id))
        candidates = await _candidates(conn, ctx, supplier_id, [line.order_id for line in lines], ledger)
        _refuse([(c.order_id, r) for c in candidates if (r := financing.refusal(c)) is not None])
        changed = [
            c.order_id for c, line in zip(candidates, lines, strict=True) if c.face_minor != line.face_minor
        ]
        if changed:
            raise Conflict(
                "an order changed since the quote; ask for a new one",
                code="quote_stale",
                details={"orders": changed},
            )
        _within_limit(ledger, offered.limit_minor, supplier_id, sum(line.face_minor for line in lines))
        moves = financing.acceptance(quote_id, supplier_id, lines)
        released = [c for c in candidates if c.escrow_status == "released"]
        for c in released:  # already released and still in the payable: repaid from it at once
            line = next(x for x in lines if x.order_id == c.order_id)
            moves += financing.repayment(quote_id, supplier_id, line, c.face_minor)[0]
        ledger.apply_all(moves)
        await write_ledger(conn, ledger)
        now = ctx.clock.now()
        await conn.executemany(
            """insert into early_payments (order_id, quote_id, supplier_id, face, discount, advance, days,
                   status,
                   repaid, created_at)
               values ($1, $2, $3, $4, $5, $6, $7, 'paying', $8, $9)""",
            [
                (
                    line.order_id,
                    quote_id,
                    supplier_id,
                    line.face_minor,
                    line.discount_minor,
                    line.advance_minor,
                    line.days,
                    line.face_minor if any(c.order_id == line.order_id for c in released) else 0,
                    now,
                )
                for line in lines
            ],
        )
        await conn.execute(
            "update early_payment_quotes set status = 'accepted', accepted_at = $2, accepted_by = $3"
            " where quote_id = $1",
            quote_id,
            now,
            by.actor_id,
        )
        advance = sum(line.advance_minor for line in lines)
        await conn.execute(
            "insert into payout_runs (run_id, started_by) values ($1, $2)", payout_id, by.actor_id
        )
        await payout_record.started(
            conn,
            ctx,
            payout_id=payout_id,
            run_id=payout_id,
            supplier_id=supplier_id,
            amount=advance,
            payee=payee,
            kind="early",
            correlation_id=quote_id,
        )
        await audit.record(
            conn,
            by,
            tenant_id=PLATFORM_TENANT,
            subject=f"supplier:{supplier_id}",
            before={"owed_minor": owed(ledger, supplier_id) - sum(line.face_minor for line in lines)},
            after={"quote_id": quote_id, "advance_minor": advance, "owed_minor": owed(ledger, supplier_id)},
        )
        bank_account = payee["bank_account_id"]
    await _pay(ctx, supplier_id, quote_id, bank_account, advance)
    await reconciliation.rematch(ctx, f"early payment {quote_id} answered")  # a payout out of the account
    return await quote_view(ctx, supplier_id, quote_id)


async def _pay(ctx: Context, supplier_id: str, quote_id: str, bank_account: str, advance: int) -> None:
    """Ask the bank (the same answer for the same reference), then post or undo the advance."""
    payout_id = _payout_id(quote_id)
    outcome = await ctx.bank.pay(
        reference=payout_id,
        bank_account_id=bank_account,
        amount_minor=advance,
        end_to_end_id=payout_record.end_to_end_id(payout_id),
        remittance=f"UniSettle early payment {quote_id}",
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        await _lock(conn, supplier_id)
        row = await conn.fetchrow("select * from payouts where payout_id = $1 for update", payout_id)
        if row is None or row["status"] != "pending":
            return
        quote_row = await conn.fetchrow(
            "select lines from early_payment_quotes where quote_id = $1", quote_id
        )
        lines = _lines(quote_row["lines"])
        ledger = await load_ledger(conn, accounts_of(supplier_id))
        await load_transfers(conn, ledger, [transfer_id(f"early:{quote_id}:pay")])
        moves = financing.bank_answered(quote_id, supplier_id, lines, settled=outcome.settled)
        if not outcome.settled:  # orders released before were repaid at acceptance: give it back
            repaid = await conn.fetch(
                "select order_id from early_payments where quote_id = $1 and repaid > 0", quote_id
            )
            for r in repaid:
                line = next(x for x in lines if x.order_id == r["order_id"])
                moves += financing.repayment_undone(quote_id, supplier_id, line)
        ledger.apply_all(moves)
        await write_ledger(conn, ledger)
        now = ctx.clock.now()
        await payout_record.answered(
            conn,
            ctx,
            payout_id=payout_id,
            supplier_id=supplier_id,
            amount=advance,
            outcome=outcome,
            correlation_id=quote_id,
        )
        await conn.execute(
            """update early_payments set status = case when not $2::boolean then 'failed'
                                                    when repaid >= face then 'repaid' else 'open' end,
                   bank_reference = $3, failure = $4,
                   resolved_at = case when not $2::boolean or repaid >= face then $5::timestamptz end
               where quote_id = $1""",
            quote_id,
            outcome.settled,
            outcome.bank_reference,
            outcome.failure_code,
            now,
        )


async def resume_pending(ctx: Context) -> int:
    """Ask the bank again about early payments a crash left pending."""
    async with ctx.pool.acquire() as conn:
        pending = await conn.fetch(
            "select payout_id, run_id, supplier_id, bank_account_id, amount from payouts"
            " where status = 'pending' and kind = 'early'"
        )
    for r in pending:
        await _pay(
            ctx, r["supplier_id"], r["payout_id"].removeprefix("early-"), r["bank_account_id"], r["amount"]
        )
    return len(pending)


async def settle(conn: asyncpg.Connection, ctx: Context, ledger: Ledger, supplier_id: str) -> None:
    """Within a transaction holding the supplier's ledger: repay early payments whose orders were
    released, break those whose orders were refunded or cancelled, and recover what broken ones
    left owing from what the payable holds."""
    rows = await repo.to_settle(conn, supplier_id)
    now = ctx.clock.now()
    for r in rows:
        line = financing.Line(r["order_id"], r["face"], r["days"], r["discount"])
        available = ledger.available(accounts.supplier_payable(supplier_id)) or 0
        released = min(int(r["released_net"]), available) if r["escrow_status"] == "released" else 0
        moves, still_owed = financing.repayment(r["quote_id"], supplier_id, line, released)
        ledger.apply_all(moves)
        full = released >= line.face_minor
        await conn.execute(
            "update early_payments set status = $3, repaid = $4, resolved_at = $5"
            " where order_id = $1 and quote_id = $2",
            r["order_id"],
            r["quote_id"],
            "recovering" if still_owed else "repaid",
            line.face_minor if full else line.advance_minor - still_owed,
            None if still_owed else now,
        )
    receivable = ledger.accounts[accounts.supplier_financing_receivable(supplier_id)]
    owed_back = receivable.debits_posted - receivable.credits_posted
    if owed_back > 0:
        available = ledger.available(accounts.supplier_payable(supplier_id)) or 0
        # named by how much had been recovered before: each step once, the same step the same id
        cause = f"financing:{supplier_id}:recovered:{receivable.credits_posted}"
        moves, recovered = financing.recovery(cause, supplier_id, owed_back, available)
        ledger.apply_all(moves)
        if recovered == owed_back:
            await conn.execute(
                "update early_payments set status = 'recovered', resolved_at = $2"
                " where supplier_id = $1 and status = 'recovering'",
                supplier_id,
                now,
            )


async def sweep(ctx: Context) -> int:
    """Settle every supplier with an early payment to settle (the timer, and before payout runs)."""
    async with ctx.pool.acquire() as conn:
        suppliers = await conn.fetch(
            """select distinct p.supplier_id from early_payments p join escrows e on e.order_id = p.order_id
               where (p.status = 'open' and e.status <> 'held') or p.status = 'recovering'"""
        )
    done = 0
    for r in suppliers:
        sid = r["supplier_id"]
        async with ctx.pool.acquire() as conn, conn.transaction():
            await _lock(conn, sid)
            ledger = await load_ledger(conn, accounts_of(sid))
            await settle(conn, ctx, ledger, sid)
            await write_ledger(conn, ledger)
            done += 1
    return done
