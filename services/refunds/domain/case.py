"""A refund case, after Taobao's refund statuses, with its deadlines and timeline.

WAIT_SELLER_AGREE → (agree) AGREED, or WAIT_BUYER_RETURN_GOODS when goods go back → (buyer ships)
WAIT_SELLER_CONFIRM_GOODS → (supplier confirms) AGREED. A refusal → SELLER_REFUSED → (buyer
escalates) DISPUTE → (operations award) AGREED or (no refund) CLOSED. AGREED → COMPLETED when
settlement reports the refund paid. Silence has consequences: a supplier silent for 5 days agrees,
a buyer who does not ship the goods back within 5 days closes the case, an unconfirmed return is
confirmed after 5 days, a refusal not escalated within 5 days closes the case.

One aggregate, one module (over 300 lines): every transition reads and sets the same status,
deadline and timeline; eligibility to ask for a refund is apart (eligibility.py).

Size: one aggregate, the refund case, with each transition of its life and its dispute, read
top to bottom."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from contracts.events.base import EventPayload
from contracts.events.common import Actor
from contracts.events.refunds import (
    DisputeDecision,
    DisputeResolved,
    RefundAgreed,
    RefundClosed,
    RefundCompleted,
    RefundEscalated,
    RefundRefused,
    RefundRequested,
    ReturnGoodsConfirmed,
    ReturnGoodsShipped,
)
from contracts.events.settlement import RefundSource
from contracts.money import Money
from plumbing.aggregates.lifecycle import SYSTEM, require
from plumbing.errors import Forbidden, RuleViolation


class CaseStatus(StrEnum):
    WAIT_SELLER_AGREE = "WAIT_SELLER_AGREE"
    WAIT_BUYER_RETURN_GOODS = "WAIT_BUYER_RETURN_GOODS"
    WAIT_SELLER_CONFIRM_GOODS = "WAIT_SELLER_CONFIRM_GOODS"
    SELLER_REFUSED = "SELLER_REFUSED"
    DISPUTE = "DISPUTE"
    AGREED = "AGREED"
    COMPLETED = "COMPLETED"
    CLOSED = "CLOSED"


class NotYourCase(Forbidden):
    code = "not_your_case"


@dataclass(frozen=True)
class Deadlines:
    seller_response: timedelta = timedelta(days=5)
    buyer_return: timedelta = timedelta(days=5)
    seller_confirm: timedelta = timedelta(days=5)
    escalation: timedelta = timedelta(days=5)
    payment_sla: timedelta = timedelta(hours=24)
    after_sales_window: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    actor: Actor
    to_status: CaseStatus
    reason: str | None = None


# The deadline each waiting status runs against, and what silence does.
DEADLINE_OF = {
    CaseStatus.WAIT_SELLER_AGREE: "seller_response",
    CaseStatus.WAIT_BUYER_RETURN_GOODS: "buyer_return",
    CaseStatus.WAIT_SELLER_CONFIRM_GOODS: "seller_confirm",
    CaseStatus.SELLER_REFUSED: "escalation",
}


@dataclass
class RefundCase:
    refund_id: str
    order_id: str
    tenant_id: str
    grant_id: str
    supplier_id: str
    buyer: Actor
    amount_minor: int
    reason_code: str
    reason: str
    goods_return: bool
    status: CaseStatus
    opened_at: datetime
    deadline: datetime | None = None
    agreed_at: datetime | None = None
    pay_by: datetime | None = None
    settled_at: datetime | None = None
    source: RefundSource | None = None
    version: int = 0
    events: list[EventPayload] = field(default_factory=list)
    steps: list[TimelineEntry] = field(default_factory=list)

    @classmethod
    def request(
        cls,
        *,
        refund_id: str,
        order_id: str,
        tenant_id: str,
        grant_id: str,
        supplier_id: str,
        buyer: Actor,
        amount_minor: int,
        reason_code: str,
        reason: str,
        goods_return: bool,
        now: datetime,
        deadlines: Deadlines,
    ) -> RefundCase:
        case = cls(
            refund_id,
            order_id,
            tenant_id,
            grant_id,
            supplier_id,
            buyer,
            amount_minor,
            reason_code,
            reason,
            goods_return,
            CaseStatus.WAIT_SELLER_AGREE,
            now,
        )
        case._wait(CaseStatus.WAIT_SELLER_AGREE, now, deadlines, "requested", buyer, reason)
        case.events.append(
            RefundRequested(
                refund_id=refund_id,
                order_id=order_id,
                supplier_id=supplier_id,
                grant_id=grant_id,
                requested_by=buyer,
                amount=Money.cny(amount_minor),
                reason_code=reason_code,
                reason=reason,
                goods_return_required=goods_return,
                seller_deadline=case.deadline,
            )
        )
        return case

    # ---------------------------------------------------------------- the supplier
    def agree(self, by: Actor, now: datetime, deadlines: Deadlines, *, automatic: bool = False) -> None:
        self._require({CaseStatus.WAIT_SELLER_AGREE}, "agree to")
        if self.goods_return:
            self._wait(CaseStatus.WAIT_BUYER_RETURN_GOODS, now, deadlines, "agreed: return the goods", by)
        else:
            self._agreed(by, now, deadlines, automatic, "agreed")

    def refuse(self, by: Actor, reason: str, now: datetime, deadlines: Deadlines) -> None:
        self._require({CaseStatus.WAIT_SELLER_AGREE, CaseStatus.WAIT_SELLER_CONFIRM_GOODS}, "refuse")
        self.events.append(
            RefundRefused(refund_id=self.refund_id, order_id=self.order_id, refused_by=by, reason=reason)
        )
        self._wait(CaseStatus.SELLER_REFUSED, now, deadlines, "refused", by, reason)

    def confirm_goods(
        self, by: Actor, now: datetime, deadlines: Deadlines, *, automatic: bool = False
    ) -> None:
        self._require({CaseStatus.WAIT_SELLER_CONFIRM_GOODS}, "confirm the returned goods of")
        self.events.append(
            ReturnGoodsConfirmed(
                refund_id=self.refund_id, order_id=self.order_id, confirmed_by=by, automatic=automatic
            )
        )
        self._agreed(by, now, deadlines, automatic, "returned goods confirmed")

    # ---------------------------------------------------------------- the buyer
    def ship_back(self, by: Actor, carrier: str, tracking: str, now: datetime, deadlines: Deadlines) -> None:
        self._require({CaseStatus.WAIT_BUYER_RETURN_GOODS}, "ship back the goods of")
        self._buyer(by)
        self.events.append(
            ReturnGoodsShipped(
                refund_id=self.refund_id, order_id=self.order_id, carrier=carrier, tracking_number=tracking
            )
        )
        self._wait(
            CaseStatus.WAIT_SELLER_CONFIRM_GOODS,
            now,
            deadlines,
            "goods shipped back",
            by,
            f"{carrier} {tracking}",
        )

    def escalate(self, by: Actor, reason: str, now: datetime) -> None:
        self._require({CaseStatus.SELLER_REFUSED}, "escalate")
        self._buyer(by)
        self.events.append(
            RefundEscalated(refund_id=self.refund_id, order_id=self.order_id, escalated_by=by, reason=reason)
        )
        self._move(CaseStatus.DISPUTE, now, "escalated to a dispute", by, reason, deadline=None)

    def withdraw(self, by: Actor, now: datetime) -> None:
        self._require(
            {CaseStatus.WAIT_SELLER_AGREE, CaseStatus.WAIT_BUYER_RETURN_GOODS, CaseStatus.SELLER_REFUSED},
            "withdraw",
        )
        self._buyer(by)
        self._close("buyer_withdrew", by, now)

    # ---------------------------------------------------------------- operations
    def decide(
        self,
        by: Actor,
        decision: DisputeDecision,
        awarded_minor: int,
        reason: str,
        now: datetime,
        deadlines: Deadlines,
    ) -> None:
        self._require({CaseStatus.DISPUTE}, "decide")
        if decision is DisputeDecision.FULL_REFUND:
            awarded_minor = self.amount_minor
        elif decision is DisputeDecision.NO_REFUND:
            awarded_minor = 0
        elif not 0 < awarded_minor <= self.amount_minor:
            raise RuleViolation(
                "a partial award is more than 0 and at most the amount asked",
                code="invalid_award",
                details={"asked_minor": self.amount_minor},
            )
        self.events.append(
            DisputeResolved(
                refund_id=self.refund_id,
                order_id=self.order_id,
                decided_by=by,
                decision=decision,
                awarded=Money.cny(awarded_minor),
                reason=reason,
            )
        )
        if awarded_minor == 0:
            self._close("dispute_lost", by, now, reason)
            return
        self.amount_minor = awarded_minor
        self._agreed(by, now, deadlines, False, f"awarded {decision.value}")

    # ---------------------------------------------------------------- settlement and timers
    def paid(self, source: RefundSource, now: datetime) -> bool:
        if self.status is not CaseStatus.AGREED:
            return False
        assert self.agreed_at is not None
        self.settled_at, self.source = now, source
        self.events.append(
            RefundCompleted(
                refund_id=self.refund_id,
                order_id=self.order_id,
                amount=Money.cny(self.amount_minor),
                source=source,
                agreed_at=self.agreed_at,
                settled_at=now,
            )
        )
        self._move(CaseStatus.COMPLETED, now, "paid to the grant", SYSTEM, source.value, deadline=None)
        return True

    def fire(self, now: datetime, deadlines: Deadlines) -> bool:
        """The deadline passed: silence decides, if the case still waits where it was set."""
        if self.deadline is None or self.deadline > now:
            return False
        if self.status is CaseStatus.WAIT_SELLER_AGREE:
            self.agree(SYSTEM, now, deadlines, automatic=True)
        elif self.status is CaseStatus.WAIT_BUYER_RETURN_GOODS:
            self._close("return_not_shipped", SYSTEM, now)
        elif self.status is CaseStatus.WAIT_SELLER_CONFIRM_GOODS:
            self.confirm_goods(SYSTEM, now, deadlines, automatic=True)
        elif self.status is CaseStatus.SELLER_REFUSED:
            self._close("refusal_not_escalated", SYSTEM, now)
        else:
            return False
        return True

    # ---------------------------------------------------------------- plumbing
    def _agreed(self, by: Actor, now: datetime, deadlines: Deadlines, automatic: bool, action: str) -> None:
        self.agreed_at, self.pay_by = now, now + deadlines.payment_sla
        self.events.append(
            RefundAgreed(
                refund_id=self.refund_id,
                order_id=self.order_id,
                supplier_id=self.supplier_id,
                grant_id=self.grant_id,
                amount=Money.cny(self.amount_minor),
                agreed_by=by,
                automatic=automatic,
                pay_by=self.pay_by,
            )
        )
        self._move(
            CaseStatus.AGREED,
            now,
            action + (" (supplier silent)" if automatic and by is SYSTEM else ""),
            by,
            None,
            deadline=None,
        )

    def _close(self, reason_code: str, by: Actor, now: datetime, reason: str | None = None) -> None:
        self.events.append(
            RefundClosed(refund_id=self.refund_id, order_id=self.order_id, reason_code=reason_code)
        )
        self._move(CaseStatus.CLOSED, now, "closed", by, reason or reason_code, deadline=None)

    def _wait(
        self,
        status: CaseStatus,
        now: datetime,
        deadlines: Deadlines,
        action: str,
        by: Actor,
        reason: str | None = None,
    ) -> None:
        self._move(status, now, action, by, reason, deadline=now + getattr(deadlines, DEADLINE_OF[status]))

    def _move(
        self,
        status: CaseStatus,
        now: datetime,
        action: str,
        by: Actor,
        reason: str | None,
        *,
        deadline: datetime | None,
    ) -> None:
        self.status, self.deadline = status, deadline
        self.steps.append(TimelineEntry(now, action, by, status, reason))

    def _require(self, allowed: set[CaseStatus], action: str) -> None:
        require(self.status, allowed, f"cannot {action} a refund case that is {self.status.value}")

    def _buyer(self, by: Actor) -> None:
        if by.user_id != self.buyer.user_id:
            raise NotYourCase("only the buyer who asked may do this")
