"""SWIFT MT940 customer statements, read with the `mt-940` library and written by the simulator.

`:60F:`/`:62F:` are the booked opening and closing balances, each `:61:` a line (value date,
booking date, D/C mark, amount with a decimal comma, the bank's reference after `//`), and the
`:86:` after it the details, where the structured codes banks use carry what the payer sent:
`/EREF/` the end-to-end id, `/REMI/` the remittance text, `/CNTP/account/bic/name/` the
counterparty, `/PREF/` a batch's payment reference and `/NBTX/` how many payments it books."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import mt940

from services.settlement.reconciliation.domain.statement import (
    Batch,
    CurrencyMismatch,
    Direction,
    MalformedStatement,
    Statement,
    StatementLine,
    decimal_text,
    limit_lines,
)

_CODE = re.compile(r"/(EREF|REMI|CNTP|PREF|NBTX)/")
_X_CHARSET = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")  # what SWIFT's X character set can carry
# What SWIFT allows of a `:61:` up to its transaction type, and of a balance: a date, a mark, and
# an amount of digits with a decimal comma (`1.234,56` and `250` are no MT940 amounts).
_LINE = re.compile(r"^:61:\d{6}(\d{4})?R?[DC][A-Z]?\d{1,12},\d{0,2}[NSF][A-Z0-9]{3}", re.ASCII)
_BALANCE = re.compile(r"^:6[02][FM]:[DC]\d{6}[A-Z]{3}\d{1,12},\d{0,2}\s*$", re.ASCII)
# The transaction types (`:61:` subfield 6) that say what a line is, when it is not a payment.
KINDS = {"NCHG": "fee", "NCOM": "fee", "NINT": "interest"}
_PARSER_OPTIONS = mt940.Options.all()  # RC signed as the debit it is, lowercase marks, details kept whole
_PROCESSORS = {"post_transaction_details": [mt940.processors.transaction_details_post_processor]}


def looks_like(text: str) -> bool:
    head = text.lstrip()[:200]
    return head.startswith((":20:", "{1:")) or "\n:20:" in head


def read(text: str) -> list[Statement]:
    """Each statement of the file (a `:20:` block each, one account's day), in the file's order."""
    _check_fields(text)
    try:
        blocks = mt940.parse_statements(text, processors=_PROCESSORS, options=_PARSER_OPTIONS)
    except (ValueError, KeyError, RuntimeError, TypeError, AttributeError, InvalidOperation) as exc:
        raise MalformedStatement(f"the MT940 statement is not readable: {exc}") from exc
    if not blocks:
        raise MalformedStatement("the file holds no MT940 statement (:20:)")
    first = 0
    statements = []
    for transactions in blocks:
        statements.append(_statement(transactions, first))
        first += len(transactions.transactions)
    return statements


def _check_fields(text: str) -> None:
    """Every `:61:` and booked balance is as SWIFT writes it; the n-th `:61:` is line n."""
    n = 0
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(":61:"):
            n += 1
            if not _LINE.match(line):
                raise MalformedStatement(
                    f"statement line {n} (:61:) is not as SWIFT writes one: {line[:60]!r} (an amount is"
                    " digits with a decimal comma, e.g. 1234,56)",
                    details={"line": n},
                )
        elif line.startswith((":60F:", ":62F:", ":60M:", ":62M:")) and not _BALANCE.match(line):
            raise MalformedStatement(f"the balance {line[:40]!r} is not as SWIFT writes one")


def _statement(transactions: mt940.models.Transactions, first: int) -> Statement:
    data = transactions.data
    opening = data.get("final_opening_balance") or data.get("opening_balance")
    closing = data.get("final_closing_balance") or data.get("closing_balance")
    account = str(data.get("account_identification") or "").replace(" ", "")
    if not account:
        raise MalformedStatement("the statement has no :25: account")
    if opening is None or closing is None:
        raise MalformedStatement("the statement needs its :60F: opening and :62F: closing balances")
    currency = str(closing.amount.currency or "CNY")
    lines = []
    for n, transaction in enumerate(transactions, start=first + 1):
        limit_lines(n)
        try:
            lines.append(_line(n, transaction.data, currency))
        except (ValueError, KeyError, AttributeError, InvalidOperation) as exc:
            raise MalformedStatement(f"statement line {n} (:61:): {exc}", details={"line": n}) from exc
    try:
        return Statement(
            account=account,
            statement_date=_day(closing.date),
            opening_minor=_fen(opening.amount.amount),
            closing_minor=_fen(closing.amount.amount),
            lines=tuple(lines),
            currency=currency,
            format="mt940",
        )
    except (ValueError, InvalidOperation) as exc:
        raise MalformedStatement(f"the statement's balances: {exc}") from exc


def _line(n: int, data: dict[str, Any], currency: str) -> StatementLine:
    amount = _fen(data["amount"].amount)
    if amount == 0:
        raise ValueError("a zero amount moves nothing")
    if str(data["amount"].currency or currency) != currency:
        raise CurrencyMismatch(
            f"statement line {n} is in {data['amount'].currency} on a {currency} account", details={"line": n}
        )
    details = _details(data)
    counterparty = details.get("CNTP", "").split("/")
    count = details.get("NBTX", "")
    value_day = _day(data["date"])
    booked = data.get("entry_date") or data["date"]
    customer = str(data.get("customer_reference") or "")
    return StatementLine(
        line_no=n,
        booking_date=_day(booked),
        amount_minor=abs(amount),
        direction=Direction.CREDIT if amount > 0 else Direction.DEBIT,
        value_date=value_day,
        bank_reference=str(data.get("bank_reference") or ""),
        end_to_end_id=details.get("EREF", "") or ("" if customer in ("", "NONREF") else customer),
        # a batch's payment reference and the remittance text both say what the line pays
        remittance=" ".join(v for v in (details.get("PREF", ""), details.get("REMI", "")) if v),
        counterparty_account=counterparty[0] if counterparty else "",
        counterparty_name=counterparty[2] if len(counterparty) > 2 else "",
        batch=Batch(int(count), abs(amount)) if count.isdigit() and int(count) > 1 else None,
        reversal=str(data.get("status") or "").upper().startswith("R"),
        kind=KINDS.get(str(data.get("id") or "").upper(), ""),
    )


def _details(data: dict[str, Any]) -> dict[str, str]:
    """The `:86:` codes: `/EREF/…/REMI/…` as written by most banks, or the `?20`-style subfields
    (German and SEPA MT940: `?20` to `?29` the purpose with `EREF+`, `SVWZ+`; `?31` the counterparty's
    account, `?32` and `?33` its name), which the parser has read into fields of their own."""
    if "transaction_details" in data:
        return _codes(str(data.get("transaction_details") or ""))
    structured = {
        "EREF": data.get("end_to_end_reference"),
        "REMI": data.get("purpose"),
        "CNTP": "/".join(
            [
                str(data.get("applicant_iban") or ""),
                str(data.get("applicant_bin") or ""),
                str(data.get("applicant_name") or ""),
            ]
        ),
    }
    return {code: str(value).strip() for code, value in structured.items() if value and str(value).strip("/")}


def _codes(details: str) -> dict[str, str]:
    """`/EREF/X/PREF/R-1/REMI/some text` → {"EREF": "X", "PREF": "R-1", "REMI": "some text"};
    unstructured text is REMI."""
    flat = details.replace("\r", "").replace("\n", "")
    parts = _CODE.split(flat)
    if len(parts) == 1:
        return {"REMI": flat.strip()} if flat.strip() else {}
    found = {code: value.strip().rstrip("/") for code, value in zip(parts[1::2], parts[2::2], strict=True)}
    return found


def _fen(amount: Decimal) -> int:
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} has more than two decimals")
    return int(fen)


def _day(value: Any) -> date:
    return date(value.year, value.month, value.day)


def write(statement: Statement, *, reference: str, sequence: int) -> str:
    """The statement as MT940 text (SWIFT's X character set: what it cannot carry is dropped)."""

    def balance(tag: str, minor: int, on: date) -> str:
        mark = "C" if minor >= 0 else "D"
        return f":{tag}:{mark}{on:%y%m%d}{statement.currency}{_swift_amount(abs(minor))}"

    opening_day = statement.lines[0].booking_date if statement.lines else statement.statement_date
    out = [
        f":20:{reference[:16]}",
        f":25:{statement.account}",
        f":28C:{sequence}/1",
        balance("60F", statement.opening_minor, opening_day),
    ]
    for line in statement.lines:
        mark = "C" if line.direction is Direction.CREDIT else "D"
        value = line.value_date or line.booking_date
        out.append(
            f":61:{value:%y%m%d}{line.booking_date:%m%d}{mark}{_swift_amount(line.amount_minor)}"
            f"NTRFNONREF//{line.bank_reference[:16]}"
        )
        codes = []
        if line.end_to_end_id:
            codes.append(f"/EREF/{line.end_to_end_id}")
        if line.batch is not None:
            codes.append(f"/NBTX/{line.batch.count}")
        if line.remittance:
            codes.append(f"/REMI/{_X_CHARSET.sub('', line.remittance.replace('/', ' '))}")
        if line.counterparty_account:
            codes.append(f"/CNTP/{line.counterparty_account}///")
        details = "".join(codes)
        chunks = [details[i : i + 65] for i in range(0, len(details), 65)][:6]
        if chunks:
            out.append(":86:" + "\n".join(chunks))
    out.append(balance("62F", statement.closing_minor, statement.statement_date))
    return "\n".join(out) + "\n"


def _swift_amount(minor: int) -> str:
    return decimal_text(minor).replace(".", ",")
