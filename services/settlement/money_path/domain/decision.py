"""What a decider answers for one money event: the transfers and state changes it decided, a
refusal (a value, never an exception), or nothing to do (a replay)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from contracts.events.base import EventPayload
from services.settlement.ledger.domain.ledger import Transfer

if TYPE_CHECKING:
    from services.settlement.money_path.domain.escrow import Escrow


@dataclass(frozen=True)
class Refused:
    """The event breaks a rule: it moves nothing and is dead-lettered with `code`."""

    code: str
    detail: str

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.detail}"


class FigureMove(NamedTuple):
    """How a grant category's execution figures move with the money."""

    tenant_id: str
    grant_id: str
    category: str
    budget: int = 0
    encumbered: int = 0
    expended: int = 0
    refunded: int = 0


class MonthMove(NamedTuple):
    tenant_id: str
    grant_id: str
    category: str
    month: date
    expended: int = 0
    refunded: int = 0


@dataclass(frozen=True)
class RefundRequest:
    """A refund a buyer asked for (refunds.RefundRequested): only such a refund is ever paid."""

    refund_id: str
    order_id: str
    tenant_id: str
    grant_id: str
    supplier_id: str
    amount: int


@dataclass(frozen=True)
class RefundPayment:
    refund_id: str
    order_id: str
    amount: int
    source: str
    agreed_event: uuid.UUID


@dataclass
class Decision:
    """Everything one event changes; `escrow` is the escrow's new state (its version is counted
    by the events it emits), `events` the escrow's next events, in order."""

    transfers: list[Transfer] = field(default_factory=list)
    escrow: Escrow | None = None
    figures: list[FigureMove] = field(default_factory=list)
    months: list[MonthMove] = field(default_factory=list)
    events: list[EventPayload] = field(default_factory=list)
    refund_payment: RefundPayment | None = None
    refund_request: RefundRequest | None = None


Outcome = Decision | Refused | None  # None: nothing to do (heard before)
