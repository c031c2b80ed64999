"""How a university's chart of accounts names what UniSettle moves for it: effective-dated
mappings, each from a day on until the next. A mapping names the commitment accounts (预算占用
and its offset), the payable to suppliers, the account refunds come back through, the grant
funding accounts (预算下达), and per budget category the expense account with its economic
classification (经济分类, e.g. 30218 专用材料费 for reagents). What a movement needs and the
mapping of its day lacks is an exception for finance — never a line silently left out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    """What an account is for in a voucher (not a category's expense: that is per category)."""

    BUDGET = "budget"  # the grant's funding received (Dr)
    BUDGET_SOURCE = "budget_source"  # where it came from (Cr)
    COMMITMENT = "commitment"  # funds committed to an order (Dr)
    COMMITMENT_OFFSET = "commitment_offset"  # the budget it was committed from (Cr)
    PAYABLE = "payable"  # owed to suppliers for goods received (Cr)
    REFUND_RECEIVABLE = "refund_receivable"  # a refund due back (Dr)


@dataclass(frozen=True)
class Expense:
    account: str
    classification: str  # 支出经济分类, e.g. 30218


@dataclass(frozen=True)
class AccountMapping:
    effective_from: date
    accounts: Mapping[Role, str]
    expense: Mapping[str, Expense]  # budget category → its expense account and classification


@dataclass(frozen=True)
class Missing:
    """What a movement needs that the mapping of its day does not name."""

    needed: str  # a role, or "expense:<category>"
    on: date

    @property
    def reason(self) -> str:
        return f"no account for {self.needed} on {self.on.isoformat()}"


def in_force(mappings: Sequence[AccountMapping], on: date) -> AccountMapping | None:
    """The mapping in force on a day: the latest one effective on or before it."""
    found = [m for m in mappings if m.effective_from <= on]
    return max(found, key=lambda m: m.effective_from) if found else None


def account(mapping: AccountMapping | None, role: Role, on: date) -> str | Missing:
    if mapping is None or not mapping.accounts.get(role):
        return Missing(role.value, on)
    return mapping.accounts[role]


def expense(mapping: AccountMapping | None, category: str, on: date) -> Expense | Missing:
    if mapping is None or category not in mapping.expense:
        return Missing(f"expense:{category}", on)
    return mapping.expense[category]
