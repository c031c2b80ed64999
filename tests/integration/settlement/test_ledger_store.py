"""The ledger in Postgres agrees with the in-memory reference ledger (`domain.ledger.Ledger`):
random sequences of reservations, posts, voids, spends, replays and reused ids are applied to
both; after every step both accepted or both refused it (for the same reason), a refusal left no
trace, and every account's four balances and every pending transfer's state are the same."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import asyncpg
import pytest

from plumbing.db import migrate_service
from services.settlement.adapters import ledger_store as store
from services.settlement.domain.errors import LimitExceeded, PendingAlreadyResolved, TransferMismatch
from services.settlement.domain.ledger import Ledger, Transfer, TransferKind

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).parents[3] / "services" / "settlement" / "migrations"
SEQUENCES, STEPS = 40, 60
# The reference raises plain Python errors where the store names the rule; both are refusals.
SAME_REFUSAL: dict[type[Exception], type[Exception]] = {
    ValueError: TransferMismatch,
    KeyError: PendingAlreadyResolved,
}


def outcome(result: bool | Exception) -> object:
    if isinstance(result, Exception):
        return SAME_REFUSAL.get(type(result), type(result))
    return result


class Sequence:
    def __init__(self, n: int) -> None:
        self.n, self.rng = n, random.Random(n)
        self.funding, self.grant, self.payable = (f"s{n}:{a}" for a in ("funding", "grant", "payable"))
        self.model = Ledger()
        self.applied: list[Transfer] = []

    def tid(self, cause: str) -> uuid.UUID:
        return store.transfer_id(f"s{self.n}:{cause}")

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
                self.tid(f"escrow:{k}"), self.grant, self.payable, amount, TransferKind.PENDING, "e"
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
                "r",
                pending_id=self.tid(f"escrow:{k}"),
            )
        return Transfer(self.tid(f"spend:{step}"), self.grant, self.payable, amount, TransferKind.POSTED, "s")


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


async def test_the_postgres_ledger_agrees_with_the_reference_ledger_step_by_step(fresh_db: str) -> None:
    await migrate_service(fresh_db, "settlement", MIGRATIONS)
    conn = await asyncpg.connect(fresh_db)
    refusals = 0
    try:
        for n in range(SEQUENCES):
            seq = Sequence(n)
            for account, limited in ((seq.funding, False), (seq.grant, True), (seq.payable, False)):
                seq.model.open(account, limited=limited)
                await store.open_account(conn, account, "grant" if limited else "funding", limited=limited)
            budget = Transfer(
                seq.tid("budget"), seq.funding, seq.grant, 20_000, TransferKind.POSTED, "budget"
            )
            seq.model.apply(budget)
            await store.apply(conn, budget)
            for step in range(STEPS):
                t = seq.next_transfer(step)
                expected: bool | Exception
                try:
                    expected = seq.model.apply(t)
                except (LimitExceeded, PendingAlreadyResolved, TransferMismatch, ValueError, KeyError) as exc:
                    expected = exc
                got: bool | Exception
                try:
                    async with conn.transaction():
                        got = await store.apply(conn, t)
                except (LimitExceeded, PendingAlreadyResolved, TransferMismatch) as exc:
                    got = exc
                where = f"sequence {n} step {step}: {t}"
                assert outcome(got) == outcome(expected), f"{where}: store {got!r}, reference {expected!r}"
                if expected is True:
                    seq.applied.append(t)
                refusals += isinstance(got, Exception)
                model = {
                    a.account_id: (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)
                    for a in seq.model.accounts.values()
                }
                assert await balances(conn, seq) == model, where
            states = {t: s.value for t, s in seq.model.pending_state.items()}
            assert await pending_states(conn, seq) == states
    finally:
        await conn.close()
    assert refusals > SEQUENCES  # the sequences did probe the rules, not only the happy path
