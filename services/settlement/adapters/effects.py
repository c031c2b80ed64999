"""Writing what a piece of money work changed, in a handful of statements (`insert … select from
unnest(…)`, `update … from unnest(…)`), whatever the number of events: transfers, pending states,
account totals (one move per account, shared accounts locked last in id order), escrows, refund
payments and requests, execution figures by category and month, and the outbox.

The database's constraints stay the last line of defence: a grant or a supplier's payable going
below zero, or a transfer id recorded before, raises here and the whole transaction is undone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import asyncpg
from pydantic_core import to_json

from plumbing.outbox import Outbox, OutboxRow
from services.settlement.domain.errors import TransferMismatch
from services.settlement.domain.ledger import Ledger, PendingState, TransferKind
from services.settlement.domain.poll import Poll


def _json(amounts: dict[str, int]) -> str:
    return to_json(amounts).decode()


class TransferIdsKnown(TransferMismatch):
    """Transfers this work would record are recorded already: what it decided on was not what the
    database holds. Never expected; a consumer applies its poll again one event at a time then."""


async def write_ledger(conn: asyncpg.Connection, ledger: Ledger) -> None:
    """The accounts opened, the transfers recorded, the pending transfers opened and resolved, and
    the accounts' moves."""
    await _open(conn, ledger)
    # Accounts moved without reading their balance are locked now, in id order, before a transfer
    # names them (its foreign key would take a share lock on them in the transfers' order).
    unlocked = sorted(i for i in ledger.moved() if not ledger.accounts[i].known)
    if unlocked:
        await conn.execute(
            "select 1 from accounts where account_id = any($1::text[]) order by account_id for update",
            unlocked,
        )
    new = ledger.new
    if new:
        try:
            await conn.copy_records_to_table(
                "transfers",
                records=[
                    (
                        t.transfer_id,
                        t.debit_account,
                        t.credit_account,
                        t.amount,
                        t.kind.value,
                        t.code,
                        t.pending_id,
                        t.order_id,
                    )
                    for t in new
                ],
                columns=(
                    "transfer_id",
                    "debit_account",
                    "credit_account",
                    "amount",
                    "kind",
                    "code",
                    "pending_id",
                    "order_id",
                ),
            )
        except asyncpg.UniqueViolationError as exc:
            raise TransferIdsKnown(f"a transfer this work records is recorded already: {exc.detail}") from exc
    await _pending(conn, ledger)
    await _accounts(conn, ledger)


async def _open(conn: asyncpg.Connection, ledger: Ledger) -> None:
    """Accounts this work may be the first to use, opened in id order (an account already there
    is left as it is)."""
    # a command's accounts are opened eagerly; a poll's once a transfer names them
    named = {n for t in ledger.new for n in (t.debit_account, t.credit_account)}
    openings = sorted(
        (a.opening for a in ledger.opened() if a.opening is not None and (a.eager or a.account_id in named)),
        key=lambda o: o.account_id,
    )
    if not openings:
        return
    await conn.execute(
        """insert into accounts (account_id, kind, owner_id, tenant_id, category,
               debits_must_not_exceed_credits)
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[])
           order by 1
           on conflict (account_id) do nothing""",
        [o.account_id for o in openings],
        [o.kind for o in openings],
        [o.owner_id for o in openings],
        [o.tenant_id for o in openings],
        [o.category for o in openings],
        [o.limited for o in openings],
    )


async def _pending(conn: asyncpg.Connection, ledger: Ledger) -> None:
    fresh = [t.transfer_id for t in ledger.new if t.kind is TransferKind.PENDING]
    opened = set(fresh)
    if fresh:
        await conn.copy_records_to_table(
            "pending_transfers",
            records=[(i, ledger.pending_state[i].value, ledger.resolved.get(i)) for i in fresh],
            columns=("transfer_id", "state", "resolved_by"),
        )
    earlier = [i for i in ledger.resolved if i not in opened]
    if earlier:
        states = [ledger.pending_state[i] for i in earlier]
        assert all(s is not PendingState.PENDING for s in states)
        await conn.execute(
            """update pending_transfers p set state = d.state, resolved_by = d.by
               from unnest($1::uuid[], $2::text[], $3::uuid[]) d(id, state, by)
               where p.transfer_id = d.id""",
            earlier,
            [s.value for s in states],
            [ledger.resolved[i] for i in earlier],
        )


async def _accounts(conn: asyncpg.Connection, ledger: Ledger) -> None:
    moved = ledger.moved()
    if not moved:
        return
    ids = sorted(moved)
    await conn.execute(
        """update accounts a set debits_pending = a.debits_pending + d.dp,
                   debits_posted = a.debits_posted + d.dpo, credits_pending = a.credits_pending + d.cp,
                   credits_posted = a.credits_posted + d.cpo
               from unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
                    d(id, dp, dpo, cp, cpo)
               where a.account_id = d.id""",
        ids,
        [moved[i][0] for i in ids],
        [moved[i][1] for i in ids],
        [moved[i][2] for i in ids],
        [moved[i][3] for i in ids],
    )


