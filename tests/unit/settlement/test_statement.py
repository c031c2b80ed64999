"""Bank statements are read strictly: yuan to fen without floats, and one bad line refuses all."""

from __future__ import annotations

from datetime import date

import pytest

from services.settlement.domain.statement import Direction, MalformedStatement, parse, to_fen

HEADER = "date,amount,direction,reference\n"


@pytest.mark.parametrize(
    ("text", "fen"), [("1234.56", 123_456), ("0.1", 10), ("7", 700), ("278.32", 27_832), ("0.07", 7)]
)
def test_amounts_become_fen_exactly(text: str, fen: int) -> None:
    assert to_fen(text) == fen


def test_a_statement_parses_to_lines() -> None:
    lines = parse(HEADER + "2026-04-11,278.32,debit,run-1:SUP-002\n2026-04-11,50.00,CREDIT,unknown deposit\n")
    assert [(x.line_no, x.on, x.amount_minor, x.direction) for x in lines] == [
        (2, date(2026, 4, 11), 27_832, Direction.DEBIT),
        (3, date(2026, 4, 11), 5_000, Direction.CREDIT),
    ]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("2026-04-11,12.345,debit,x\n", 2),
        ("2026-04-11,1e3,debit,x\n", 2),
        ("2026-04-11,-5.00,debit,x\n", 2),
        ("2026-04-11,5.00,sideways,x\n", 2),
        ("2026-13-01,5.00,debit,x\n", 2),
        ("2026-04-11,5.00,debit,\n", 2),
        ("2026-04-11,5.00,debit,ok\n2026-04-11,0.00,credit,zero\n", 3),
        ("2026-04-11,5.00,debit,x,extra\n", 2),
    ],
)
def test_a_malformed_line_refuses_the_statement_and_names_the_line(body: str, line: int) -> None:
    with pytest.raises(MalformedStatement) as caught:
        parse(HEADER + body)
    assert caught.value.details == {"line": line}


def test_the_header_must_be_the_documented_one() -> None:
    with pytest.raises(MalformedStatement):
        parse("when,how much,which way,ref\n2026-04-11,5.00,debit,x\n")


@pytest.mark.parametrize(
    "body", ["2026-04-11,5.00,debit," + "x" * 200_000 + "\n", "2026-04-11,5.00,\0debit,x\n"]
)
def test_text_the_csv_reader_cannot_read_is_refused_not_crashed_on(body: str) -> None:
    with pytest.raises(MalformedStatement):
        parse(HEADER + body)
