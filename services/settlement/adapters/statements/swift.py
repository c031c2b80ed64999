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

from services.settlement.domain.statement import (
    Batch,
    Direction,
    MalformedStatement,
    Statement,
    StatementLine,
    decimal_text,
    limit_lines,
)

_CODE = re.compile(r"/(EREF|REMI|CNTP|PREF|NBTX)/")
_X_CHARSET = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")  # what SWIFT's X character set can carry


def looks_like(text: str) -> bool:
    head = text.lstrip()[:200]
    return head.startswith((":20:", "{1:")) or "\n:20:" in head


def read(text: str) -> Statement:
    transactions = mt940.models.Transactions()
    try:
        transactions.parse(text)
    except (ValueError, KeyError, RuntimeError, TypeError, AttributeError, InvalidOperation) as exc:
        raise MalformedStatement(f"the MT940 statement is not readable: {exc}") from exc
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
    for n, transaction in enumerate(transactions, start=1):
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
        raise ValueError(f"an amount in {data['amount'].currency} on a {currency} account")
    details = _codes(str(data.get("transaction_details") or ""))
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
        remittance=details.get("REMI", "") or details.get("PREF", ""),
        counterparty_account=counterparty[0] if counterparty else "",
        counterparty_name=counterparty[2] if len(counterparty) > 2 else "",
        batch=Batch(int(count), abs(amount)) if count.isdigit() and int(count) > 1 else None,
    )


def _codes(details: str) -> dict[str, str]:
    """`/EREF/X/REMI/some text` → {"EREF": "X", "REMI": "some text"}; unstructured text is REMI."""
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