async def write_poll(conn: asyncpg.Connection, poll: Poll, rows: Sequence[OutboxRow], outbox: Outbox) -> None:
    """Everything a poll of money events changed, and its events (`rows`, built by the caller).
    The ledger comes last: its shared accounts are locked for as short a time as can be."""
    await _escrows(conn, poll)
    await _refunds(conn, poll)
    await write_figures(conn, poll.figures, poll.months)
    await outbox.write(conn, rows)
    await write_ledger(conn, poll.book.ledger)


async def _escrows(conn: asyncpg.Connection, poll: Poll) -> None:
    escrows = [poll.escrows[o] for o in sorted(poll.escrows)]
    if not escrows:
        return
    await conn.execute(
        """insert into escrows (order_id, grant_id, tenant_id, supplier_id, amount, by_category, held,
               generation, refunded, refunded_by_category, status, reason, fee, resolved_by, version)
           select o, g, t, s, a, bc::jsonb, h::jsonb, gen, r, rc::jsonb, st, re, f, rb, v
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],
                       $8::int[], $9::bigint[], $10::text[], $11::text[], $12::text[], $13::bigint[],
                       $14::uuid[], $15::int[]) x(o, g, t, s, a, bc, h, gen, r, rc, st, re, f, rb, v)
           on conflict (order_id) do update set held = excluded.held, generation = excluded.generation,
               refunded = excluded.refunded, refunded_by_category = excluded.refunded_by_category,
               status = excluded.status, reason = excluded.reason, fee = excluded.fee,
               resolved_by = excluded.resolved_by, version = excluded.version, updated_at = now()""",
        [e.order_id for e in escrows],
        [e.grant_id for e in escrows],
        [e.tenant_id for e in escrows],
        [e.supplier_id for e in escrows],
        [e.amount for e in escrows],
        [_json(e.by_category) for e in escrows],
        [_json(e.held) for e in escrows],
        [e.generation for e in escrows],
        [e.refunded for e in escrows],
        [_json(e.refunded_by_category) for e in escrows],
        [e.status for e in escrows],
        [e.reason for e in escrows],
        [e.fee for e in escrows],
        [e.resolved_by for e in escrows],
        [e.version for e in escrows],
    )


async def _refunds(conn: asyncpg.Connection, poll: Poll) -> None:
    if poll.requests:
        await conn.execute(
            """insert into refund_requests (refund_id, order_id, tenant_id, grant_id, supplier_id, amount)
               select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
               on conflict do nothing""",
            [r.refund_id for r in poll.requests],
            [r.order_id for r in poll.requests],
            [r.tenant_id for r in poll.requests],
            [r.grant_id for r in poll.requests],
            [r.supplier_id for r in poll.requests],
            [r.amount for r in poll.requests],
        )
    if poll.payments:
        await conn.execute(
            """insert into refund_payments (refund_id, order_id, amount, source, agreed_event)
               select * from unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::uuid[])""",
            [p.refund_id for p in poll.payments],
            [p.order_id for p in poll.payments],
            [p.amount for p in poll.payments],
            [p.source for p in poll.payments],
            [p.agreed_event for p in poll.payments],
        )


async def write_figures(
    conn: asyncpg.Connection,
    figures: dict[tuple[str, str, str], list[int]],
    months: dict[tuple[str, str, str, date], list[int]] | None = None,
) -> None:
    """Move the execution figures with the money: per grant category (budget, encumbered,
    expended, refunded) and per month (expended, refunded)."""
    keys = sorted(figures)
    if keys:
        moves = [[figures[k][i] for k in keys] for i in range(4)]
        # A plain update: an upsert would check its insert row (budget 0) against the constraint.
        updated = await conn.fetch(
            """update grant_figures f set budget = f.budget + d.b, encumbered = f.encumbered + d.e,
                   expended = f.expended + d.x, refunded = f.refunded + d.r
               from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
                           $7::bigint[]) d(t, g, c, b, e, x, r)
               where f.tenant_id = d.t and f.grant_id = d.g and f.category = d.c
               returning f.tenant_id, f.grant_id, f.category""",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
            *moves,
        )
        missing = sorted(set(keys) - {(r["tenant_id"], r["grant_id"], r["category"]) for r in updated})
        if missing:  # a category a grant is given for the first time
            await conn.execute(
                """insert into grant_figures
                       (tenant_id, grant_id, category, budget, encumbered, expended, refunded)
                   select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                                        $6::bigint[], $7::bigint[])""",
                [k[0] for k in missing],
                [k[1] for k in missing],
                [k[2] for k in missing],
                *([figures[k][i] for k in missing] for i in range(4)),
            )
    monthly = sorted(months or {})
    if monthly:
        assert months is not None
        await conn.execute(
            """insert into grant_monthly (tenant_id, grant_id, category, month, expended, refunded)
               select * from unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::bigint[],
                                    $6::bigint[])
               on conflict (tenant_id, grant_id, category, month) do update
               set expended = grant_monthly.expended + excluded.expended,
                   refunded = grant_monthly.refunded + excluded.refunded""",
            [m[0] for m in monthly],
            [m[1] for m in monthly],
            [m[2] for m in monthly],
            [m[3] for m in monthly],
            [months[m][0] for m in monthly],
            [months[m][1] for m in monthly],
        )
