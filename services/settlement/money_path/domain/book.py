"""What the money rules see while they decide: the escrows, grants, refund requests and payments a
poll can touch, as read at its start with every earlier event of the poll already applied, and
the ledger of the accounts it can move."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from services.settlement.grants.domain.grant import Grant
from services.settlement.ledger.domain.ledger import Ledger

if TYPE_CHECKING:
    from services.settlement.money_path.domain.decision import RefundRequest
    from services.settlement.money_path.domain.escrow import Escrow


@dataclass(frozen=True)
class Terms:
    """The settings the money rules take: the platform fee, and the day it is."""

    fee_rate_bp: int
    today: date


@dataclass
class Book:
    terms: Terms
    ledger: Ledger = field(default_factory=Ledger)
    escrows: dict[str, Escrow] = field(default_factory=dict)
    grants: dict[tuple[str, str], Grant] = field(default_factory=dict)
    requests: dict[str, RefundRequest] = field(default_factory=dict)
    paid_refunds: set[str] = field(default_factory=set)

    def escrow(self, order_id: str) -> Escrow | None:
        """A copy: a decider changes its copy, and the poll keeps it only if the event is applied."""
        found = self.escrows.get(order_id)
        return None if found is None else found.copy()

    def grant(self, tenant_id: str, grant_id: str) -> Grant | None:
        return self.grants.get((tenant_id, grant_id))
