"""The supplier's payout account: a change is checked with the bank and a micro-deposit, which
the supplier confirms by its amount; operations may restart a locked verification."""

from __future__ import annotations

import secrets
import uuid

from plumbing.aggregates.audit import Audited
from plumbing.web.auth import Principal
from services.suppliers.adapters import repository as repo
from services.suppliers.commands.suppliers import act
from services.suppliers.context import Context
from services.suppliers.domain.bank_account import (
    MAX_DEPOSIT_MINOR,
    MIN_DEPOSIT_MINOR,
    AccountStatus,
    BankAccount,
)
from services.suppliers.domain.errors import IllegalTransition, VerificationFailed
from services.suppliers.domain.supplier import Supplier


def _deposit_amount() -> int:
    return MIN_DEPOSIT_MINOR + secrets.randbelow(MAX_DEPOSIT_MINOR - MIN_DEPOSIT_MINOR + 1)


async def change_bank_account(
    ctx: Context, supplier_id: str, bank_name: str, account_number: str, holder_name: str, by: Principal
) -> Supplier:
    """Check the holder, send the micro-deposit, then record the new (pending) account.

    The bank is called outside any transaction; if recording fails afterwards the supplier
    simply asks again and gets a new deposit.
    """
    async with ctx.pool.acquire() as conn:
        supplier = await repo.existing(conn, supplier_id)
    account = BankAccount.open(
        account_id=str(uuid.uuid4()),
        bank_name=bank_name,
        account_number=account_number,
        holder_name=holder_name,
        legal_name=supplier.legal_name,
        deposit_minor=_deposit_amount(),
        sent_at=ctx.clock.now(),
    )
    await ctx.bank.send_micro_deposit(
        reference=f"verify:{account.account_id}",
        account_number=account_number,
        holder_name=holder_name,
        amount_minor=account.deposit_minor,
    )
    return await act(
        ctx, supplier_id, lambda s: s.change_bank_account(account), Audited.by(by, "bank_account.changed")
    )


async def confirm_deposit(ctx: Context, supplier_id: str, amount_minor: int, by: Principal) -> Supplier:
    """A wrong answer is counted (committed, and audited) before it is refused."""
    supplier = await act(
        ctx,
        supplier_id,
        lambda s: s.answer_deposit(amount_minor, ctx.clock.now()),
        Audited.by(by, "bank_account.verification_answered"),
    )
    account = supplier.bank_account
    assert account is not None
    if account.status is not AccountStatus.VERIFIED:
        left = max(0, 3 - account.wrong_answers)
        raise VerificationFailed(
            "that is not the amount we sent" + ("; verification is now locked" if left == 0 else ""),
            details={"attempts_left": left},
        )
    return supplier


async def reset_verification(ctx: Context, supplier_id: str, by: Principal) -> Supplier:
    """Operations unlock verification: a new micro-deposit to the same account."""
    async with ctx.pool.acquire() as conn:
        supplier = await repo.existing(conn, supplier_id)
    if supplier.bank_account is None:
        raise IllegalTransition("no bank account to verify", code="no_pending_verification")
    account, amount = supplier.bank_account, _deposit_amount()
    await ctx.bank.send_micro_deposit(
        reference=f"verify:{account.account_id}:{uuid.uuid4()}",
        account_number=account.account_number,
        holder_name=account.holder_name,
        amount_minor=amount,
    )
    return await act(
        ctx,
        supplier_id,
        lambda s: s.restart_verification(amount, ctx.clock.now()),
        Audited.by(by, "bank_account.verification_reset"),
    )
