"""Matching rules, strongest first: end-to-end id (1:1 and a batch listing ids), the bank's
reference or an id in the text, a payout run for a batch booking, and amount-and-date within the
window — which only suggests."""

from __future__ import annotations

from datetime import date, timedelta

from services.settlement.reconciliation.domain.matching import BankItem, MatchRule, OpenLine, match
from services.settlement.reconciliation.domain.statement import Batch, Direction, StatementLine

DAY = date(2026, 12, 2)


def payout(n: int, amount: int = 27_832, *, run: str = "R1", on: date = DAY) -> BankItem:
    return BankItem(f"{run}:SUP-00{n}", "payout", amount, on, f"USP{n:024d}", f"BK{n}", run)


def line(line_id: str, amount: int, **fields: object) -> OpenLine:
    return OpenLine(line_id, StatementLine(1, DAY, amount, Direction.DEBIT, **fields))  # type: ignore[arg-type]


def found(lines: list[OpenLine], items: list[BankItem]) -> list[tuple[str, list[str], str, bool]]:
    return [
        (m.line_id, [i.item_id for i in m.items], m.rule.value, m.confirmed)
        for m in match(lines, items, window_days=3)
    ]


def test_end_to_end_id_wins_over_a_reference_naming_another_payout() -> None:
    items = [payout(1), payout(2)]
    lines = [line("L1", 27_832, end_to_end_id=items[1].end_to_end_id, bank_reference="BK1")]
    assert found(lines, items) == [("L1", ["R1:SUP-002"], "end_to_end_id", True)]


def test_a_batch_listing_ids_matches_every_payout_in_it_only_when_they_add_up() -> None:
    items = [payout(1), payout(2), payout(3, 5_000)]
    ids = (items[0].end_to_end_id, items[1].end_to_end_id)
    assert found([line("B", 55_664, batch=Batch(2, 55_664, ids))], items) == [
        ("B", ["R1:SUP-001", "R1:SUP-002"], "end_to_end_id", True)
    ]
    assert found([line("B", 55_665, batch=Batch(2, 55_665, ids))], items) == []  # off by one fen


def test_a_reference_or_an_id_in_the_text_confirms_and_a_run_matches_a_batch_without_ids() -> None:
    items = [payout(1), payout(2, run="R2"), payout(3, run="R2")]
    lines = [
        line("L1", 27_832, bank_reference="BK1"),
        line("B", 55_664, remittance="UniSettle payout run R2", batch=Batch(2)),
    ]
    assert found(lines, items) == [
        ("L1", ["R1:SUP-001"], "reference", True),
        ("B", ["R2:SUP-002", "R2:SUP-003"], "batch_reference", True),
    ]
    assert found([line("B", 55_664, remittance="run R2", batch=Batch(3))], items) == []  # count differs


def test_amount_and_date_only_suggests_and_only_within_the_window() -> None:
    near, far = payout(1, on=DAY - timedelta(days=3)), payout(2, 27_832, on=DAY - timedelta(days=4))
    assert found([line("L1", 27_832)], [near, far]) == [("L1", ["R1:SUP-001"], MatchRule.AMOUNT_DATE, False)]
    assert found([line("L1", 27_832)], [far]) == []


def test_a_strong_rule_for_one_line_is_not_taken_by_a_weak_rule_for_another() -> None:
    items = [payout(1)]
    lines = [line("weak", 27_832), line("strong", 27_832, end_to_end_id=items[0].end_to_end_id)]
    assert found(lines, items) == [("strong", ["R1:SUP-001"], "end_to_end_id", True)]


def test_money_in_never_matches_a_payout() -> None:
    item = payout(1)
    credit = OpenLine("C", StatementLine(1, DAY, 27_832, Direction.CREDIT, end_to_end_id=item.end_to_end_id))
    assert found([credit], [item]) == []
