"""What the ledger decides in memory is what Postgres holds: random sequences of reservations,
posts, voids, spends, replays and reused ids, each step a unit of work that reads its accounts
and transfers from the database (`load_ledger`), applies the transfer and writes what changed
(`write_ledger`), are compared after every step with one in-memory ledger that saw every step:
the same outcome (accepted, a replay, or the same refusal, which leaves no trace), the same four
balances of every account and the same state of every pending transfer."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import asyncpg
import pytest

from plumbing.db.pool import migrate_service
from services.settlement.ledger.adapters.store import load_ledger, load_transfers, write_ledger
from services.settlement.ledger.domain.accounts import Opening
from services.settlement.ledger.domain.codes import AccountKind, TransferCode
from services.settlement.ledger.domain.errors import LimitExceeded, PendingAlreadyResolved, TransferMismatch
from services.settlement.ledger.domain.ledger import Ledger, Transfer, TransferKind, transfer_id

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).parents[3] / "services" / "settlement" / "migrations"
SEQUENCES, STEPS = 40, 60
REFUSALS = (LimitExceeded, PendingAlreadyResolved, TransferMismatch)


def outcome(result: bool | Exception) -> object:
    return type(result) if isinstance(result, Exception) else result


class Sequence:
    def __init__(self, n: int) -> None:
        self.n, self.rng = n, random.Random(n)
        self.funding, self.grant, self.payable = (f"s{n}:{a}" for a in ("funding", "grant", "payable"))
        self.model = Ledger()
        self.applied: list[Transfer] = []
        self.openings = [
            Opening(self.funding, AccountKind.FUNDING),
            Opening(self.grant, AccountKind.GRANT, limited=True),
            Opening(self.payable, AccountKind.SUPPLIER_PAYABLE),
        ]

    def tid(self, cause: str) -> uuid.UUID:
        return transfer_id(f"s{self.n}:{cause}")

    def next_transfer(self, step: int) -> Transfer:
        kind = self.rng.choice(["reserve", "post", "void", "spend", "replay", "reuse"])
        k, amount = self.rng.randrange(8), self.rng.randrange(1, 6_000)
        if kind in ("replay", "reuse") and self.applied:
            earlier = self.rng.choice(self.applied)
            if kind == "replay":
                return earlier
            return Transfer(
                earlier.transfer_id,
                earlier.debit_account,
                earlier.credit_account,
                earlier.amount + 1,
                earlier.kind,
                earlier.code,
                pending_id=earlier.pending_id,
            )
        if kind == "reserve":
            return Transfer(
                self.tid(f"escrow:{k}"),
                self.grant,
                self.payable,
                amount,
                TransferKind.PENDING,
                TransferCode.ESCROW,
            )
        if kind in ("post", "void"):
            pending = self.model.transfers.get(self.tid(f"escrow:{k}"))
            if kind == "post" and pending is not None and self.rng.random() < 0.8:
                amount = min(amount, pending.amount)
            resolution = TransferKind.POST_PENDING if kind == "post" else TransferKind.VOID_PENDING
            return Transfer(
                self.tid(f"{kind}:{k}"),
                self.grant,
                self.payable,
                amount,
                resolution,
                TransferCode.ESCROW_RELEASE,
                pending_id=self.tid(f"escrow:{k}"),
            )
        return Transfer(
            self.tid(f"spend:{step}"),
            self.grant,
            self.payable,
            amount,
            TransferKind.POSTED,
            TransferCode.ESCROW_RELEASE,
        )


async def balances(conn: asyncpg.Connection, seq: Sequence) -> dict[str, tuple[int, int, int, int]]:
    rows = await conn.fetch(
        """select account_id, debits_pending, debits_posted, credits_pending, credits_posted
           from accounts where account_id = any($1::text[])""",
        [seq.funding, seq.grant, seq.payable],
    )
    return {r["account_id"]: (r[1], r[2], r[3], r[4]) for r in rows}


async def pending_states(conn: asyncpg.Connection, seq: Sequence) -> dict[uuid.UUID, str]:
    ids = [t for t in seq.model.pending_state]
    rows = await conn.fetch(
        "select transfer_id, state from pending_transfers where transfer_id = any($1::uuid[])", ids
    )
    return {r["transfer_id"]: r["state"] for r in rows}


async def step(conn: asyncpg.Connection, seq: Sequence, t: Transfer) -> bool | Exception:
    """One unit of work: read what the transfer touches, decide, write."""
    try:
        async with conn.transaction():
            ledger = await load_ledger(conn, seq.openings)
            await load_transfers(conn, ledger, [t.transfer_id, *([t.pending_id] if t.pending_id else [])])
            applied = ledger.apply(t)
            await write_ledger(conn, ledger)
            return applied
    except REFUSALS as exc:
        return exc


async def test_what_the_ledger_decides_is_what_postgres_holds_step_by_step(fresh_db: str) -> None:
    await migrate_service(fresh_db, "settlement", MIGRATIONS)
    conn = await asyncpg.connect(fresh_db)
    refusals = 0
    try:
        for n in range(SEQUENCES):
            seq = Sequence(n)
            for account, limited in ((seq.funding, False), (seq.grant, True), (seq.payable, False)):
                seq.model.open(account, limited=limited)
            budget = Transfer(
                seq.tid("budget"), seq.funding, seq.grant, 20_000, TransferKind.POSTED, TransferCode.BUDGET
            )
            seq.model.apply(budget)
            assert await step(conn, seq, budget) is True
            for number in range(STEPS):
                t = seq.next_transfer(number)
                expected: bool | Exception
                try:
                    expected = seq.model.apply(t)
                except REFUSALS as exc:
                    expected = exc
                got = await step(conn, seq, t)
                where = f"sequence {n} step {number}: {t}"
                assert outcome(got) == outcome(expected), f"{where}: written {got!r}, in memory {expected!r}"
                if expected is True:
                    seq.applied.append(t)
                refusals += isinstance(got, Exception)
                model = {a.account_id: a.totals() for a in seq.model.accounts.values()}
                assert await balances(conn, seq) == model, where
            states = {t: s.value for t, s in seq.model.pending_state.items()}
            assert await pending_states(conn, seq) == states
    finally:
        await conn.close()
    assert refusals > SEQUENCES  # the sequences did probe the rules, not only the happy path
