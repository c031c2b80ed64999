"""Reading the book a poll of money events decides against, in a handful of statements, taking
row locks in one global order: escrows → grants → grant accounts → shared accounts.

Processes own whole grants (the money topics are keyed by grant), so the first three are never
contended between them. Shared accounts (suppliers' payables and receivables, the platform's fee
income and guarantee fund) are: a poll whose decisions depend on one of their balances (a refund,
a recovery of what a supplier owes) locks every shared account it may touch here, in id order;
any other poll only moves them, opening them without their balance (`known=False`), and the
writer locks them last, in id order. Either way each transaction takes its shared locks in one
sorted batch, so two processes never deadlock."""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.events.orders import OrderPlaced
from contracts.events.refunds import RefundAgreed, RefundRequested
from services.settlement.grants.adapters.grants_repo import grant_of
from services.settlement.ledger.adapters.store import load_accounts, transfer_of
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.accounts import Opening
from services.settlement.ledger.domain.ledger import Ledger, PendingState
from services.settlement.money_path.domain.book import Book, Terms
from services.settlement.money_path.domain.decision import RefundRequest
from services.settlement.money_path.domain.escrow import Escrow, by_category

MoneyEvent = tuple[EventPayload, Envelope]


async def read_book(conn: asyncpg.Connection, events: Sequence[MoneyEvent], terms: Terms) -> Book:
    book = Book(terms)
    order_ids = sorted({p.order_id for p, _ in events if hasattr(p, "order_id")})
    for row in await conn.fetch(
        "select * from escrows where order_id = any($1::text[]) order by order_id for update", order_ids
    ):
        book.escrows[row["order_id"]] = escrow_of(row)

    placed = [(p, e) for p, e in events if isinstance(p, OrderPlaced)]
    grant_keys = sorted(
        {(e.tenant_id, p.grant_id) for p, e in placed}
        | {(x.tenant_id, x.grant_id) for x in book.escrows.values()}
    )
    for row in await conn.fetch(
        """select g.* from grants g join unnest($1::text[], $2::text[]) k(tenant_id, grant_id)
             using (tenant_id, grant_id)
           order by g.tenant_id, g.grant_id for update of g""",
        [t for t, _ in grant_keys],
        [g for _, g in grant_keys],
    ):
        book.grants[(row["tenant_id"], row["grant_id"])] = grant_of(row, {})

    await _pending_escrow_transfers(conn, book)
    await _refunds(conn, book, events)

    # Grant accounts: every category the poll's orders and escrows name.
    grant_accounts = {accounts.grant(e.tenant_id, p.grant_id, c) for p, e in placed for c in by_category(p)}
    grant_accounts |= {
        accounts.grant(x.tenant_id, x.grant_id, c) for x in book.escrows.values() for c in x.by_category
    }
    await load_accounts(conn, book.ledger, sorted(grant_accounts), lock=True)

    suppliers = sorted({p.supplier_id for p, _ in placed} | {x.supplier_id for x in book.escrows.values()})
    await _shared_accounts(
        conn, book.ledger, suppliers, decides=await _decides_on_shared(conn, events, suppliers)
    )
    return book


def escrow_of(row: asyncpg.Record) -> Escrow:
    return Escrow(
        order_id=row["order_id"],
        grant_id=row["grant_id"],
        tenant_id=row["tenant_id"],
        supplier_id=row["supplier_id"],
        amount=row["amount"],
        by_category=_categories(row["by_category"]),
        status=row["status"],
        held=_categories(row["held"]),
        generation=row["generation"],
        refunded=row["refunded"],
        refunded_by_category=_categories(row["refunded_by_category"]),
        reason=row["reason"],
        fee=row["fee"],
        resolved_by=row["resolved_by"],
        version=row["version"],
        released=row["released"],
        receipts=tuple(row["receipts"]),
    )


def _categories(stored: str) -> dict[str, int]:
    """Amounts by category in name order (jsonb keeps its own order): an escrow's categories are
    settled in name order, whether it was read or made in this poll."""
    return dict(sorted(json.loads(stored).items()))


async def _pending_escrow_transfers(conn: asyncpg.Connection, book: Book) -> None:
    """The pending transfers of every held escrow: what a release, void or refund resolves."""
    held = sorted(o for o, x in book.escrows.items() if x.status == "held")
    if not held:
        return
    for row in await conn.fetch(
        """select t.* from transfers t join pending_transfers p using (transfer_id)
           where t.order_id = any($1::text[]) and t.kind = 'pending' and p.state = 'pending'""",
        held,
    ):
        book.ledger.load_transfer(transfer_of(row), PendingState.PENDING)


async def _refunds(conn: asyncpg.Connection, book: Book, events: Sequence[MoneyEvent]) -> None:
    refund_ids = sorted({p.refund_id for p, _ in events if isinstance(p, RefundRequested | RefundAgreed)})
    if not refund_ids:
        return
    for row in await conn.fetch(
        "select * from refund_requests where refund_id = any($1::text[])", refund_ids
    ):
        book.requests[row["refund_id"]] = RefundRequest(
            row["refund_id"],
            row["order_id"],
            row["tenant_id"],
            row["grant_id"],
            row["supplier_id"],
            row["amount"],
        )
    book.paid_refunds |= {
        r["refund_id"]
        for r in await conn.fetch(
            "select refund_id from refund_payments where refund_id = any($1::text[])", refund_ids
        )
    }


async def _decides_on_shared(
    conn: asyncpg.Connection, events: Sequence[MoneyEvent], suppliers: list[str]
) -> bool:
    """Whether a decision of this poll may depend on a shared account's balance: a refund (the
    supplier's balance, the guarantee fund), or a release for a supplier that owes the fund."""
    if any(isinstance(p, RefundAgreed) for p, _ in events):
        return True
    owing = await conn.fetchval(
        """select exists (select 1 from accounts where account_id = any($1::text[])
                          and debits_posted > credits_posted)""",
        [accounts.supplier_receivable(s) for s in suppliers],
    )
    return bool(owing)


async def _shared_accounts(
    conn: asyncpg.Connection, ledger: Ledger, suppliers: list[str], *, decides: bool
) -> None:
    payables = [accounts.opening_payable(s) for s in suppliers]
    if not decides:
        for opening in [*payables, accounts.PLATFORM[accounts.FEE_INCOME]]:
            ledger.open(opening.account_id, limited=opening.limited, opening=opening, known=False)
        return
    openings: list[Opening] = [
        *payables,
        *(accounts.opening_receivable(s) for s in suppliers),
        *(
            accounts.PLATFORM[a]
            for a in (accounts.FEE_INCOME, accounts.GUARANTEE_FUND, accounts.GUARANTEE_ADVANCED)
        ),
    ]
    await load_accounts(conn, ledger, sorted(o.account_id for o in openings), lock=True)
    for opening in openings:  # those that do not exist yet: empty, and opened when written
        ledger.open(opening.account_id, limited=opening.limited, opening=opening)
