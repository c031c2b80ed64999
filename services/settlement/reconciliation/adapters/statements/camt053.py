"""ISO 20022 camt.053 (BankToCustomerStatement), read safely and written by the bank simulator.

The XML is parsed with defusedxml: no DTD, no entity expansion, nothing fetched from outside.
Elements are found by local name so any camt.053 version reads (001.02 to 001.08 differ in
details such as `Sts` vs `Sts/Cd` and `Cdtr/Nm` vs `Cdtr/Pty/Nm`). Only booked entries count
(pending ones are not in the booked balances). A camt.052 intraday report is provisional and is
refused: reconciliation takes the end-of-day statement. The file's bytes are decoded before it is
parsed (UTF-8, else GB18030: Chinese banks declare `encoding="GBK"` or `"GB2312"`), so the XML
declaration's encoding is dropped rather than believed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from plumbing.xml_paths import find, find_all, local, text, texts
from services.settlement.reconciliation.domain.statement import (
    Batch,
    CurrencyMismatch,
    Direction,
    MalformedStatement,
    ProvisionalStatement,
    Statement,
    StatementLine,
    decimal_text,
    limit_lines,
    to_fen,
)

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
OPENING_CODES = ("OPBD", "PRCD")  # opening booked, or the previous day's closing
CLOSING_CODE = "CLBD"


def looks_like(text: str) -> bool:
    return text.lstrip().startswith("<")


_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Bank transaction codes (BkTxCd/Domn/Fmly/SubFmlyCd) that say a line is not a payment.
KINDS = {"CHRG": "fee", "COMM": "fee", "FEES": "fee", "INTR": "interest"}


def read(text: str) -> Statement:
    try:
        root = fromstring(_DECLARATION.sub("", text, count=1).encode())
    except DefusedXmlException as exc:
        raise MalformedStatement(f"the statement's XML is refused: {type(exc).__name__}") from exc
    except (ET.ParseError, ValueError) as exc:
        raise MalformedStatement(f"the statement is not well-formed XML: {exc}") from exc
    if local(root.tag) != "Document":
        raise MalformedStatement("a camt.053 statement is a <Document>")
    body = next(iter(root), None)
    if body is not None and local(body.tag) == "BkToCstmrAcctRpt":
        raise ProvisionalStatement(
            "a camt.052 account report is intraday and provisional; import the end-of-day camt.053"
        )
    if body is None or local(body.tag) != "BkToCstmrStmt":
        raise MalformedStatement("the document holds no BkToCstmrStmt (camt.053)")
    statements = find_all(body, "Stmt")
    if len(statements) != 1:
        raise MalformedStatement(f"a file holds one account's statement of one day, not {len(statements)}")
    stmt = statements[0]
    try:
        return _statement(stmt)
    except (ValueError, AttributeError) as exc:
        raise MalformedStatement(f"the statement: {exc}") from exc


def _statement(stmt: ET.Element) -> Statement:
    account = text(stmt, "Acct/Id/Othr/Id") or text(stmt, "Acct/Id/IBAN")
    if not account:
        raise ValueError("Acct/Id names no account")
    currency = text(stmt, "Acct/Ccy") or "CNY"
    balances: dict[str, tuple[int, date | None]] = {}
    for bal in find_all(stmt, "Bal"):
        code = text(bal, "Tp/CdOrPrtry/Cd")
        balances[code] = (_amount(bal, currency), _day(bal, "Dt"))
    opening = next((balances[c] for c in OPENING_CODES if c in balances), None)
    if opening is None or CLOSING_CODE not in balances:
        raise ValueError("a statement needs an opening (OPBD or PRCD) and a closing (CLBD) balance")
    closing, closing_day = balances[CLOSING_CODE]
    lines: list[StatementLine] = []
    for n, entry in enumerate(find_all(stmt, "Ntry"), start=1):
        status = text(entry, "Sts/Cd") or text(entry, "Sts")
        if status and status != "BOOK":
            continue  # pending or information only: not in the booked balances
        limit_lines(len(lines) + 1)
        try:
            lines.append(_entry(entry, n, currency))
        except CurrencyMismatch as exc:
            raise CurrencyMismatch(f"entry {n}: {exc.message}", details={"line": n}) from exc
        except (ValueError, AttributeError) as exc:
            raise MalformedStatement(f"entry {n}: {exc}", details={"line": n}) from exc
    to = text(stmt, "FrToDt/ToDtTm")
    on = closing_day or (datetime.fromisoformat(to).date() if to else None)
    on = on or (max(line.booking_date for line in lines) if lines else None)
    if on is None:
        raise ValueError("the statement names no day")
    return Statement(
        account=account.replace(" ", ""),
        statement_date=on,
        opening_minor=opening[0],
        closing_minor=closing,
        lines=tuple(lines),
        currency=currency,
        format="camt.053",
    )


def _entry(entry: ET.Element, n: int, currency: str) -> StatementLine:
    amount = _amount(entry, currency)
    if amount == 0:
        raise ValueError("a zero amount moves nothing")
    booked = _day(entry, "BookgDt")
    if booked is None:
        raise ValueError("BookgDt is missing")
    direction = Direction.CREDIT if amount > 0 else Direction.DEBIT
    details = find_all(entry, "NtryDtls/TxDtls")
    batch = None
    count_text = text(entry, "NtryDtls/Btch/NbOfTxs")
    ids = tuple(e for e in (_end_to_end(tx) for tx in details) if e)
    if count_text or len(details) > 1:
        count = int(count_text) if count_text else len(details)
        total_text = text(entry, "NtryDtls/Btch/TtlAmt")
        batch = Batch(
            count, to_fen(total_text) if total_text else abs(amount), ids if len(details) > 1 else ()
        )
    tx = details[0] if len(details) == 1 else None
    party = "Cdtr" if direction is Direction.DEBIT else "Dbtr"
    return StatementLine(
        line_no=n,
        booking_date=booked,
        amount_minor=abs(amount),
        direction=direction,
        value_date=_day(entry, "ValDt"),
        bank_reference=text(entry, "AcctSvcrRef") or text(entry, "NtryRef"),
        end_to_end_id=ids[0] if tx is not None and ids else "",
        remittance=" ".join(t for t in (texts(tx, "RmtInf/Ustrd") if tx is not None else []) if t)
        or text(entry, "AddtlNtryInf"),
        counterparty_account=(
            text(tx, f"RltdPties/{party}Acct/Id/Othr/Id") or text(tx, f"RltdPties/{party}Acct/Id/IBAN")
            if tx is not None
            else ""
        ),
        counterparty_name=(
            text(tx, f"RltdPties/{party}/Pty/Nm") or text(tx, f"RltdPties/{party}/Nm")
            if tx is not None
            else ""
        ),
        batch=batch,
        reversal=text(entry, "RvslInd").lower() in ("true", "1"),
        kind=KINDS.get(text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd").upper(), ""),
    )


def _end_to_end(tx: ET.Element) -> str:
    value = text(tx, "Refs/EndToEndId")
    return "" if value == "NOTPROVIDED" else value


def _amount(element: ET.Element, currency: str) -> int:
    amt = find(element, "Amt")
    if amt is None or not (amt.text or "").strip():
        raise ValueError("Amt is missing")
    if amt.get("Ccy", currency) != currency:
        raise CurrencyMismatch(f"an amount in {amt.get('Ccy')} on a {currency} account")
    fen = to_fen(amt.text or "")
    if fen < 0:
        raise ValueError("Amt is not signed; CdtDbtInd says the direction")
    indicator = text(element, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise ValueError(f"CdtDbtInd is {indicator!r}, not CRDT or DBIT")
    return fen if indicator == "CRDT" else -fen


def _day(element: ET.Element, path: str) -> date | None:
    """`path/Dt` (a day) or `path/DtTm` (a moment, of which the day)."""
    d = text(element, f"{path}/Dt")
    if d:
        return date.fromisoformat(d)
    dt = text(element, f"{path}/DtTm")
    return datetime.fromisoformat(dt).date() if dt else None


def write(statement: Statement, *, message_id: str, created: datetime) -> str:
    """The statement as camt.053.001.08, as the bank simulator sends it."""
    ET.register_namespace("", NAMESPACE)

    def sub(parent: ET.Element, path: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = parent
        for name in path.split("/"):
            node = ET.SubElement(node, f"{{{NAMESPACE}}}{name}")
        node.attrib.update(attrs)
        if text is not None:
            node.text = text
        return node

    doc = ET.Element(f"{{{NAMESPACE}}}Document")
    body = sub(doc, "BkToCstmrStmt")
    header = sub(body, "GrpHdr")
    sub(header, "MsgId", message_id)
    sub(header, "CreDtTm", created.isoformat(timespec="seconds"))
    stmt = sub(body, "Stmt")
    sub(stmt, "Id", f"{statement.account}-{statement.statement_date:%Y%m%d}")
    sub(stmt, "CreDtTm", created.isoformat(timespec="seconds"))
    acct = sub(stmt, "Acct")
    sub(acct, "Id/Othr/Id", statement.account)
    sub(acct, "Ccy", statement.currency)
    day = statement.statement_date.isoformat()
    for code, amount in (("OPBD", statement.opening_minor), ("CLBD", statement.closing_minor)):
        bal = sub(stmt, "Bal")
        sub(bal, "Tp/CdOrPrtry/Cd", code)
        sub(bal, "Amt", decimal_text(abs(amount)), Ccy=statement.currency)
        sub(bal, "CdtDbtInd", "CRDT" if amount >= 0 else "DBIT")
        sub(bal, "Dt/Dt", day)
    for line in statement.lines:
        entry = sub(stmt, "Ntry")
        sub(entry, "Amt", decimal_text(line.amount_minor), Ccy=statement.currency)
        sub(entry, "CdtDbtInd", "CRDT" if line.direction is Direction.CREDIT else "DBIT")
        sub(entry, "Sts/Cd", "BOOK")
        sub(entry, "BookgDt/Dt", line.booking_date.isoformat())
        sub(entry, "ValDt/Dt", (line.value_date or line.booking_date).isoformat())
        if line.bank_reference:
            sub(entry, "AcctSvcrRef", line.bank_reference)
        sub(entry, "BkTxCd/Domn/Cd", "PMNT")
        details = sub(entry, "NtryDtls")
        if line.batch is not None:
            batch = sub(details, "Btch")
            sub(batch, "NbOfTxs", str(line.batch.count))
            if line.batch.total_minor is not None:
                sub(batch, "TtlAmt", decimal_text(line.batch.total_minor), Ccy=statement.currency)
            for e2e in line.batch.end_to_end_ids:
                sub(sub(details, "TxDtls"), "Refs/EndToEndId", e2e)
            continue
        tx = sub(details, "TxDtls")
        sub(tx, "Refs/EndToEndId", line.end_to_end_id or "NOTPROVIDED")
        party = "Cdtr" if line.direction is Direction.DEBIT else "Dbtr"
        if line.counterparty_name or line.counterparty_account:
            parties = sub(tx, "RltdPties")
            sub(parties, f"{party}/Pty/Nm", line.counterparty_name or line.counterparty_account)
            if line.counterparty_account:
                sub(parties, f"{party}Acct/Id/Othr/Id", line.counterparty_account)
        if line.remittance:
            sub(tx, "RmtInf/Ustrd", line.remittance)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(doc, encoding="unicode") + "\n"
