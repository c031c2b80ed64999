"""The ledger's accounts: one function each for an account's id, so that no id is spelt twice, and
what an account is when it is first opened (its kind, owner and whether it may go below zero)."""

from __future__ import annotations

from dataclasses import dataclass

from services.settlement.ledger.domain.codes import AccountKind

FEE_INCOME = "platform:fee_income"
CAPITAL = "platform:capital"
GUARANTEE_FUND = "platform:guarantee_fund"  # limited: it can advance only what it holds
GUARANTEE_ADVANCED = "platform:guarantee_advanced"  # the fund's money out on advances
BANK = "platform:bank"  # mirror of the escrow bank account: payouts leave through it
SUSPENSE = "platform:suspense"  # what a bank statement shows and the ledger does not (长款)
# where a 长款 nobody can explain goes when two operators write it off (a gain or a loss)
RECONCILIATION_DIFFERENCES = "platform:reconciliation_differences"
BANK_CHARGES = "platform:bank_charges"  # fees the bank charged on the escrow account (an expense)
BANK_INTEREST = "platform:bank_interest"  # interest the bank paid on it (income)
FINANCING_FUND = "platform:financing_fund"  # limited: it can advance only what it holds
FINANCING_ADVANCED = "platform:financing_advanced"  # the fund's money out on early payments
FINANCING_INCOME = "platform:financing_income"  # the discounts early payments earned


@dataclass(frozen=True)
class Opening:
    """An account as it is opened: its id, kind, owner, university and budget category, and
    whether its debits may never exceed its credits (pending debits included)."""

    account_id: str
    kind: AccountKind
    owner_id: str | None = None
    tenant_id: str | None = None
    category: str | None = None
    limited: bool = False


def funding(tenant_id: str) -> str:
    """Where a university's grant budgets come from."""
    return f"funding:{tenant_id}"


def grant(tenant_id: str, grant_id: str, category: str) -> str:
    """A grant's budget category; grant ids are each university's own."""
    return f"grant:{tenant_id}:{grant_id}:{category}"


def supplier_payable(supplier_id: str) -> str:
    return f"supplier:{supplier_id}:payable"


def supplier_receivable(supplier_id: str) -> str:
    """What a supplier owes the platform: refunds the guarantee fund advanced for it."""
    return f"supplier:{supplier_id}:receivable"


def supplier_financed(supplier_id: str) -> str:
    """What a supplier owes the financing fund for early payments its releases will repay."""
    return f"supplier:{supplier_id}:financed"


def supplier_financing_receivable(supplier_id: str) -> str:
    """What a supplier owes the financing fund for an early payment whose order was refunded or
    cancelled: recovered from its next releases and payouts, like a guarantee advance."""
    return f"supplier:{supplier_id}:financing_receivable"


def escrow_pending(order_id: str, category: str, generation: int) -> str:
    """The cause of an escrow's pending transfer; a refund while held re-reserves as generation+1."""
    return f"order:{order_id}:escrow:{category}" + (f":g{generation}" if generation else "")


def opening_funding(tenant_id: str) -> Opening:
    return Opening(funding(tenant_id), AccountKind.FUNDING, tenant_id=tenant_id)


def opening_grant(tenant_id: str, grant_id: str, category: str) -> Opening:
    return Opening(
        grant(tenant_id, grant_id, category), AccountKind.GRANT, grant_id, tenant_id, category, limited=True
    )


def opening_payable(supplier_id: str) -> Opening:
    # refunds and payouts can never take more than the supplier was credited
    return Opening(supplier_payable(supplier_id), AccountKind.SUPPLIER_PAYABLE, supplier_id, limited=True)


def opening_receivable(supplier_id: str) -> Opening:
    return Opening(supplier_receivable(supplier_id), AccountKind.SUPPLIER_RECEIVABLE, supplier_id)


def opening_financed(supplier_id: str) -> Opening:
    return Opening(supplier_financed(supplier_id), AccountKind.SUPPLIER_FINANCED, supplier_id)


def opening_financing_receivable(supplier_id: str) -> Opening:
    return Opening(
        supplier_financing_receivable(supplier_id), AccountKind.SUPPLIER_FINANCING_RECEIVABLE, supplier_id
    )


PLATFORM: dict[str, Opening] = {
    FEE_INCOME: Opening(FEE_INCOME, AccountKind.FEE_INCOME),
    CAPITAL: Opening(CAPITAL, AccountKind.CAPITAL),
    GUARANTEE_FUND: Opening(GUARANTEE_FUND, AccountKind.GUARANTEE_FUND, limited=True),
    GUARANTEE_ADVANCED: Opening(GUARANTEE_ADVANCED, AccountKind.GUARANTEE_ADVANCED),
    BANK: Opening(BANK, AccountKind.BANK),
    SUSPENSE: Opening(SUSPENSE, AccountKind.SUSPENSE),
    RECONCILIATION_DIFFERENCES: Opening(RECONCILIATION_DIFFERENCES, AccountKind.RECONCILIATION_DIFFERENCES),
    BANK_CHARGES: Opening(BANK_CHARGES, AccountKind.BANK_CHARGES),
    BANK_INTEREST: Opening(BANK_INTEREST, AccountKind.BANK_INTEREST),
    FINANCING_FUND: Opening(FINANCING_FUND, AccountKind.FINANCING_FUND, limited=True),
    FINANCING_ADVANCED: Opening(FINANCING_ADVANCED, AccountKind.FINANCING_ADVANCED),
    FINANCING_INCOME: Opening(FINANCING_INCOME, AccountKind.FINANCING_INCOME),
}
