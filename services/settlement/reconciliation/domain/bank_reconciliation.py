"""The day's bank reconciliation statement (余额调节表), as of everything known now.

For a day D, the bank's closing balance (from D's statement) is set beside the ledger's balance of
the account: the first statement's opening balance plus every payment the ledger sent through the
bank and every statement line it has since recognised, recorded by D. What one side shows and the
other does not yet, as of D, is in transit — on the bank, not in the ledger (长款: lines waiting in
suspense, or explained only later) and in the ledger, not on the bank (短款: payouts the bank has
not booked by D). Then

    bank closing + Σ in the ledger, not on the bank  =  ledger balance + Σ on the bank, not in the ledger

and the report says whether it does. A line or payment explained later stays in transit in D's
report, marked with the day it was cleared; an item nothing explains yet is open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.settlement.reconciliation.domain.statement import Direction


@dataclass(frozen=True)
class DayStatement:
    statement_id: str
    on: date
    opening_minor: int
    closing_minor: int
    format: str


@dataclass(frozen=True)
class LineFacts:
    line_id: str
    on: date  # the day of the statement holding it
    amount_minor: int
    direction: Direction
    state: str
    items: tuple[str, ...] = ()  # the payouts or returns it is confirmed to
    resolved_on: date | None = None  # recognised by a suspense action (return, write-off, applied)
    resolution: str = ""

    @property
    def signed_minor(self) -> int:
        return self.amount_minor if self.direction is Direction.CREDIT else -self.amount_minor


@dataclass(frozen=True)
class ItemFacts:
    item_id: str
    kind: str
    amount_minor: int  # paid out through the bank
    recorded_on: date


def day_report(
    on: date, statements: Sequence[DayStatement], lines: Sequence[LineFacts], items: Sequence[ItemFacts]
) -> dict[str, Any]:
    """Size: the 余额调节表 is one computation of several sums over the same facts."""
    ordered = sorted(statements, key=lambda s: s.on)
    today = next(s for s in ordered if s.on == on)
    first = ordered[0]
    earlier = [s for s in ordered if s.on < on]
    by_item = {i.item_id: i for i in items}
    line_of_item = {item_id: line for line in lines for item_id in line.items}

    def cleared_on(line: LineFacts) -> date | None:
        """The day both sides of the line are known: its statement's and its explanation's."""
        if line.items:
            return max([line.on, *(by_item[i].recorded_on for i in line.items if i in by_item)])
        return max(line.on, line.resolved_on) if line.resolved_on else None

    in_scope = [
        i
        for i in items
        if i.recorded_on >= first.on or (i.item_id in line_of_item and line_of_item[i.item_id].on >= first.on)
    ]
    ledger = first.opening_minor
    ledger -= sum(i.amount_minor for i in in_scope if i.recorded_on <= on)
    # a line resolved on its own (returned, written off, applied) is recognised once both its
    # statement and its resolution are known; one matched to items is the items themselves
    ledger += sum(
        line.signed_minor for line in lines if line.resolved_on and max(line.on, line.resolved_on) <= on
    )

    bank_only: list[dict[str, Any]] = []
    bank_only_minor = 0
    for line in sorted(lines, key=lambda x: (x.on, x.line_id)):
        if not first.on <= line.on <= on:
            continue
        cleared = cleared_on(line)
        if cleared is not None and cleared <= on:
            continue
        bank_only_minor += line.signed_minor
        bank_only.append(
            {
                "line_id": line.line_id,
                "date": line.on.isoformat(),
                "amount_minor": line.amount_minor,
                "direction": line.direction.value,
                "state": line.state,
                "cleared_on": cleared.isoformat() if cleared else None,
                "explained_by": list(line.items) or ([line.resolution] if line.resolution else []),
            }
        )
    ledger_only: list[dict[str, Any]] = []
    ledger_only_minor = 0
    for item in sorted(in_scope, key=lambda x: (x.recorded_on, x.item_id)):
        if item.recorded_on > on:
            continue
        paired = line_of_item.get(item.item_id)
        cleared = cleared_on(paired) if paired is not None else None
        if cleared is not None and cleared <= on:
            continue
        ledger_only.append(
            {
                "item_id": item.item_id,
                "kind": item.kind,
                "recorded_on": item.recorded_on.isoformat(),
                "amount_minor": item.amount_minor,
                "cleared_on": cleared.isoformat() if cleared else None,
                "line_id": paired.line_id if paired is not None else None,
            }
        )
        ledger_only_minor -= item.amount_minor
    adjusted_bank = today.closing_minor + ledger_only_minor
    adjusted_ledger = ledger + bank_only_minor
    previous = earlier[-1] if earlier else None
    return {
        "date": on.isoformat(),
        "statement_id": today.statement_id,
        "format": today.format,
        "bank_opening_minor": today.opening_minor,
        "bank_closing_minor": today.closing_minor,
        "ledger_balance_minor": ledger,
        "on_bank_not_in_ledger": bank_only,  # 长款 as of the day
        "in_ledger_not_on_bank": ledger_only,  # 短款 as of the day
        "adjusted_bank_minor": adjusted_bank,
        "adjusted_ledger_minor": adjusted_ledger,
        "balanced": adjusted_bank == adjusted_ledger,
        "gap_before_minor": today.opening_minor - previous.closing_minor if previous else 0,
        "open_surplus": sum(1 for x in bank_only if x["cleared_on"] is None),
        "open_shortage": sum(1 for x in ledger_only if x["cleared_on"] is None),
    }
