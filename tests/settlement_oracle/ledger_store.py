"""The ledger in Postgres: the same rules as `domain.ledger`, applied inside the caller's
transaction. Transfer ids are deterministic, so a replay is recognised and changes nothing; the
same id with other contents is refused. The database's own constraint keeps grants in limit."""

from __future__ import annotations

import uuid

import asyncpg

from services.settlement.ledger.domain.errors import LimitExceeded, PendingAlreadyResolved, TransferMismatch
from services.settlement.ledger.domain.ledger import Transfer, TransferKind

NAMESPACE = uuid.UUID("5f0c7d0e-2a55-4d5e-9a43-6b1f3a1d2c01")


def transfer_id(cause: str) -> uuid.UUID:
    """A transfer id derived from its cause, e.g. `order:O-1:escrow:reagents`."""
    return uuid.uuid5(NAMESPACE, cause)


async def open_account(
    conn: asyncpg.Connection,
    account_id: str,
    kind: str,
    *,
    owner_id: str | None = None,
    tenant_id: str | None = None,
    category: str | None = None,
    limited: bool = False,
) -> None:
    await conn.execute(
        """insert into accounts (account_id, kind, owner_id, tenant_id, category,
            debits_must_not_exceed_credits)
           values ($1, $2, $3, $4, $5, $6) on conflict (account_id) do nothing""",
        account_id,
        kind,
        owner_id,
        tenant_id,
        category,
        limited,
    )


# One statement records a transfer and moves both accounts' balances (and opens or resolves its
# pending record): one round trip instead of four to six. Nothing happens when the id is known.
_RECORD = """
with recorded as (
    insert into transfers (transfer_id, debit_account, credit_account, amount, kind, code, pending_id,
                           order_id)
    values ($1, $2, $3, $4, $5, $6, $7, $8)
    on conflict (transfer_id) do nothing
    returning transfer_id
), debited as (
    update accounts set debits_pending = debits_pending + $9, debits_posted = debits_posted + $10
    where account_id = $2 and exists (select from recorded)
), credited as (
    update accounts set credits_pending = credits_pending + $9, credits_posted = credits_posted + $10
    where account_id = $3 and exists (select from recorded)
), opened as (
    insert into pending_transfers (transfer_id, state)
    select transfer_id, 'pending' from recorded where $5 = 'pending'
), resolved as (
    update pending_transfers set resolved_by = $1
    where transfer_id = $7 and exists (select from recorded)
)
select exists (select from recorded)
"""


async def apply(conn: asyncpg.Connection, t: Transfer) -> bool:
    """Record and apply one transfer; False when this exact transfer was applied before."""
    pending_amount = 0
    if t.kind in (TransferKind.POST_PENDING, TransferKind.VOID_PENDING):
        try:
            pending_amount = await _claim_pending(conn, t)
        except PendingAlreadyResolved:
            if await _known(conn, t):  # a replayed resolution: it resolved the pending transfer
                return False
            raise
    if t.kind in (TransferKind.POSTED, TransferKind.PENDING):
        # Refused with the words of the in-memory ledger the service uses now, so that the two
        # can be compared dead letter by dead letter (the database's check would refuse it too).
        limit = await conn.fetchrow(
            """select debits_must_not_exceed_credits limited,
                      credits_posted - debits_posted - debits_pending available
               from accounts where account_id = $1""",
            t.debit_account,
        )
        if limit is not None and limit["limited"] and t.amount > limit["available"]:
            raise LimitExceeded(f"{t.debit_account} has {limit['available']} fen available, {t.amount} asked")
    if t.kind is TransferKind.POSTED:
        pending, posted = 0, t.amount
    elif t.kind is TransferKind.PENDING:
        pending, posted = t.amount, 0
    else:
        pending, posted = -pending_amount, t.amount if t.kind is TransferKind.POST_PENDING else 0
    try:
        recorded = await conn.fetchval(
            _RECORD,
            t.transfer_id,
            t.debit_account,
            t.credit_account,
            t.amount,
            t.kind.value,
            t.code,
            t.pending_id,
            t.order_id,
            pending,
            posted,
        )
    except asyncpg.CheckViolationError as exc:
        raise LimitExceeded(f"{t.debit_account} cannot pay {t.amount} fen") from exc
    if not recorded:
        if not await _known(conn, t):  # recorded by someone else in between, with other contents
            raise TransferMismatch(f"transfer {t.transfer_id} was recorded concurrently")
        return False
    return True


async def _known(conn: asyncpg.Connection, t: Transfer) -> bool:
    """Whether this exact transfer is recorded; TransferMismatch when its id is, with other contents."""
    earlier = await conn.fetchrow("select * from transfers where transfer_id = $1", t.transfer_id)
    if earlier is None:
        return False
    same = (
        earlier["debit_account"],
        earlier["credit_account"],
        earlier["amount"],
        earlier["kind"],
        earlier["code"],
        earlier["pending_id"],
        earlier["order_id"],
    ) == (t.debit_account, t.credit_account, t.amount, t.kind.value, t.code, t.pending_id, t.order_id)
    if not same:
        raise TransferMismatch(f"transfer {t.transfer_id} was already recorded with other contents")
    return True


async def _claim_pending(conn: asyncpg.Connection, t: Transfer) -> int:
    """Mark the pending transfer resolved (exactly once); returns its amount."""
    pending = await conn.fetchrow(
        """update pending_transfers p set state = $2 from transfers t
           where p.transfer_id = $1 and p.state = 'pending' and t.transfer_id = p.transfer_id
           returning t.debit_account, t.credit_account, t.amount""",
        t.pending_id,
        "posted" if t.kind is TransferKind.POST_PENDING else "voided",
    )
    if pending is None:
        raise PendingAlreadyResolved(f"pending transfer {t.pending_id} is unknown or already resolved")
    if (pending["debit_account"], pending["credit_account"]) != (t.debit_account, t.credit_account):
        raise TransferMismatch("a resolution must name the pending transfer's accounts")
    if t.kind is TransferKind.POST_PENDING and not 0 < t.amount <= pending["amount"]:
        raise TransferMismatch("a post moves between 1 fen and the pending amount")
    return int(pending["amount"])


async def available(conn: asyncpg.Connection, account_id: str, *, lock: bool = False) -> int | None:
    row = await conn.fetchrow(
        "select credits_posted - debits_posted - debits_pending as available from accounts"
        " where account_id = $1" + (" for update" if lock else ""),
        account_id,
    )
    return None if row is None else int(row["available"])
