"""Early payment: quote, accept (the advance paid through the payout path), and settle each
early payment from its order's release — or, when the order was refunded or cancelled first, turn
what the supplier received into a receivable recovered from its next releases and payouts.

Each command reads under the supplier's lock (`adapters.repository`), decides purely
(`domain.acceptance`, `domain.terms`: balanced transfers with deterministic ids) and writes once;
so concurrent acceptances never pass a supplier's limit."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from plumbing.aggregates import audit
from plumbing.aggregates.audit import Audited
from plumbing.errors import NotFound
from plumbing.web.auth import PLATFORM_TENANT
from services.settlement.context import Context, EarlyPaymentTerms
from services.settlement.early_payment.adapters import repository as repo
from services.settlement.early_payment.domain import acceptance, terms
from services.settlement.early_payment.domain.acceptance import owed
from services.settlement.ledger.adapters.store import load_ledger, load_transfers, write_ledger
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Ledger, transfer_id
from services.settlement.money_path.commands import guarantee
from services.settlement.payouts.adapters import repository as payouts_repo
from services.settlement.payouts.commands import payout_record
from services.settlement.reconciliation.commands import reconciliation


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


async def terms_of(ctx: Context, configured: EarlyPaymentTerms, supplier_id: str) -> terms.Offer:
    """The supplier's rate and limit now: by its profile score's band, where bands are set."""
    score, known = (None, True)
    if configured.bands and ctx.scores is not None:
        score, known = await ctx.scores.score(supplier_id)
    return terms.offer(
        score,
        known=known,
        apr_bp=configured.apr_bp,
        limit_minor=configured.limit_minor,
        by_score=configured.bands,
    )


async def _candidates(
    conn: asyncpg.Connection, ctx: Context, supplier_id: str, order_ids: list[str], ledger: Ledger
) -> list[terms.Candidate]:
    facts = await repo.orders(conn, supplier_id, order_ids)
    return acceptance.candidates(supplier_id, order_ids, facts, ledger, ctx.today, ctx.fee_rate_bp)


async def quote(
    ctx: Context, configured: EarlyPaymentTerms, supplier_id: str, order_ids: list[str]
) -> dict[str, Any]:
    """A price for paying these orders now, valid for a while; nothing moves."""
    acceptance.order_list(order_ids)
    offered = await terms_of(ctx, configured, supplier_id)
    async with ctx.pool.acquire() as conn, conn.transaction():
        ledger = await load_ledger(conn, accounts_of(supplier_id))
        candidates = await _candidates(conn, ctx, supplier_id, order_ids, ledger)
        acceptance.refuse_any(candidates)
        lines = [terms.priced(c, ctx.today, offered.apr_bp, configured.max_days) for c in candidates]
        acceptance.within_limit(
            ledger, offered.limit_minor, supplier_id, sum(line.face_minor for line in lines)
        )
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
            valid_until=now + configured.quote_valid,
            score=offered.score,
            limit_minor=offered.limit_minor,
        )
    return await quote_view(ctx, supplier_id, quote_id)


async def quote_view(ctx: Context, supplier_id: str, quote_id: str) -> dict[str, Any]:
    async with ctx.pool.acquire() as conn:
        row = await repo.quote_row(conn, supplier_id, quote_id)
        if row is None:
            raise NotFound(f"no quote {quote_id}", code="quote_not_found")
        payout = await repo.payout_of(conn, _payout_id(quote_id))
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


async def accept(
    ctx: Context, configured: EarlyPaymentTerms, supplier_id: str, quote_id: str, by: Audited
) -> dict[str, Any]:
    """Take the quote: the fund advances, the bank pays the supplier now. Accepting again
    returns what the first acceptance did."""
    payout_id = _payout_id(quote_id)
    offered = await terms_of(ctx, configured, supplier_id)  # the limit as of now, not of the quote
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.lock_supplier(conn, supplier_id)
        found = await repo.quote(conn, supplier_id, quote_id, lock=True)
        if found is None:
            raise NotFound(f"no quote {quote_id}", code="quote_not_found")
        if found.status == "accepted":
            return await quote_view(ctx, supplier_id, quote_id)
        payee = acceptance.acceptable(found, ctx.clock.now(), await payouts_repo.payee(conn, supplier_id))
        ledger = await load_ledger(conn, accounts_of(supplier_id))
        candidates = await _candidates(
            conn, ctx, supplier_id, [line.order_id for line in found.lines], ledger
        )
        decided = acceptance.accept(found, candidates, ledger, offered.limit_minor)
        owed_before = owed(ledger, supplier_id)
        ledger.apply_all(decided.moves)
        await write_ledger(conn, ledger)
        await repo.accepted(conn, found, decided, by.actor_id, ctx.clock.now(), payout_id)
        await payout_record.started(
            conn,
            ctx,
            payout_id=payout_id,
            run_id=payout_id,
            supplier_id=supplier_id,
            amount=decided.advance_minor,
            payee=payee,
            kind="early",
            correlation_id=quote_id,
        )
        await audit.record(
            conn,
            by,
            tenant_id=PLATFORM_TENANT,
            subject=f"supplier:{supplier_id}",
            before={"owed_minor": owed_before},
            after={
                "quote_id": quote_id,
                "advance_minor": decided.advance_minor,
                "owed_minor": owed(ledger, supplier_id),
            },
        )
    await _pay(ctx, supplier_id, quote_id, payee["bank_account_id"], decided.advance_minor)
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
        await repo.lock_supplier(conn, supplier_id)
        if await payouts_repo.pending(conn, payout_id) is None:
            return
        found = await repo.quote(conn, supplier_id, quote_id)
        assert found is not None
        ledger = await load_ledger(conn, accounts_of(supplier_id))
        await load_transfers(conn, ledger, [transfer_id(f"early:{quote_id}:pay")])
        moves = terms.bank_answered(quote_id, supplier_id, found.lines, settled=outcome.settled)
        if not outcome.settled:  # orders released before were repaid at acceptance: give it back
            repaid = await repo.repaid_at_acceptance(conn, quote_id)
            for line in found.lines:
                if line.order_id in repaid:
                    moves += terms.repayment_undone(quote_id, supplier_id, line)
        ledger.apply_all(moves)
        await write_ledger(conn, ledger)
        await payout_record.answered(
            conn,
            ctx,
            payout_id=payout_id,
            supplier_id=supplier_id,
            amount=advance,
            outcome=outcome,
            correlation_id=quote_id,
        )
        await repo.answered(
            conn,
            quote_id,
            settled=outcome.settled,
            bank_reference=outcome.bank_reference,
            failure=outcome.failure_code,
            at=ctx.clock.now(),
        )


async def resume_pending(ctx: Context) -> int:
    """Ask the bank again about early payments a crash left pending."""
    async with ctx.pool.acquire() as conn:
        pending = await repo.pending_payouts(conn)
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
        line = terms.Line(r["order_id"], r["face"], r["days"], r["discount"])
        available = ledger.available(accounts.supplier_payable(supplier_id)) or 0
        released = min(int(r["released_net"]), available) if r["escrow_status"] == "released" else 0
        moves, still_owed = terms.repayment(r["quote_id"], supplier_id, line, released)
        ledger.apply_all(moves)
        full = released >= line.face_minor
        await repo.settled(
            conn,
            r["order_id"],
            r["quote_id"],
            status="recovering" if still_owed else "repaid",
            repaid=line.face_minor if full else line.advance_minor - still_owed,
            at=None if still_owed else now,
        )
    receivable = ledger.accounts[accounts.supplier_financing_receivable(supplier_id)]
    owed_back = receivable.debits_posted - receivable.credits_posted
    if owed_back > 0:
        available = ledger.available(accounts.supplier_payable(supplier_id)) or 0
        # named by how much had been recovered before: each step once, the same step the same id
        cause = f"financing:{supplier_id}:recovered:{receivable.credits_posted}"
        moves, recovered = terms.recovery(cause, supplier_id, owed_back, available)
        ledger.apply_all(moves)
        if recovered == owed_back:
            await repo.recovered(conn, supplier_id, now)


async def sweep(ctx: Context) -> int:
    """Settle every supplier with an early payment to settle (the timer, and before payout runs)."""
    async with ctx.pool.acquire() as conn:
        suppliers = await repo.suppliers_to_settle(conn)
    done = 0
    for sid in suppliers:
        async with ctx.pool.acquire() as conn, conn.transaction():
            await repo.lock_supplier(conn, sid)
            ledger = await load_ledger(conn, accounts_of(sid))
            await settle(conn, ctx, ledger, sid)
            await write_ledger(conn, ledger)
            done += 1
    return done
