"""Matching statement lines to what the ledger sent through the bank, by rule, strongest first.

1. End-to-end id: each payout carries one to the bank, which hands it back unchanged (a batch
   booking may list the ids of the payments inside it).
2. Reference: the bank's own reference for the payment, the payout's id in the text, or for a
   batch booking its payout run's id.
3. Amount and date: the same amount (a batch: a run's payouts adding up to it, as many as the
   bank says) within the configured number of days — only a suggestion, for an operator.

Rules 1 and 2 confirm a match; rule 3 suggests one. Every rule is tried for every line before a
weaker rule is tried for any line, so a weak match never takes what a strong one would have."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.settlement.reconciliation.domain.statement import Direction, StatementLine


class MatchRule(StrEnum):
    END_TO_END_ID = "end_to_end_id"
    REFERENCE = "reference"
    BATCH_REFERENCE = "batch_reference"
    AMOUNT_DATE = "amount_date"
    BATCH_AMOUNT = "batch_amount"
    OPERATOR = "operator"


@dataclass(frozen=True)
class BankItem:
    """A payment the ledger sent out through the bank (a payout or a return of a 长款)."""

    item_id: str
    kind: str
    amount_minor: int
    recorded_on: date
    end_to_end_id: str
    bank_reference: str | None = None
    batch_id: str | None = None
    direction: Direction = Direction.DEBIT


@dataclass(frozen=True)
class Match:
    line_id: str
    items: tuple[BankItem, ...]
    rule: MatchRule
    confirmed: bool
    explanation: str


@dataclass(frozen=True)
class OpenLine:
    line_id: str
    line: StatementLine


def match(lines: Sequence[OpenLine], items: Iterable[BankItem], *, window_days: int) -> list[Match]:
    """Matches for the lines among the items; each item is taken at most once."""
    available = {item.item_id: item for item in items}
    left = list(lines)
    found: list[Match] = []
    for rule in (_by_end_to_end_id, _by_reference, _by_amount_and_date):
        still = []
        for open_line in left:
            made = rule(open_line, available, window_days)
            if made is None:
                still.append(open_line)
                continue
            found.append(made)
            for item in made.items:
                del available[item.item_id]
        left = still
    return found


def _by_end_to_end_id(open_line: OpenLine, available: dict[str, BankItem], _: int) -> Match | None:
    line = open_line.line
    by_id = {item.end_to_end_id: item for item in available.values() if item.end_to_end_id}
    if line.batch is not None and line.batch.end_to_end_ids:
        inside = [by_id.get(e) for e in line.batch.end_to_end_ids]
        if all(inside) and _adds_up(line, [i for i in inside if i]):
            items = tuple(i for i in inside if i)
            return Match(
                open_line.line_id,
                items,
                MatchRule.END_TO_END_ID,
                True,
                f"a batch of {len(items)} payments whose end-to-end ids are those of {_names(items)}",
            )
        return None
    item = by_id.get(line.end_to_end_id) if line.end_to_end_id else None
    if item is not None and _adds_up(line, [item]):
        return Match(
            open_line.line_id,
            (item,),
            MatchRule.END_TO_END_ID,
            True,
            f"end-to-end id {line.end_to_end_id} is {item.kind} {item.item_id}'s, amount equal",
        )
    return None


def _by_reference(open_line: OpenLine, available: dict[str, BankItem], _: int) -> Match | None:
    line = open_line.line
    if line.bank_reference:
        item = next(
            (
                i
                for i in available.values()
                if i.bank_reference == line.bank_reference and _adds_up(line, [i])
            ),
            None,
        )
        if item is not None:
            return Match(
                open_line.line_id,
                (item,),
                MatchRule.REFERENCE,
                True,
                f"the bank's reference {line.bank_reference} is {item.kind} {item.item_id}'s, amount equal",
            )
    words = _words(f"{line.bank_reference} {line.remittance}")
    for word in sorted(words):
        item = available.get(word)
        if item is not None and _adds_up(line, [item]):
            return Match(
                open_line.line_id,
                (item,),
                MatchRule.REFERENCE,
                True,
                f"the line names {item.kind} {item.item_id}, amount equal",
            )
    for batch_id, items in sorted(_batches(available.values()).items()):
        if batch_id in words and _adds_up(line, items) and _count_fits(line, items):
            return Match(
                open_line.line_id,
                tuple(items),
                MatchRule.BATCH_REFERENCE,
                True,
                f"the line names payout run {batch_id}; its {len(items)} payouts add up to the line",
            )
    return None


def _by_amount_and_date(open_line: OpenLine, available: dict[str, BankItem], window: int) -> Match | None:
    line = open_line.line
    on = line.value_date or line.booking_date

    def near(item: BankItem) -> bool:
        return abs((item.recorded_on - on).days) <= window

    if line.batch is None:
        candidates = sorted(
            (i for i in available.values() if near(i) and _adds_up(line, [i])),
            key=lambda i: (abs((i.recorded_on - on).days), i.item_id),
        )
        if not candidates:
            return None
        item = candidates[0]
        others = f" ({len(candidates) - 1} other candidates)" if len(candidates) > 1 else ""
        return Match(
            open_line.line_id,
            (item,),
            MatchRule.AMOUNT_DATE,
            False,
            f"same amount as {item.kind} {item.item_id}, recorded {item.recorded_on}, within {window}"
            f" days of the line{others}",
        )
    for batch_id, items in sorted(_batches(available.values()).items()):
        if all(near(i) for i in items) and _adds_up(line, items) and _count_fits(line, items):
            return Match(
                open_line.line_id,
                tuple(items),
                MatchRule.BATCH_AMOUNT,
                False,
                f"payout run {batch_id}'s {len(items)} payouts add up to the batch line, within"
                f" {window} days",
            )
    return None


def _adds_up(line: StatementLine, items: Sequence[BankItem]) -> bool:
    return (
        all(i.direction is line.direction for i in items)
        and sum(i.amount_minor for i in items) == line.amount_minor
    )


def _count_fits(line: StatementLine, items: Sequence[BankItem]) -> bool:
    return line.batch is None or line.batch.count == len(items)


def _batches(items: Iterable[BankItem]) -> dict[str, list[BankItem]]:
    grouped: dict[str, list[BankItem]] = defaultdict(list)
    for item in items:
        if item.batch_id:
            grouped[item.batch_id].append(item)
    return {k: sorted(v, key=lambda i: i.item_id) for k, v in grouped.items()}


_WORD = re.compile(r"[\w:.-]+")


def _words(text: str) -> set[str]:
    """The whole words of a text, ids included (`R1:SUP-002` is a word; `R1:SUP-0021` another)."""
    return {w.rstrip(".:") for w in _WORD.findall(text)}


def _names(items: Sequence[BankItem]) -> str:
    return ", ".join(i.item_id for i in items)
