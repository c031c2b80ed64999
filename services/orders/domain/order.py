"""The order aggregate: one supplier's share of a checkout, from placement through approval,
escrow and fulfilment to completion — with its deadlines and a timeline of every change.

States follow Taobao's escrow trade (PAID ≈ WAIT_SELLER_SEND_GOODS, SHIPPED ≈
WAIT_BUYER_CONFIRM_GOODS, COMPLETED ≈ TRADE_FINISHED) plus the university's approval step.
Settlement reserves the funds as soon as an order is placed (the grant is encumbered while
approvers decide); an order is PAID once the funds are held and every approval is given.

Size: the longest module (about 500 lines), on purpose: one aggregate's state machine, where every
transition reads and writes the same status, funds, approvals, deadlines and timeline. The
checkout split and the deadline policy it uses are apart (checkout.py, policy.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from contracts.events.base import EventPayload
from contracts.events.common import Actor
from contracts.events.orders import (
    ApprovalReason,
    ApprovalStep,
    CancelReason,
    CloseReason,
    OrderApprovalDenied,
    OrderApprovalRequested,
    OrderApproved,
    OrderCancelled,
    OrderClosed,
    OrderCompleted,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderReceived,
    OrderRefundStateChanged,
    OrderRejected,
    OrderShipped,
)
from contracts.money import Money
from plumbing.aggregates.lifecycle import SYSTEM, require
from services.orders.domain.approvals import Acting, may_give
from services.orders.domain.errors import (
    ApprovalOutOfOrder,
    NotAnApprover,
    NotYourOrder,
    SelfApproval,
)
from services.orders.domain.policy import Deadlines
from services.orders.domain.receipt import (
    OverReceived,
    Receipt,
    ReceiptPolicy,
    Receipts,
    ReceiptState,
    Receivers,
    check_receiver,
    describe,
    received_lines,
)


class OrderStatus(StrEnum):
    AWAITING_FUNDS = "AWAITING_FUNDS"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    RECEIVED = "RECEIVED"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    CLOSED = "CLOSED"


OPEN_BEFORE_PAYMENT = frozenset({OrderStatus.AWAITING_FUNDS, OrderStatus.PENDING_APPROVAL})
CANCELLABLE = OPEN_BEFORE_PAYMENT | {OrderStatus.PAID}


class Funds(StrEnum):
    PENDING = "pending"
    RESERVED = "reserved"
    REJECTED = "rejected"
    RELEASED = "released"
    VOIDED = "voided"  # back on the grant: the order ended (also when it was reserved only after that)
    REFUNDED = "refunded"  # all of it refunded from escrow


class TimerKind(StrEnum):
    APPROVAL = "approval"
    PAYMENT = "payment"
    SHIP = "ship"
    AUTO_CONFIRM = "auto_confirm"
    RECEIPT_FINAL = "receipt_final"  # a receipt's undo window closes


@dataclass
class Timer:
    """A deadline; paused timers keep the time that was left instead of a due time."""

    due_at: datetime | None
    remaining: timedelta | None = None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    actor: Actor
    from_status: OrderStatus | None
    to_status: OrderStatus
    reason: str | None = None


@dataclass
class Order:
    order_id: str
    checkout_id: str
    tenant_id: str
    grant_id: str
    pi_id: str
    buyer: Actor
    supplier_id: str
    lines: list[OrderLine]
    total_minor: int
    currency: str
    placed_at: datetime
    status: OrderStatus
    funds: Funds = Funds.PENDING
    approval_steps: list[ApprovalStep] = field(default_factory=list)  # in the order they are given
    approvals_given: dict[str, Actor] = field(default_factory=dict)  # step key → who gave it
    carrier: str | None = None
    tracking_number: str | None = None
    refund_open: bool = False
    refunded_minor: int = 0
    refunds: dict[str, str] = field(default_factory=dict)  # refund id → open | closed | paid
    external_ref: str | None = None
    version: int = 0
    timers: dict[TimerKind, Timer] = field(default_factory=dict)
    events: list[EventPayload] = field(default_factory=list)  # new, not yet saved
    timeline: list[TimelineEntry] = field(default_factory=list)  # new, not yet saved
    timeline_saved: int = 0  # how many timeline entries are already stored
    receipts: Receipts = field(default_factory=Receipts)

    # ---------------------------------------------------------------- placement and approval
    @classmethod
    def place(
        cls,
        *,
        order_id: str,
        checkout_id: str,
        tenant_id: str,
        grant_id: str,
        pi_id: str,
        buyer: Actor,
        supplier_id: str,
        lines: list[OrderLine],
        approvals: list[ApprovalStep],
        now: datetime,
        deadlines: Deadlines,
        external_ref: str | None = None,
    ) -> Order:
        """Size: mostly the order's facts as keyword parameters, and the one event it records."""
        total = sum(line.line_total_minor for line in lines)
        status = OrderStatus.PENDING_APPROVAL if approvals else OrderStatus.AWAITING_FUNDS
        order = cls(
            order_id,
            checkout_id,
            tenant_id,
            grant_id,
            pi_id,
            buyer,
            supplier_id,
            lines,
            total,
            "CNY",
            now,
            status,
            approval_steps=list(approvals),
            external_ref=external_ref,
        )
        order.events.append(
            OrderPlaced(
                order_id=order_id,
                checkout_id=checkout_id,
                grant_id=grant_id,
                buyer=buyer,
                supplier_id=supplier_id,
                lines=lines,
                total=Money.cny(total),
                approvals_required=order.approvals_required,
                external_ref=external_ref,
            )
        )
        order._note(now, "placed", buyer, None, status)
        order.timers[TimerKind.PAYMENT] = Timer(now + deadlines.payment)
        if approvals:
            deadline = now + deadlines.approval
            order.timers[TimerKind.APPROVAL] = Timer(deadline)
            order.events.append(
                OrderApprovalRequested(
                    order_id=order_id,
                    grant_id=grant_id,
                    reasons=order.approvals_required,
                    approver_roles=sorted({step.approver.value for step in approvals}),
                    deadline=deadline,
                    steps=order.approval_steps,
                )
            )
            waits = "; ".join(
                f"{n}. {step.approver.value} ({step.rule})" for n, step in enumerate(approvals, 1)
            )
            order._note(now, "approval requested", SYSTEM, status, status, waits)
        return order

    @property
    def approvals_required(self) -> list[ApprovalReason]:
        """The reasons of the steps, each once, in step order."""
        return list(dict.fromkeys(step.reason for step in self.approval_steps))

    @property
    def approvals_pending(self) -> list[ApprovalStep]:
        return [step for step in self.approval_steps if step.key not in self.approvals_given]

    def approve(self, approver: Actor | Sequence[Acting], now: datetime, deadlines: Deadlines) -> list[str]:
        """Give, in order, the pending steps this approver may give (as themself or for whoever
        delegated to them) — from the first pending one on; returns their keys."""
        self._require({OrderStatus.PENDING_APPROVAL}, "approve")
        candidates = self._candidates(approver)
        given: list[str] = []
        for step in self.approvals_pending:
            who = next((c for c in candidates if may_give(c, step, self.pi_id)), None)
            if who is None:
                break
            given.append(step.key)
            self.approvals_given[step.key] = who.actor
            self.events.append(
                OrderApproved(
                    order_id=self.order_id,
                    approver=who.actor,
                    reason=step.reason,
                    fully_approved=not self.approvals_pending,
                    step=step.key,
                    on_behalf_of=who.on_behalf_of,
                )
            )
            acting = f" for {who.on_behalf_of.user_id}" if who.on_behalf_of else ""
            if self.approvals_pending:
                self._note(now, "approved", who.actor, self.status, self.status, f"{step.rule}{acting}")
            else:
                self._finish_approval(now, deadlines, who.actor, f"{step.rule}{acting}")
        if not given:
            pending = [step.key for step in self.approvals_pending]
            if any(may_give(c, step, self.pi_id) for step in self.approvals_pending for c in candidates):
                raise ApprovalOutOfOrder(
                    "an earlier approval is still pending: approvals are given in order",
                    details={"pending": pending, "next": pending[0]},
                )
            raise NotAnApprover("nothing on this order is yours to approve", details={"pending": pending})
        return given

    def approvable_by(self, approver: Sequence[Acting]) -> bool:
        """Whether any step of the order, given or not, is one the approver may give (as themself
        or for whoever delegated to them): they may then see the order they are asked about."""
        return any(may_give(c, step, self.pi_id) for c in approver for step in self.approval_steps)

    def _finish_approval(self, now: datetime, deadlines: Deadlines, by: Actor, reason: str) -> None:
        self.timers.pop(TimerKind.APPROVAL, None)
        if self.funds is Funds.RESERVED:
            self._paid(now, deadlines, by, "approved", reason)
        else:
            self._move(now, "approved", by, OrderStatus.AWAITING_FUNDS, reason)

    def _candidates(self, approver: Actor | Sequence[Acting]) -> list[Acting]:
        """Who the approver may act as: never the requester, nor for the requester."""
        candidates = [Acting(approver)] if isinstance(approver, Actor) else list(approver)
        if any(c.actor.user_id == self.buyer.user_id for c in candidates):
            raise SelfApproval(
                "no one approves or denies an order they requested",
                details={"pending": [step.key for step in self.approvals_pending]},
            )
        return [c for c in candidates if c.as_who.user_id != self.buyer.user_id]

    def deny(self, approver: Actor | Sequence[Acting], reason: str, now: datetime) -> None:
        """A pending approver (of any pending step) says no: the order closes."""
        self._require({OrderStatus.PENDING_APPROVAL}, "deny")
        candidates = self._candidates(approver)
        who = next(
            (c for c in candidates for step in self.approvals_pending if may_give(c, step, self.pi_id)), None
        )
        if who is None:
            raise NotAnApprover("only a pending approver may deny this order")
        self.events.append(OrderApprovalDenied(order_id=self.order_id, approver=who.actor, reason=reason))
        self._close(CloseReason.APPROVAL_DENIED, now, who.actor, reason)

    # ---------------------------------------------------------------- settlement answers
    def funds_reserved(self, now: datetime, deadlines: Deadlines) -> bool:
        """Escrow holds the money. False when the order no longer wants it (settlement voids it
        when it sees the cancellation)."""
        if self.funds is not Funds.PENDING:
            return False  # heard before (a replay): nothing to do
        if self.status not in OPEN_BEFORE_PAYMENT:
            # Settlement voids it when it sees the order end; the order never holds these funds.
            # Remembered as voided, so a replay of this answer is known for one.
            self.funds = Funds.VOIDED
            self._note(now, "funds reserved after the order ended", SYSTEM, self.status, self.status)
            return False
        self.funds = Funds.RESERVED
        self.timers.pop(TimerKind.PAYMENT, None)
        if self.status is OrderStatus.AWAITING_FUNDS:
            self._paid(now, deadlines, SYSTEM, "funds reserved")
        else:
            self._note(now, "funds reserved", SYSTEM, self.status, self.status, "waiting for approval")
        return True

    def funds_rejected(self, reason_code: str, detail: str, now: datetime) -> bool:
        if self.funds is not Funds.PENDING:
            return False  # heard before (a replay): settlement answers an order once
        if self.status not in OPEN_BEFORE_PAYMENT:
            self.funds = Funds.REJECTED
            self._note(
                now, "funds rejected after the order ended", SYSTEM, self.status, self.status, reason_code
            )
            return False
        self.funds = Funds.REJECTED
        self.timers.clear()
        self.events.append(OrderRejected(order_id=self.order_id, reason_code=reason_code, detail=detail))
        self._move(
            now, "funds rejected", SYSTEM, OrderStatus.REJECTED, f"{reason_code}: {detail}".rstrip(": ")
        )
        return True

    def escrow_released(
        self, settled_minor: int, now: datetime, *, receipt_no: int = 1, complete: bool = True
    ) -> bool:
        """Settlement released the escrow of a receipt; the order's last (`complete`) finishes it."""
        if self.funds is Funds.RELEASED:
            return False  # heard before (a replay)
        self.receipts.released(receipt_no, settled_minor)
        if not complete:
            self._note(
                now,
                "escrow released",
                SYSTEM,
                self.status,
                self.status,
                f"receipt {receipt_no}: {settled_minor} fen",
            )
            return True
        if self.status is not OrderStatus.RECEIVED:
            self._note(now, "escrow released", SYSTEM, self.status, self.status)
            return False
        self.funds = Funds.RELEASED
        self.events.append(
            OrderCompleted(
                order_id=self.order_id,
                supplier_id=self.supplier_id,
                settled=Money.cny(self.receipts.released_minor or settled_minor),
            )
        )
        self._move(now, "escrow released", SYSTEM, OrderStatus.COMPLETED)
        return True

    def escrow_voided(self, now: datetime) -> bool:
        """The order ended and settlement gave the escrow back to the grant."""
        if self.funds is not Funds.RESERVED:
            return False  # never held here, or heard before (a replay)
        self.funds = Funds.VOIDED
        self._note(now, "escrow voided", SYSTEM, self.status, self.status, "the money is back on the grant")
        return True

    def _paid(
        self, now: datetime, deadlines: Deadlines, actor: Actor, action: str, reason: str | None = None
    ) -> None:
        ship_by = now + deadlines.ship
        self.timers[TimerKind.SHIP] = Timer(ship_by)
        self.events.append(
            OrderPaid(
                order_id=self.order_id,
                supplier_id=self.supplier_id,
                amount=Money.cny(self.total_minor),
                ship_by=ship_by,
            )
        )
        self._move(now, action, actor, OrderStatus.PAID, reason)

    # ---------------------------------------------------------------- fulfilment
    def ship(
        self, by: Actor, carrier: str | None, tracking_number: str | None, now: datetime, deadlines: Deadlines
    ) -> None:
        self._require({OrderStatus.PAID}, "ship")
        self.carrier, self.tracking_number = carrier, tracking_number
        wait = deadlines.auto_confirm if carrier else deadlines.auto_confirm_without_logistics
        self.timers.pop(TimerKind.SHIP, None)
        self.timers[TimerKind.AUTO_CONFIRM] = Timer(now + wait)
        if self.refund_open:
            self._pause(now)
        self.events.append(
            OrderShipped(
                order_id=self.order_id,
                supplier_id=self.supplier_id,
                carrier=carrier,
                tracking_number=tracking_number,
                auto_confirm_at=now + wait,
            )
        )
        self._move(
            now,
            "shipped",
            by,
            OrderStatus.SHIPPED,
            f"{carrier or 'no logistics'} {tracking_number or ''}".strip(),
        )

    def receive(
        self,
        by: Actor,
        asked: Mapping[int, int] | None,
        now: datetime,
        policy: ReceiptPolicy,
        receivers: Receivers | None,
    ) -> Receipt:
        """Record a receipt of `asked` (line no → quantity; None: all that is outstanding) by a
        receiver the grant allows (`receivers` None: the timer). Final at once unless the
        university keeps an undo window; the auto-confirm timer goes on for what is left."""
        self._require({OrderStatus.SHIPPED}, "receive goods of")
        automatic = receivers is None
        if receivers is not None:
            check_receiver(by, self.buyer.user_id, receivers, policy)
        taking = self.receipts.taking(self.lines, asked)
        if not taking:
            raise OverReceived("every line is already received", details={"outstanding": {}})
        window = timedelta(0) if automatic else policy.undo_window
        receipt = self.receipts.record(by, now, taking, window, automatic)
        if window:
            until = f"may be undone until {receipt.final_at:%Y-%m-%d %H:%M} UTC"
            words = f"{describe(self.lines, self.receipts, taking)}; {until}"
            self._note(now, "received", by, self.status, self.status, words)
        self._finalise_due(now)
        return receipt

    def confirm_receipt(self, by: Actor, now: datetime, *, automatic: bool = False) -> None:
        """Everything outstanding received at once (the buyer's one-step receipt, or the timer)."""
        if not automatic and by.user_id != self.buyer.user_id:
            raise NotYourOrder("only the buyer confirms receipt")
        self.receive(by, None, now, ReceiptPolicy(), None if automatic else Receivers(frozenset()))

    def undo_receipt(self, no: int, by: Actor, now: datetime) -> Receipt:
        """The receiver takes a receipt back within its window: nothing was released on it."""
        self._require({OrderStatus.SHIPPED}, "undo a receipt of")
        receipt = self.receipts.undo(no, by, now)
        self._note(now, "receipt undone", by, self.status, self.status, f"receipt {no}")
        self._arm_receipt_timer()
        return receipt

    def _finalise_due(self, now: datetime) -> None:
        """Receipts whose undo window closed become final: each is an OrderReceived."""
        for receipt in self.receipts.due(now):
            receipt.state = ReceiptState.FINAL
            receipt.complete = self.receipts.fully_received(self.lines)
            lines = received_lines(self.lines, receipt.lines)
            self.events.append(
                OrderReceived(
                    order_id=self.order_id,
                    supplier_id=self.supplier_id,
                    grant_id=self.grant_id,
                    confirmed_by=receipt.by,
                    auto_confirmed=receipt.automatic,
                    amount=Money.cny(sum(line.amount_minor for line in lines)),
                    receipt_no=receipt.no,
                    lines=lines,
                    complete=receipt.complete,
                )
            )
            at_once = receipt.final_at <= receipt.at
            words = describe(self.lines, self.receipts, receipt.lines) if at_once else f"receipt {receipt.no}"
            if receipt.automatic:
                action = "receipt auto-confirmed"
            else:
                action = (
                    ("receipt confirmed" if receipt.complete else "received") if at_once else "receipt final"
                )
            if receipt.complete:
                self.timers.pop(TimerKind.AUTO_CONFIRM, None)
                self._move(now, action, receipt.by, OrderStatus.RECEIVED, words)
            else:
                self._note(now, action, receipt.by, self.status, self.status, words)
        self._arm_receipt_timer()

    def _arm_receipt_timer(self) -> None:
        due = self.receipts.next_final_at()
        if due is None:
            self.timers.pop(TimerKind.RECEIPT_FINAL, None)
        else:
            self.timers[TimerKind.RECEIPT_FINAL] = Timer(due)

    def cancel(self, by: Actor, reason_code: CancelReason, reason: str, now: datetime) -> None:
        allowed = CANCELLABLE if reason_code is not CancelReason.NOT_SHIPPED_IN_TIME else {OrderStatus.PAID}
        self._require(allowed, "cancel")
        if reason_code is CancelReason.BUYER_CANCELLED and by.user_id != self.buyer.user_id:
            raise NotYourOrder("only the buyer may cancel this order")
        self.timers.clear()
        self.events.append(
            OrderCancelled(
                order_id=self.order_id,
                grant_id=self.grant_id,
                cancelled_by=by,
                reason_code=reason_code,
                reason=reason,
            )
        )
        self._move(now, "cancelled", by, OrderStatus.CANCELLED, f"{reason_code.value}: {reason}".rstrip(": "))

    def _close(self, reason_code: CloseReason, now: datetime, by: Actor, reason: str | None = None) -> None:
        self.timers.clear()
        self.events.append(
            OrderClosed(order_id=self.order_id, grant_id=self.grant_id, reason_code=reason_code)
        )
        self._move(now, "closed", by, OrderStatus.CLOSED, reason or reason_code.value)

    # ---------------------------------------------------------------- timers
    def fire(self, kind: TimerKind, now: datetime) -> bool:
        """A deadline passed. Acts only if the order is still where the deadline was set for."""
        timer = self.timers.get(kind)
        if timer is None or timer.due_at is None or timer.due_at > now:
            return False
        del self.timers[kind]
        if kind is TimerKind.APPROVAL and self.status is OrderStatus.PENDING_APPROVAL:
            self._close(CloseReason.APPROVAL_TIMEOUT, now, SYSTEM)
        elif kind is TimerKind.PAYMENT and self.status in OPEN_BEFORE_PAYMENT and self.funds is Funds.PENDING:
            self._close(CloseReason.PAYMENT_TIMEOUT, now, SYSTEM)
        elif kind is TimerKind.SHIP and self.status is OrderStatus.PAID:
            self.cancel(SYSTEM, CancelReason.NOT_SHIPPED_IN_TIME, "the supplier did not ship in time", now)
        elif kind is TimerKind.AUTO_CONFIRM and self.status is OrderStatus.SHIPPED:
            if not self.receipts.outstanding(self.lines):
                # Receipts within their window cover the rest: look again when they close (an
                # undone one leaves its lines to the timer then).
                self.timers[kind] = Timer(self.receipts.next_final_at())
                return False
            self.receive(SYSTEM, None, now, ReceiptPolicy(), None)
        elif kind is TimerKind.RECEIPT_FINAL and self.status is OrderStatus.SHIPPED:
            self._finalise_due(now)
        else:
            return False
        return True

    def _pause(self, now: datetime) -> None:
        timer = self.timers.get(TimerKind.AUTO_CONFIRM)
        if timer is not None and timer.due_at is not None:
            self.timers[TimerKind.AUTO_CONFIRM] = Timer(None, max(timer.due_at - now, timedelta(0)))

    def _resume(self, now: datetime) -> None:
        timer = self.timers.get(TimerKind.AUTO_CONFIRM)
        if timer is not None and timer.due_at is None and timer.remaining is not None:
            self.timers[TimerKind.AUTO_CONFIRM] = Timer(now + timer.remaining)

    # ---------------------------------------------------------------- refunds
    # Each refund case is remembered by id, so hearing of it again (a replay of refunds.events
    # older than the consumer's dedup window) neither reopens it nor counts its money twice.
    def refund_opened(self, refund_id: str, now: datetime) -> None:
        if refund_id in self.refunds:
            return
        self.refunds[refund_id] = "open"
        self.refund_open = True
        self._pause(now)
        self._refund_changed(now, "refund requested", "receipt timer paused")

    def refund_closed(self, refund_id: str, now: datetime) -> None:
        if self.refunds.get(refund_id) in ("closed", "paid"):
            return
        self.refunds[refund_id] = "closed"
        self.refund_open = "open" in self.refunds.values()
        if not self.refund_open:
            self._resume(now)
        self._refund_changed(now, "refund closed", "receipt timer resumed")

    def refund_completed(self, refund_id: str, amount_minor: int, now: datetime) -> None:
        if self.refunds.get(refund_id) == "paid":
            return
        self.refunds[refund_id] = "paid"
        self.refund_open = "open" in self.refunds.values()
        self.refunded_minor = min(self.total_minor, self.refunded_minor + amount_minor)
        if not self.refund_open:
            self._resume(now)
        self._refund_changed(now, "refund paid", f"{amount_minor} fen back to the grant")
        if self.refunded_minor >= self.total_minor and self.funds is Funds.RESERVED:
            self.funds = Funds.REFUNDED  # every fen went back to the grant from escrow
        if self.refunded_minor >= self.total_minor and self.status in (OrderStatus.PAID, OrderStatus.SHIPPED):
            self._close(CloseReason.FULLY_REFUNDED, now, SYSTEM)

    @property
    def refund_state(self) -> str:
        if self.refund_open:
            return "in_progress"
        if self.refunded_minor == 0:
            return "none"
        return "fully_refunded" if self.refunded_minor >= self.total_minor else "partially_refunded"

    def _refund_changed(self, now: datetime, action: str, reason: str) -> None:
        paused = TimerKind.AUTO_CONFIRM in self.timers and self.timers[TimerKind.AUTO_CONFIRM].due_at is None
        self.events.append(
            OrderRefundStateChanged(
                order_id=self.order_id,
                refund_state=self.refund_state,
                refunded=Money.cny(self.refunded_minor),
                auto_confirm_paused=paused,
            )
        )
        self._note(now, action, SYSTEM, self.status, self.status, reason)

    # ---------------------------------------------------------------- plumbing
    def _require(self, allowed: set[OrderStatus] | frozenset[OrderStatus], action: str) -> None:
        require(self.status, allowed, f"cannot {action} an order that is {self.status.value}")

    def _move(
        self, now: datetime, action: str, actor: Actor, to: OrderStatus, reason: str | None = None
    ) -> None:
        self._note(now, action, actor, self.status, to, reason)
        self.status = to

    def _note(
        self,
        now: datetime,
        action: str,
        actor: Actor,
        frm: OrderStatus | None,
        to: OrderStatus,
        reason: str | None = None,
    ) -> None:
        self.timeline.append(TimelineEntry(now, action, actor, frm, to, reason))
