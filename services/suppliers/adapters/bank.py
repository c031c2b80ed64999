"""The bank, as the suppliers service needs it: send a micro-deposit. Behind a port, with a
simulator that behaves like a bank — it can refuse an account, fail, be slow, or succeed."""

from __future__ import annotations

import abc
import asyncio
import random
import re
from dataclasses import dataclass

import asyncpg

from plumbing.errors import AppError, RuleViolation


class BankUnavailable(AppError):
    status_code = 503
    code = "bank_unavailable"


class BankRejectedAccount(RuleViolation):
    code = "bank_account_rejected"


class BankPort(abc.ABC):
    @abc.abstractmethod
    async def send_micro_deposit(
        self, *, reference: str, account_number: str, holder_name: str, amount_minor: int
    ) -> None:
        """Pay `amount_minor` into the account. Idempotent per `reference`.
        Raises BankRejectedAccount (no such account) or BankUnavailable (try again later)."""


@dataclass(frozen=True)
class SimulatedTransfer:
    reference: str
    amount_minor: int
    holder_name: str


_ACCOUNT_NUMBER = re.compile(r"^\d{10,30}$")


class BankSimulator(BankPort):
    """Keeps its book in the `bank_simulator_transfers` table, so it survives restarts the way a
    bank's records would. Accounts are 10 to 30 digits; numbers ending in 0000 do not exist."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        failure_rate: float = 0.0,
        latency_seconds: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        self.pool = pool
        self.failure_rate = failure_rate
        self.latency_seconds = latency_seconds
        self.rng = rng or random.Random()

    async def send_micro_deposit(
        self, *, reference: str, account_number: str, holder_name: str, amount_minor: int
    ) -> None:
        if self.latency_seconds:
            await asyncio.sleep(self.rng.uniform(0, self.latency_seconds))
        if self.rng.random() < self.failure_rate:
            raise BankUnavailable("the bank did not answer; try again")
        if not _ACCOUNT_NUMBER.match(account_number) or account_number.endswith("0000"):
            raise BankRejectedAccount(
                "the bank has no such account", details={"account": f"**** {account_number[-4:]}"}
            )
        await self.pool.execute(
            """insert into bank_simulator_transfers (reference, account_number, holder_name, amount_minor)
               values ($1, $2, $3, $4) on conflict (reference) do nothing""",
            reference,
            account_number,
            holder_name,
            amount_minor,
        )

    async def statement(self, account_number: str) -> list[SimulatedTransfer]:
        """What the account holder sees arrive, newest first."""
        rows = await self.pool.fetch(
            """select reference, amount_minor, holder_name from bank_simulator_transfers
               where account_number = $1 order by created_at desc, reference""",
            account_number,
        )
        return [SimulatedTransfer(r["reference"], r["amount_minor"], r["holder_name"]) for r in rows]
