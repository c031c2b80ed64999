"""A research grant as settlement sees it: budget by category, period, who may buy, and whether
an order can be paid from it — and what university finance may change of it. A change records
its event and, for a budget, the move between the university's funding and the grant that the
grant's store writes to the ledger with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from contracts.events.base import EventPayload
from contracts.events.common import Actor, BudgetCategory, ExecutionTarget
from contracts.events.settlement import (
    FundsRejectedReason,
    GrantBudgetAdjusted,
    GrantBuyersChanged,
    GrantClosed,
)
from contracts.execution import target_rate_bp
from contracts.money import Money
from services.settlement.grants.domain.errors import BudgetBelowCommitted, GrantClosedError
from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Transfer, TransferKind, transfer_id


@dataclass(frozen=True)
class BudgetMove:
    """Budget moved from the university's funding to a category of the grant (negative: back),
    by a cause its transfer's id derives from."""

    category: BudgetCategory
    delta: int
    cause: str

    def transfer(self, tenant_id: str, grant_id: str) -> Transfer | None:
        """The ledger transfer between the university's funding and the grant's category; none for
        a move of nothing (a category registered with a budget of 0)."""
        if not self.delta:
            return None
        funding, account = (
            accounts.funding(tenant_id),
            accounts.grant(tenant_id, grant_id, self.category.value),
        )
        debit, credit = (funding, account) if self.delta > 0 else (account, funding)
        return Transfer(
            transfer_id(self.cause), debit, credit, abs(self.delta), TransferKind.POSTED, TransferCode.BUDGET
        )


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
    committed: dict[BudgetCategory, int] = field(default_factory=dict)  # encumbered + expended
    events: list[EventPayload] = field(default_factory=list)  # new, not yet saved
    moves: list[BudgetMove] = field(default_factory=list)  # new, not yet written

    @property
    def cause(self) -> str:
        """What the grant's budget transfers are caused by (their ids derive from it): the
        university and the grant, as grant ids are each university's own."""
        return f"grant:{self.tenant_id}:{self.grant_id}"

    def view(self) -> dict[str, object]:
        """What the audit trail keeps of the grant."""
        return {
            "grant_id": self.grant_id,
            "tenant_id": self.tenant_id,
            "code": self.code,
            "title": self.title,
            "pi_id": self.pi_id,
            "authorised_buyers": self.authorised_buyers,
            "budget": {c.value: v for c, v in sorted(self.budget.items())},
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "approval_threshold_minor": self.approval_threshold_minor,
            "targets": [t.model_dump(mode="json") for t in self.targets],
            "open": self.open,
            "version": self.version,
        }

    def funded(self) -> None:
        """The registered budget moved from the university's funding, category by category."""
        self.moves += [
            BudgetMove(c, self.budget[c], f"{self.cause}:budget:{c.value}")
            for c in sorted(self.budget, key=lambda c: c.value)
        ]

    def adjust_budget(self, category: BudgetCategory, budget_minor: int, reason: str, by: Actor) -> None:
        """Set a category's budget; never below what is already encumbered and spent."""
        previous = self.budget.get(category, 0)
        committed = self.committed.get(category, 0)
        if budget_minor != previous:
            if budget_minor < committed:
                raise BudgetBelowCommitted(
                    f"{category.value} has {committed} fen committed", details={"committed_minor": committed}
                )
            delta = budget_minor - previous
            self.moves.append(BudgetMove(category, delta, f"{self.cause}:adjust:{self.version + 1}"))
        self.budget[category] = budget_minor
        self.events.append(
            GrantBudgetAdjusted(
                grant_id=self.grant_id,
                category=category,
                previous_minor=previous,
                budget_minor=budget_minor,
                reason=reason,
                adjusted_by=by,
            )
        )

    def change_buyers(self, buyers: list[str], threshold_minor: int, by: Actor) -> None:
        self.authorised_buyers, self.approval_threshold_minor = sorted(set(buyers)), threshold_minor
        self.events.append(
            GrantBuyersChanged(
                grant_id=self.grant_id,
                authorised_buyers=self.authorised_buyers,
                approval_threshold=Money.cny(threshold_minor),
                changed_by=by,
            )
        )

    def close(self, reason: str, by: Actor) -> None:
        if not self.open:
            raise GrantClosedError(f"grant {self.code} is already closed")
        self.open = False
        self.events.append(GrantClosed(grant_id=self.grant_id, closed_by=by, reason=reason))

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
