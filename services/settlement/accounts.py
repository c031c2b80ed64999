"""Names of the ledger's accounts, one function each, so that no id is spelled twice."""

from __future__ import annotations


def funding(tenant_id: str) -> str:
    """Where a university's grant budgets come from."""
    return f"funding:{tenant_id}"


def grant(grant_id: str, category: str) -> str:
    return f"grant:{grant_id}:{category}"


def supplier_payable(supplier_id: str) -> str:
    return f"supplier:{supplier_id}:payable"


FEE_INCOME = "platform:fee_income"
