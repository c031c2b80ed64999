"""Bank statement readers behind one call: camt.053 XML, SWIFT MT940, or a bank's CSV export,
each producing the same `Statement`, checked to add up before anything uses it."""

from __future__ import annotations

from enum import StrEnum

from services.settlement.adapters.statements import camt053, swift, tabular
from services.settlement.domain.statement import MalformedStatement, Statement


class StatementFormat(StrEnum):
    CAMT053 = "camt053"
    MT940 = "mt940"
    CSV = "csv"


def read(content: bytes, *, format: StatementFormat | None = None, layout: str | None = None) -> Statement:
    """Read and check a statement; the format is recognised from the content unless given."""
    text = tabular.decode(content)
    if layout is not None and layout not in tabular.LAYOUTS:
        raise MalformedStatement(
            f"unknown CSV layout {layout!r}", details={"layouts": sorted(tabular.LAYOUTS)}
        )
    chosen = format or (
        StatementFormat.CAMT053
        if camt053.looks_like(text)
        else StatementFormat.MT940
        if swift.looks_like(text)
        else StatementFormat.CSV
    )
    if chosen is StatementFormat.CAMT053:
        statement = camt053.read(text)
    elif chosen is StatementFormat.MT940:
        statement = swift.read(text)
    else:
        statement = tabular.read(text, layout=layout)
    statement.check_balanced()
    return statement
