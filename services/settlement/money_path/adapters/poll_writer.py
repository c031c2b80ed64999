"""Writing what a poll of money events changed, in a handful of statements (`insert … select from
unnest(…)`, `update … from unnest(…)`), whatever the number of events: transfers, pending states,
account totals (one move per account, shared accounts locked last in id order), escrows, refund
payments and requests, execution figures by category and month, and the outbox.

The database's constraints stay the last line of defence: a grant or a supplier's payable going
below zero, or a transfer id recorded before, raises here and the whole transaction is undone."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from pydantic_core import to_json

from plumbing.messaging.outbox import Outbox, OutboxRow
from services.settlement.grants.adapters.figures import write_figures
from services.settlement.ledger.adapters.store import write_ledger
from services.settlement.money_path.domain.poll import Poll


def _json(amounts: dict[str, int]) -> str:
    return to_json(amounts).decode()


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
               generation, refunded, refunded_by_category, status, reason, fee, resolved_by, version,
               released, receipts)
           select o, g, t, s, a, bc::jsonb, h::jsonb, gen, r, rc::jsonb, st, re, f, rb, v, rel,
                  string_to_array(rcp, ',')::int[]
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],
                       $8::int[], $9::bigint[], $10::text[], $11::text[], $12::text[], $13::bigint[],
                       $14::uuid[], $15::int[], $16::bigint[], $17::text[])
                x(o, g, t, s, a, bc, h, gen, r, rc, st, re, f, rb, v, rel, rcp)
           on conflict (order_id) do update set held = excluded.held, generation = excluded.generation,
               refunded = excluded.refunded, refunded_by_category = excluded.refunded_by_category,
               status = excluded.status, reason = excluded.reason, fee = excluded.fee,
               resolved_by = excluded.resolved_by, version = excluded.version,
               released = excluded.released, receipts = excluded.receipts, updated_at = now()""",
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
        [e.released for e in escrows],
        [",".join(map(str, e.receipts)) for e in escrows],
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
