"""Names of the ledger's accounts, one function each, so that no id is spelled twice."""

from __future__ import annotations


def funding(tenant_id: str) -> str:
    """Where a university's grant budgets come from."""
    return f"funding:{tenant_id}"


def grant(tenant_id: str, grant_id: str, category: str) -> str:
    """A grant's budget category; grant ids are each university's own."""
    return f"grant:{tenant_id}:{grant_id}:{category}"


def supplier_payable(supplier_id: str) -> str:
    return f"supplier:{supplier_id}:payable"


FEE_INCOME = "platform:fee_income"


def supplier_receivable(supplier_id: str) -> str:
    """What a supplier owes the platform: refunds the guarantee fund advanced for it."""
    return f"supplier:{supplier_id}:receivable"


CAPITAL = "platform:capital"
GUARANTEE_FUND = "platform:guarantee_fund"  # limited: it can advance only what it holds
GUARANTEE_ADVANCED = "platform:guarantee_advanced"  # the fund's money out on advances


def escrow_pending(order_id: str, category: str, generation: int) -> str:
    """The cause of an escrow's pending transfer; a refund while held re-reserves as generation+1."""
    return f"order:{order_id}:escrow:{category}" + (f":g{generation}" if generation else "")


BANK = "platform:bank"  # mirror of the escrow bank account: payouts leave through it
