"""A research grant as settlement sees it: budget by category, period, who may buy, and whether
an order can be paid from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from contracts.events.common import BudgetCategory, ExecutionTarget
from contracts.events.settlement import FundsRejectedReason
from contracts.execution import target_rate_bp


@dataclass
class Grant:
    grant_id: str
    tenant_id: str
    code: str
    title: str
    pi_id: str
    authorised_buyers: list[str]
    budget: dict[BudgetCategory, int]
    period_start: date
    period_end: date
    approval_threshold_minor: int
    targets: list[ExecutionTarget] = field(default_factory=list)
    open: bool = True
    version: int = 0

    def may_buy(self, user_id: str) -> bool:
        return user_id == self.pi_id or user_id in self.authorised_buyers

    def refusal(self, tenant_id: str, buyer_id: str, on: date) -> tuple[FundsRejectedReason, str] | None:
        """Why this grant cannot pay for an order, or None. Budget is checked against the ledger."""
        if tenant_id != self.tenant_id:
            return FundsRejectedReason.UNKNOWN_GRANT, "the grant belongs to another university"
        if not self.open:
            return FundsRejectedReason.GRANT_CLOSED, f"grant {self.code} is closed"
        if not self.period_start <= on <= self.period_end:
            return (
                FundsRejectedReason.OUTSIDE_GRANT_PERIOD,
                f"{on} is outside {self.period_start}..{self.period_end}",
            )
        if not self.may_buy(buyer_id):
            return FundsRejectedReason.BUYER_NOT_AUTHORISED, f"{buyer_id} may not buy on grant {self.code}"
        return None

    def target_rate_bp(self, on: date) -> int:
        """The university's time-based target on a day (`contracts.execution`)."""
        return target_rate_bp(self.period_start, self.targets, on)
