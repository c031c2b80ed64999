"""The bank, as settlement needs it: pay a supplier's verified account (or return a 长款 to its
payer). Behind a port, with a simulator that keeps its own book of the escrow account, can fail,
answers the same way when asked again, and sends its statement as camt.053, MT940 or CSV."""

from __future__ import annotations

import abc
import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import date

import asyncpg

from plumbing.clock import Clock, SystemClock
from services.settlement.reconciliation.domain.statement import Batch, Direction, Statement, StatementLine


@dataclass(frozen=True)
class BankOutcome:
    settled: bool
    bank_reference: str | None = None
    failure_code: str | None = None
    detail: str = ""


class PayoutBank(abc.ABC):
    @abc.abstractmethod
    async def pay(
        self,
        *,
        reference: str,
        bank_account_id: str,
        amount_minor: int,
        end_to_end_id: str = "",
        remittance: str = "",
        batch_id: str | None = None,
    ) -> BankOutcome:
        """Pay out; idempotent per `reference` (asking again returns the first outcome). The
        end-to-end id travels with the payment and comes back on the statement."""


class PayoutBankSimulator(PayoutBank):
    """Accounts listed in `closed_accounts` bounce; otherwise each payout fails with
    `failure_rate`. What it books is kept in `bank_simulator_payouts`, like a bank's own records:
    payments out, and money in that someone sends the account (`receive`)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        failure_rate: float = 0.0,
        closed_accounts: frozenset[str] = frozenset(),
        rng: random.Random | None = None,
        clock: Clock | None = None,
        account: str = "31050161373600000918",
        opening_balance_minor: int = 1_000_000_000,
    ) -> None:
        self.pool = pool
        self.failure_rate = failure_rate
        self.closed_accounts = set(closed_accounts)
        self.rng = rng or random.Random()
        self.clock = clock or SystemClock()
        self.account = account
        self.opening_balance_minor = opening_balance_minor

    async def pay(
        self,
        *,
        reference: str,
        bank_account_id: str,
        amount_minor: int,
        end_to_end_id: str = "",
        remittance: str = "",
        batch_id: str | None = None,
    ) -> BankOutcome:
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
            await self._book(
                reference,
                bank_account_id,
                amount_minor,
                outcome,
                Direction.DEBIT,
                end_to_end_id,
                remittance,
                batch_id,
            )
            earlier = await self.pool.fetchval(
                "select outcome from bank_simulator_payouts where reference = $1", reference
            )
        kind, _, value = str(earlier).partition(":")
        if kind == "settled":
            return BankOutcome(True, bank_reference=value)
        return BankOutcome(False, failure_code=value, detail=f"the bank returned the payout: {value}")

    async def receive(
        self, *, amount_minor: int, payer_account: str, payer_name: str, remittance: str
    ) -> str:
        """Someone pays into the escrow account (a 长款 until it is explained); the bank's reference."""
        reference = f"RC-{uuid.uuid4().hex[:12]}"
        bank_reference = f"BK{self.rng.randrange(10**11, 10**12)}"
        await self._book(
            reference,
            payer_account,
            amount_minor,
            f"settled:{bank_reference}",
            Direction.CREDIT,
            "",
            remittance,
            None,
            counterparty_name=payer_name,
        )
        return bank_reference

    async def rebook(self, bank_reference: str, on: date) -> bool:
        """Book an entry on another day, as a bank does when it books a payment late."""
        status = await self.pool.execute(
            "update bank_simulator_payouts set booked_on = $2 where outcome = $1",
            f"settled:{bank_reference}",
            on,
        )
        return bool(status != "UPDATE 0")

    async def _book(
        self,
        reference: str,
        counterparty_account: str,
        amount_minor: int,
        outcome: str,
        direction: Direction,
        end_to_end_id: str,
        remittance: str,
        batch_id: str | None,
        *,
        counterparty_name: str = "",
    ) -> None:
        now = self.clock.now()
        await self.pool.execute(
            """insert into bank_simulator_payouts (reference, bank_account_id, amount, outcome,
                   created_at, direction,
                   end_to_end_id, remittance, batch_id, counterparty_name, booked_on)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (reference) do nothing""",
            reference,
            counterparty_account,
            amount_minor,
            outcome,
            now,
            direction.value,
            end_to_end_id,
            remittance,
            batch_id,
            counterparty_name,
            now.date(),
        )

    async def statement(self, on: date, *, batch: bool = False) -> Statement:
        """The escrow account's statement of a day: what the bank booked, with the balances. With
        `batch`, a payout run's payments are booked as one line listing their end-to-end ids."""
        before = await self.pool.fetchval(
            """select coalesce(sum(case direction when 'credit' then amount else -amount end), 0)
               from bank_simulator_payouts where outcome like 'settled:%' and booked_on < $1""",
            on,
        )
        rows = await self.pool.fetch(
            """select * from bank_simulator_payouts where outcome like 'settled:%' and booked_on = $1
               order by created_at, reference""",
            on,
        )
        lines: list[StatementLine] = []
        batches: dict[str, list[asyncpg.Record]] = {}
        for r in rows:
            if batch and r["batch_id"] and r["direction"] == "debit":
                batches.setdefault(r["batch_id"], []).append(r)
            else:
                lines.append(_line(len(lines) + 1, on, r))
        for batch_id, inside in batches.items():
            if len(inside) == 1:
                lines.append(_line(len(lines) + 1, on, inside[0]))
                continue
            total = sum(r["amount"] for r in inside)
            lines.append(
                StatementLine(
                    line_no=len(lines) + 1,
                    booking_date=on,
                    amount_minor=total,
                    direction=Direction.DEBIT,
                    value_date=min(r["created_at"].date() for r in inside),
                    bank_reference="BT" + hashlib.sha256(batch_id.encode()).hexdigest()[:12].upper(),
                    remittance=f"UniSettle payout run {batch_id}",
                    batch=Batch(len(inside), total, tuple(r["end_to_end_id"] for r in inside)),
                )
            )
        opening = self.opening_balance_minor + int(before)
        closing = opening + sum(line.signed_minor for line in lines)
        return Statement(self.account, on, opening, closing, tuple(lines))


def _line(n: int, on: date, r: asyncpg.Record) -> StatementLine:
    return StatementLine(
        line_no=n,
        booking_date=on,
        amount_minor=r["amount"],
        direction=Direction(r["direction"]),
        value_date=r["created_at"].date(),
        bank_reference=str(r["outcome"]).partition(":")[2],
        end_to_end_id=r["end_to_end_id"],
        remittance=r["remittance"],
        counterparty_account=r["bank_account_id"],
        counterparty_name=r["counterparty_name"],
    )
