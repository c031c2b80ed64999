"""The day's 余额调节表 with hand-computed figures: bank closing + what the bank has not booked yet
= ledger balance + what the ledger has not explained yet; items cleared later stay in transit on
their day, marked with the day they cleared."""

from __future__ import annotations

from datetime import date, timedelta

from services.settlement.reconciliation.domain.bank_reconciliation import (
    DayStatement,
    ItemFacts,
    LineFacts,
    day_report,
)
from services.settlement.reconciliation.domain.statement import Direction

D1, D2, D3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)
OPEN = 1_000_000


def statement(on: date, opening: int, closing: int) -> DayStatement:
    return DayStatement(f"S{on:%d}", on, opening, closing, "camt.053")


def test_a_payout_booked_a_day_late_is_in_transit_on_its_day_and_cleared_the_next() -> None:
    items = [ItemFacts("P1", "payout", 30_000, D1), ItemFacts("P2", "payout", 20_000, D1)]
    lines = [
        LineFacts("L1", D1, 30_000, Direction.DEBIT, "matched", ("P1",)),
        LineFacts("L2", D2, 20_000, Direction.DEBIT, "matched", ("P2",)),
    ]
    statements = [statement(D1, OPEN, OPEN - 30_000), statement(D2, OPEN - 30_000, OPEN - 50_000)]
    first = day_report(D1, statements, lines, items)
    assert (first["bank_closing_minor"], first["ledger_balance_minor"]) == (970_000, 950_000)
    assert [(i["item_id"], i["cleared_on"]) for i in first["in_ledger_not_on_bank"]] == [("P2", "2026-12-02")]
    assert (first["adjusted_bank_minor"], first["adjusted_ledger_minor"], first["balanced"]) == (
        950_000,
        950_000,
        True,
    )
    assert first["open_shortage"] == 0  # explained since
    second = day_report(D2, statements, lines, items)
    assert second["in_ledger_not_on_bank"] == [] and second["ledger_balance_minor"] == 950_000


def test_money_in_waits_as_surplus_until_resolved_and_counts_from_its_own_statement_day() -> None:
    statements = [statement(D1, OPEN, OPEN), statement(D3, OPEN, OPEN + 1_234)]
    waiting = LineFacts("L1", D3, 1_234, Direction.CREDIT, "open")
    open_report = day_report(D3, statements, [waiting], [])
    assert open_report["open_surplus"] == 1 and open_report["balanced"]
    assert (open_report["ledger_balance_minor"], open_report["adjusted_ledger_minor"]) == (OPEN, OPEN + 1_234)
    # written off on D1 (before its statement's day, as a clock may say): counted from D3, not D1
    written = LineFacts(
        "L1", D3, 1_234, Direction.CREDIT, "written_off", resolved_on=D1, resolution="write_off"
    )
    assert day_report(D1, statements, [written], [])["ledger_balance_minor"] == OPEN
    settled = day_report(D3, statements, [written], [])
    assert settled["ledger_balance_minor"] == OPEN + 1_234 and settled["on_bank_not_in_ledger"] == []
    assert settled["balanced"] and settled["open_surplus"] == 0


def test_a_gap_between_statements_is_reported() -> None:
    statements = [statement(D1, OPEN, OPEN), statement(D1 + timedelta(days=1), OPEN + 5, OPEN + 5)]
    assert day_report(D1 + timedelta(days=1), statements, [], [])["gap_before_minor"] == 5
