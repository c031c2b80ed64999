"""Statements that online banking exports as spreadsheets (Excel: XLSX, or the older XLS), read
into the rows of text a CSV export would have, for `tabular` to read through the same layouts.

A spreadsheet's numbers are binary floats: each becomes the shortest text that reads back as the
same float (278.32, 100), so an amount of more than two decimals (278.3199) is refused by the
reader as it would be in a CSV export. Dates become ISO days. The first sheet is read; a formula
is read as the value the bank's file stored with it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import xlrd
from xlrd.biffh import XLRDError

from services.settlement.reconciliation.domain.statement import MalformedStatement

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file, as BIFF8 .xls files are
MAX_ROWS = 120_000


def kind_of(content: bytes) -> str | None:
    """ "xlsx" or "xls" when the bytes are a spreadsheet, else None."""
    if content.startswith(XLSX_MAGIC):
        return "xlsx"
    if content.startswith(XLS_MAGIC):
        return "xls"
    return None


def rows(content: bytes) -> Iterator[list[str]]:
    """The first sheet's rows as text cells."""
    kind = kind_of(content)
    if kind == "xlsx":
        yield from _xlsx(content)
    elif kind == "xls":
        yield from _xls(content)
    else:
        raise MalformedStatement("the file is not an Excel workbook")


def _xlsx(content: bytes) -> Iterator[list[str]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise MalformedStatement(f"the XLSX workbook cannot be read: {exc}") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise MalformedStatement("the workbook has no sheet")
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if n > MAX_ROWS:
                raise MalformedStatement(f"a statement sheet holds at most {MAX_ROWS} rows")
            yield [_text(value, n) for value in row]
    finally:
        book.close()


def _xls(content: bytes) -> Iterator[list[str]]:
    try:
        book = xlrd.open_workbook(file_contents=content, on_demand=True)
        sheet = book.sheet_by_index(0)
    except (XLRDError, IndexError, ValueError, AssertionError) as exc:
        raise MalformedStatement(f"the XLS workbook cannot be read: {exc}") from exc
    if sheet.nrows > MAX_ROWS:
        raise MalformedStatement(f"a statement sheet holds at most {MAX_ROWS} rows")
    for n in range(sheet.nrows):
        cells = []
        for cell in sheet.row(n):
            value: object = cell.value
            if cell.ctype == xlrd.XL_CELL_DATE:
                value = xlrd.xldate.xldate_as_datetime(float(cell.value), book.datemode)
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                value = None
            cells.append(_text(value, n + 1))
        yield cells


def _text(value: object, row: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MalformedStatement(f"row {row} holds a number that is not one", details={"line": row})
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))  # 100 fen-less yuan, or an account number kept as a number
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def write(csv_rows: list[list[str]], amount_columns: set[str]) -> bytes:
    """An XLSX workbook of an export's rows (the bank simulator's Excel statement): the cells under
    a header named in `amount_columns` are numbers, as online banking writes them; the rest text."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    numeric: set[int] = set()
    for row in csv_rows:
        if any(cell in amount_columns for cell in row):
            numeric = {i for i, cell in enumerate(row) if cell in amount_columns}
            sheet.append(row)
            continue
        sheet.append([float(Decimal(c)) if i in numeric and c else c for i, c in enumerate(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
