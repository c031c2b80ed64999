"""The ledger in Postgres: accounts read (locked in id order) and transfers loaded for a command
to decide against, and what it decided written in a handful of statements — accounts opened,
transfers recorded, pending transfers opened and resolved, the accounts' moves. A transfer id
recorded before raises here and the whole transaction is undone."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from services.settlement.ledger.domain.accounts import Opening
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.errors import TransferMismatch
from services.settlement.ledger.domain.ledger import Account, Ledger, PendingState, Transfer, TransferKind


def transfer_of(row: asyncpg.Record) -> Transfer:
    return Transfer(
        row["transfer_id"],
        row["debit_account"],
        row["credit_account"],
        row["amount"],
        TransferKind(row["kind"]),
        TransferCode(row["code"]),
        pending_id=row["pending_id"],
        order_id=row["order_id"],
    )


def account_of(row: asyncpg.Record) -> Account:
    return Account(
        row["account_id"],
        row["debits_must_not_exceed_credits"],
        row["debits_pending"],
        row["debits_posted"],
        row["credits_pending"],
        row["credits_posted"],
    )


async def load_ledger(conn: asyncpg.Connection, openings: Sequence[Opening]) -> Ledger:
    """A ledger of the accounts a command moves, each locked in id order with its balance; those
    that do not exist yet are opened empty (and created when the ledger is written)."""
    ledger = Ledger()
    await load_accounts(conn, ledger, sorted({o.account_id for o in openings}), lock=True)
    for opening in openings:
        ledger.open(opening.account_id, limited=opening.limited, opening=opening, eager=True)
    return ledger


async def load_transfers(conn: asyncpg.Connection, ledger: Ledger, ids: Sequence[uuid.UUID]) -> None:
    """Transfers already recorded (with the state of a pending one): a command that resolves a
    pending transfer, or may repeat one, loads them first."""
    for row in await conn.fetch(
        """select t.*, p.state from transfers t left join pending_transfers p using (transfer_id)
           where t.transfer_id = any($1::uuid[])""",
        list(ids),
    ):
        ledger.load_transfer(transfer_of(row), PendingState(row["state"]) if row["state"] else None)


async def load_accounts(conn: asyncpg.Connection, ledger: Ledger, ids: Sequence[str], *, lock: bool) -> None:
    if not ids:
        return
    rows = await conn.fetch(
        "select * from accounts where account_id = any($1::text[]) order by account_id"
        + (" for update" if lock else ""),
        list(ids),
    )
    for row in rows:
        ledger.load_account(account_of(row))


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
