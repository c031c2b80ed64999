"""Bank statement readers behind one call: camt.053 XML, SWIFT MT940, a bank's CSV export, or the
same export as an Excel workbook (XLSX, XLS), each producing the same `Statement`s, each checked
to add up before anything uses it. A file holds one account's day, except an MT940 file, which may
hold several days (a `:20:` block each): they come back in the file's order, each day's opening
the day before's closing, so that no day of the file can vanish unseen."""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise

from services.settlement.reconciliation.adapters.statements import camt053, swift, tabular, workbook
from services.settlement.reconciliation.domain.statement import (
    MalformedStatement,
    Statement,
    StatementUnbalanced,
)


class StatementFormat(StrEnum):
    CAMT053 = "camt053"
    MT940 = "mt940"
    CSV = "csv"
    XLSX = "xlsx"
    XLS = "xls"


def read(
    content: bytes, *, format: StatementFormat | None = None, layout: str | None = None
) -> list[Statement]:
    """Read and check a file's statements; the format is recognised from the content unless given."""
    if layout is not None and layout not in tabular.LAYOUTS:
        raise MalformedStatement(
            f"unknown CSV layout {layout!r}", details={"layouts": sorted(tabular.LAYOUTS)}
        )
    sheet = workbook.kind_of(content)
    if format in (StatementFormat.XLSX, StatementFormat.XLS) or (format is None and sheet is not None):
        statements = [tabular.read_rows(workbook.rows(content), layout=layout, source=sheet or str(format))]
    else:
        text = tabular.decode(content)
        chosen = format or (
            StatementFormat.CAMT053
            if camt053.looks_like(text)
            else StatementFormat.MT940
            if swift.looks_like(text)
            else StatementFormat.CSV
        )
        if chosen is StatementFormat.CAMT053:
            statements = [camt053.read(text)]
        elif chosen is StatementFormat.MT940:
            statements = swift.read(text)
        else:
            statements = [tabular.read(text, layout=layout)]
    for statement in statements:
        statement.check_balanced()
    _check_days(statements)
    return statements


def _check_days(statements: list[Statement]) -> None:
    """The days of one file follow each other, each of one account, each opening at the closing
    of the day before it."""
    for before, after in pairwise(statements):
        if after.account != before.account:
            raise MalformedStatement(
                f"the file holds statements of accounts {before.account} and {after.account};"
                " a file is one account's"
            )
        if after.statement_date <= before.statement_date:
            raise MalformedStatement(
                f"the file's statement of {after.statement_date} follows that of {before.statement_date}",
                details={"date": after.statement_date.isoformat()},
            )
        if after.opening_minor != before.closing_minor:
            raise StatementUnbalanced(
                f"the statement of {after.statement_date} opens at {after.opening_minor} fen, the one before"
                f" it closed at {before.closing_minor}: a day is missing or altered",
                details={
                    "date": after.statement_date.isoformat(),
                    "opening_minor": after.opening_minor,
                    "previous_closing_minor": before.closing_minor,
                },
            )
