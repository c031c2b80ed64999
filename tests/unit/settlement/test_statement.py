"""Bank statements are read strictly, whatever the format: yuan to fen without floats, one bad
line refuses all naming it, a statement that does not add up is refused, XML is read safely."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.settlement.reconciliation.adapters.statements import camt053, read, swift, tabular
from services.settlement.reconciliation.domain.statement import (
    Batch,
    Direction,
    MalformedStatement,
    ProvisionalStatement,
    Statement,
    StatementLine,
    StatementUnbalanced,
    to_fen,
)

DAY = date(2026, 12, 2)
OPENING = 1_000_000_000
SAMPLE = Statement(
    "31050161373600000918",
    DAY,
    OPENING,
    OPENING - 27_832 - 5_000 + 100_000,
    (
        StatementLine(
            1,
            DAY,
            27_832,
            Direction.DEBIT,
            DAY,
            "BK123456789012",
            "USP0123456789ABCDEF01234567",
            "UniSettle payout R1:SUP-002",
            "6222000011112222",
        ),
        StatementLine(
            2,
            DAY,
            5_000,
            Direction.DEBIT,
            DAY,
            "BT1",
            "",
            "UniSettle payout run R2",
            batch=Batch(2, 5_000, ("USPA", "USPB")),
        ),
        StatementLine(3, DAY, 100_000, Direction.CREDIT, DAY, "BK3", "", "货款", "6222333"),
    ),
)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234.56", 123_456),
        ("0.1", 10),
        ("7", 700),
        ("278.32", 27_832),
        ("1,234.50", 123_450),
        ("-3.20", -320),
    ],
)
def test_amounts_become_fen_exactly(text: str, fen: int) -> None:
    assert to_fen(text) == fen


@pytest.mark.parametrize(
    "content",
    [
        camt053.write(SAMPLE, message_id="M1", created=datetime(2026, 12, 2, 23, 0)).encode(),
        swift.write(SAMPLE, reference="S1", sequence=1).encode(),
        tabular.write(SAMPLE).encode(),
        tabular.write(SAMPLE, tabular.CN_SPLIT).encode("gb18030"),
        tabular.write(SAMPLE, tabular.CN_FLAG).encode(),
    ],
    ids=["camt053", "mt940", "csv-generic", "csv-cn-split-gb18030", "csv-cn-flag"],
)
def test_every_format_reads_to_the_same_lines(content: bytes) -> None:
    [statement] = read(content)
    assert (
        statement.account,
        statement.statement_date,
        statement.opening_minor,
        statement.closing_minor,
    ) == (SAMPLE.account, DAY, SAMPLE.opening_minor, SAMPLE.closing_minor)
    assert [(x.amount_minor, x.direction, x.bank_reference) for x in statement.lines] == [
        (27_832, Direction.DEBIT, "BK123456789012"),
        (5_000, Direction.DEBIT, "BT1"),
        (100_000, Direction.CREDIT, "BK3"),
    ]
    assert statement.lines[0].end_to_end_id == "USP0123456789ABCDEF01234567"
    assert statement.lines[1].batch is not None and statement.lines[1].batch.count == 2
    assert statement.fingerprint() == SAMPLE.fingerprint()  # one statement, whichever channel


def test_a_chinese_bank_export_with_its_quirks_reads() -> None:
    export = (
        '账号:,="31050161373600000918"\n户名,某大学\n期初余额,"10,000,000.00"\n期末余额,"9,999,721.68"\n\n'
        "交易日期,借方发生额（支取）,贷方发生额（收入）,余额,交易流水号,用途\n"
        '20261202 10:15:33,"278.32",,"9,999,721.68",BK1,UniSettle payout R1:SUP-002\n'
        "合计,278.32,0.00,,,\n"
    )
    [statement] = read(export.encode("gb18030"))
    assert statement.format == "csv:cn_split"
    assert [(x.booking_date, x.amount_minor, x.direction) for x in statement.lines] == [
        (DAY, 27_832, Direction.DEBIT)
    ]


def test_a_statement_that_does_not_add_up_is_refused() -> None:
    text = tabular.write(SAMPLE).replace("10000671.68", "10000671.69")
    with pytest.raises(StatementUnbalanced):
        read(text.encode())


def test_a_bad_line_refuses_the_statement_naming_it() -> None:
    text = tabular.write(SAMPLE).replace(",278.32,", ",278.3.2,")
    with pytest.raises(MalformedStatement) as refused:
        read(text.encode())
    assert refused.value.details == {"line": 8}


def test_xml_entities_are_refused_and_intraday_reports_are_provisional() -> None:
    camt = camt053.write(SAMPLE, message_id="M1", created=datetime(2026, 12, 2, 23, 0))
    bomb = '<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' + camt.split("\n", 1)[1]
    with pytest.raises(MalformedStatement):
        read(bomb.encode())
    with pytest.raises(ProvisionalStatement):
        read(camt.replace("BkToCstmrStmt", "BkToCstmrAcctRpt").encode())
