"""Bank statement lines: parsed strictly (amounts in yuan with at most two decimals become fen,
never floats), and matched against the ledger by reference and amount."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from plumbing.errors import RuleViolation

_AMOUNT = re.compile(r"^(\d{1,15})(?:\.(\d{1,2}))?$")
MAX_LINES = 100_000


class Direction(StrEnum):
    CREDIT = "credit"  # money into the escrow bank account
    DEBIT = "debit"  # money out of it


@dataclass(frozen=True)
class StatementLine:
    line_no: int
    on: date
    amount_minor: int
    direction: Direction
    reference: str


class MalformedStatement(RuleViolation):
    code = "malformed_statement"


def to_fen(text: str) -> int:
    match = _AMOUNT.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an amount like 1234.56")
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def parse(content: str) -> list[StatementLine]:
    """All lines or none: the first bad line refuses the whole statement, naming it."""
    try:
        return _parse(content)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit, a NUL byte
        raise MalformedStatement(f"the statement is not readable CSV: {exc}") from exc


def _parse(content: str) -> list[StatementLine]:
    reader = csv.DictReader(io.StringIO(content))
    if reader.fieldnames is None or [f.strip().lower() for f in reader.fieldnames] != [
        "date",
        "amount",
        "direction",
        "reference",
    ]:
        raise MalformedStatement("the header must be: date,amount,direction,reference")
    lines = []
    for n, row in enumerate(reader, start=2):
        if n > MAX_LINES:
            raise MalformedStatement(f"a statement holds at most {MAX_LINES} lines")
        try:
            values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
            if None in row:
                raise ValueError("too many fields")
            amount = to_fen(values["amount"])
            if amount == 0:
                raise ValueError("a zero amount moves nothing")
            if not values["reference"]:
                raise ValueError("the reference is empty")
            lines.append(
                StatementLine(
                    n,
                    date.fromisoformat(values["date"]),
                    amount,
                    Direction(values["direction"].lower()),
                    values["reference"],
                )
            )
        except (ValueError, KeyError) as exc:
            raise MalformedStatement(f"line {n}: {exc}", details={"line": n}) from exc
    return lines
