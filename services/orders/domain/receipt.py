"""Receipt by line: who may receive an order's goods, what a receipt takes of each line, and the
window in which the person who recorded it may undo it.

A receipt is recorded at once and becomes final when its undo window closes (at once when the
university keeps none); only a final receipt releases escrow, so an undone receipt never moved
money. The order's last receipt — the one after which every line is received in full — is
`complete`: settlement then releases all that is still held, so partial releases add up to the
whole order to the fen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from contracts.events.common import Actor
from contracts.events.orders import OrderLine, ReceivedLine
from plumbing.errors import Conflict, Forbidden, NotFound, RuleViolation


class NotAReceiver(Forbidden):
    code = "not_a_receiver"


class ReceiverIsRequester(Forbidden):
    """The university requires that goods are received by someone other than who ordered them."""

    code = "receiver_is_requester"


class UnknownLine(RuleViolation):
    code = "unknown_order_line"


class OverReceived(Conflict):
    code = "quantity_exceeds_outstanding"


class ReceiptNotFound(NotFound):
    code = "receipt_not_found"


class ReceiptFinal(Conflict):
    code = "receipt_final"


class NotYourReceipt(Forbidden):
    code = "not_your_receipt"


class ReceiptState(StrEnum):
    PENDING = "pending"  # within its undo window
    FINAL = "final"  # escrow is released on it
    UNDONE = "undone"


@dataclass(frozen=True)
class ReceiptPolicy:
    """A university's receipt rules: whether the receiver must not be the requester, and how long
    the receiver may undo a receipt (zero: final at once)."""

    receiver_must_differ: bool = False
    undo_window: timedelta = timedelta(0)

    @classmethod
    def of(cls, receiver_must_differ: bool, undo_window_seconds: int) -> ReceiptPolicy:
        return cls(receiver_must_differ, timedelta(seconds=undo_window_seconds))

    @property
    def undo_window_seconds(self) -> int:
        return int(self.undo_window.total_seconds())

    def view(self) -> dict[str, object]:
        """The rules as the API shows them and the audit trail keeps them."""
        return {
            "receiver_must_differ": self.receiver_must_differ,
            "undo_window_seconds": self.undo_window_seconds,
        }


@dataclass(frozen=True)
class Receivers:
    """Who, besides the requester, may receive on the order's grant: its PI and lab members (its
    authorised buyers); `designated`: the caller is a designated receiver whose scope holds it."""

    lab: frozenset[str]
    designated: bool = False


def check_receiver(by: Actor, requester: str, receivers: Receivers, policy: ReceiptPolicy) -> None:
    if by.user_id == requester:
        if policy.receiver_must_differ:
            raise ReceiverIsRequester("this university requires someone other than the requester to receive")
        return
    if by.user_id not in receivers.lab and not receivers.designated:
        raise NotAReceiver(
            "only the requester, a member of the grant's lab or a designated receiver receives"
        )


@dataclass
class Receipt:
    no: int
    by: Actor
    at: datetime
    final_at: datetime
    lines: dict[int, int]  # line no → quantity
    state: ReceiptState = ReceiptState.PENDING
    automatic: bool = False
    complete: bool = False  # the order's last receipt: it released all that was held
    released_minor: int = 0  # what settlement released on it

    def as_json(self) -> dict[str, object]:
        return {
            "no": self.no,
            "by": self.by.model_dump(),
            "at": self.at.isoformat(),
            "final_at": self.final_at.isoformat(),
            "lines": {str(k): v for k, v in self.lines.items()},
            "state": self.state.value,
            "automatic": self.automatic,
            "complete": self.complete,
            "released_minor": self.released_minor,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Receipt:
        lines = data["lines"]
        assert isinstance(lines, dict)
        return cls(
            no=int(str(data["no"])),
            by=Actor.model_validate(data["by"]),
            at=datetime.fromisoformat(str(data["at"])),
            final_at=datetime.fromisoformat(str(data["final_at"])),
            lines={int(k): int(v) for k, v in lines.items()},
            state=ReceiptState(str(data["state"])),
            automatic=bool(data.get("automatic", False)),
            complete=bool(data.get("complete", False)),
            released_minor=int(str(data.get("released_minor", 0))),
        )


@dataclass
class Receipts:
    """An order's receipts in the order they were recorded."""

    items: list[Receipt] = field(default_factory=list)

    def received(self, line_no: int, *, final_only: bool = False) -> int:
        states = (ReceiptState.FINAL,) if final_only else (ReceiptState.FINAL, ReceiptState.PENDING)
        return sum(r.lines.get(line_no, 0) for r in self.items if r.state in states)

    def outstanding(self, lines: list[OrderLine]) -> dict[int, int]:
        """What is still to receive of each line (counting receipts within their window)."""
        left = {n: line.quantity - self.received(n) for n, line in enumerate(lines, 1)}
        return {n: q for n, q in left.items() if q > 0}

    def taking(self, lines: list[OrderLine], asked: Mapping[int, int] | None) -> dict[int, int]:
        """What a new receipt takes: `asked` (line no → quantity), or everything outstanding."""
        outstanding = self.outstanding(lines)
        if asked is None:
            return outstanding
        for no, quantity in asked.items():
            if not 1 <= no <= len(lines):
                raise UnknownLine(f"the order has lines 1 to {len(lines)}, not {no}", details={"line_no": no})
            if quantity > outstanding.get(no, 0):
                raise OverReceived(
                    f"line {no}: {quantity} received, {outstanding.get(no, 0)} outstanding",
                    details={"line_no": no, "outstanding": outstanding.get(no, 0)},
                )
        return {no: q for no, q in sorted(asked.items()) if q > 0}

    def record(
        self, by: Actor, now: datetime, taking: dict[int, int], window: timedelta, automatic: bool
    ) -> Receipt:
        receipt = Receipt(len(self.items) + 1, by, now, now + window, taking, automatic=automatic)
        self.items.append(receipt)
        return receipt

    def undo(self, no: int, by: Actor, now: datetime) -> Receipt:
        receipt = next((r for r in self.items if r.no == no), None)
        if receipt is None or receipt.state is ReceiptState.UNDONE:
            raise ReceiptNotFound(f"no receipt {no} to undo on this order")
        if receipt.by.user_id != by.user_id:
            raise NotYourReceipt("only whoever recorded a receipt may undo it")
        if receipt.state is ReceiptState.FINAL or receipt.final_at <= now:
            raise ReceiptFinal(
                "the receipt is final: its undo window has closed and escrow is released on it"
            )
        receipt.state = ReceiptState.UNDONE
        return receipt

    def due(self, now: datetime) -> list[Receipt]:
        """Pending receipts whose window has closed, in the order they were recorded."""
        return [r for r in self.items if r.state is ReceiptState.PENDING and r.final_at <= now]

    def next_final_at(self) -> datetime | None:
        pending = [r.final_at for r in self.items if r.state is ReceiptState.PENDING]
        return min(pending) if pending else None

    def released(self, no: int, amount: int) -> None:
        """Settlement released `amount` on receipt `no` (an order received before receipts were
        kept by line has none: its one release is the whole order)."""
        for r in self.items:
            if r.no == no:
                r.released_minor = amount

    @property
    def released_minor(self) -> int:
        return sum(r.released_minor for r in self.items)

    def fully_received(self, lines: list[OrderLine]) -> bool:
        """Every line received in full by final receipts."""
        return all(self.received(n, final_only=True) >= line.quantity for n, line in enumerate(lines, 1))


def received_lines(lines: list[OrderLine], taking: Mapping[int, int]) -> list[ReceivedLine]:
    return [
        ReceivedLine(
            line_no=no,
            quantity=quantity,
            amount_minor=quantity * lines[no - 1].unit_price_minor,
            category=lines[no - 1].category,
        )
        for no, quantity in sorted(taking.items())
    ]


def describe(lines: list[OrderLine], receipts: Receipts, taking: Mapping[int, int]) -> str:
    """A receipt in words for the timeline: `line 1: 2 (2 of 3 bottle)`."""
    return "; ".join(
        f"line {no}: {q} ({receipts.received(no)} of {lines[no - 1].quantity} {lines[no - 1].unit})"
        for no, q in sorted(taking.items())
    )
