"""The bank, as settlement needs it: pay a supplier's verified account. Behind a port, with a
simulator that keeps its own book, can fail, and answers the same way when asked again."""

from __future__ import annotations

import abc
import random
from dataclasses import dataclass
from datetime import date

import asyncpg


@dataclass(frozen=True)
class BankOutcome:
    settled: bool
    bank_reference: str | None = None
    failure_code: str | None = None
    detail: str = ""


class PayoutBank(abc.ABC):
    @abc.abstractmethod
    async def pay(self, *, reference: str, bank_account_id: str, amount_minor: int) -> BankOutcome:
        """Pay out; idempotent per `reference` (asking again returns the first outcome)."""


class PayoutBankSimulator(PayoutBank):
    """Accounts listed in `closed_accounts` bounce; otherwise each payout fails with
    `failure_rate`. Outcomes are kept in `bank_simulator_payouts`, like a bank's own records."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        failure_rate: float = 0.0,
        closed_accounts: frozenset[str] = frozenset(),
        rng: random.Random | None = None,
    ) -> None:
        self.pool = pool
        self.failure_rate = failure_rate
        self.closed_accounts = set(closed_accounts)
        self.rng = rng or random.Random()

    async def pay(self, *, reference: str, bank_account_id: str, amount_minor: int) -> BankOutcome:
        earlier = await self.pool.fetchval(
            "select outcome from bank_simulator_payouts where reference = $1", reference
        )
        if earlier is None:
            if bank_account_id in self.closed_accounts:
                outcome = "failed:account_closed"
            elif self.rng.random() < self.failure_rate:
                outcome = "failed:bank_rejected"
            else:
                outcome = f"settled:BK{self.rng.randrange(10**11, 10**12)}"
            await self.pool.execute(
                """insert into bank_simulator_payouts (reference, bank_account_id, amount, outcome)
                   values ($1, $2, $3, $4) on conflict (reference) do nothing""",
                reference,
                bank_account_id,
                amount_minor,
                outcome,
            )
            earlier = await self.pool.fetchval(
                "select outcome from bank_simulator_payouts where reference = $1", reference
            )
        kind, _, value = str(earlier).partition(":")
        if kind == "settled":
            return BankOutcome(True, bank_reference=value)
        return BankOutcome(False, failure_code=value, detail=f"the bank returned the payout: {value}")

    async def statement(self, on: date) -> str:
        """The platform account's statement for one day as the bank would send it: a CSV of the
        payouts it settled (`date,amount,direction,reference`, amounts in yuan)."""
        rows = await self.pool.fetch(
            """select reference, amount from bank_simulator_payouts
               where outcome like 'settled:%' and created_at::date = $1 order by created_at, reference""",
            on,
        )
        lines = ["date,amount,direction,reference"]
        lines += [f"{on.isoformat()},{yuan(r['amount'])},debit,{r['reference']}" for r in rows]
        return "\n".join(lines) + "\n"


def yuan(minor: int) -> str:
    """Fen as a yuan amount with two decimals, in integers (12345 → "123.45")."""
    sign = "-" if minor < 0 else ""
    whole, fen = divmod(abs(minor), 100)
    return f"{sign}{whole}.{fen:02d}"
