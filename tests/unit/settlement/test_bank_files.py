"""Real-world bank files and their quirks, read as a finance office receives them: a reversal in
MT940, a GBK camt.053, `/PREF/` beside `/REMI/`, `?20` subfields, amounts SWIFT does not allow,
several days in one MT940, CCB's and CMB's exports (CSV, XLSX, XLS), amounts a spreadsheet
rewrote, and an entry in another currency. Each is read exactly, or refused naming why."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import xlwt  # type: ignore[import-untyped]  # writes the XLS (BIFF8) a bank exports; no stubs

from services.settlement.reconciliation.adapters.statements import read
from services.settlement.reconciliation.domain.statement import (
    CurrencyMismatch,
    Direction,
    MalformedStatement,
    StatementUnbalanced,
)

FILES = Path(__file__).resolve().parents[2] / "data" / "statements"
DAY = date(2026, 12, 2)


def file(name: str) -> bytes:
    return (FILES / name).read_bytes()


def test_an_mt940_reversal_of_a_credit_is_a_debit_marked_as_a_reversal() -> None:
    [statement] = read(file("mt940_reversal.sta"))  # refused unbalanced if RC were read as a credit
    credit, reversal = statement.lines
    assert (credit.direction, credit.amount_minor, credit.reversal) == (Direction.CREDIT, 150_000, False)
    assert (reversal.direction, reversal.amount_minor, reversal.reversal) == (Direction.DEBIT, 150_000, True)
    assert reversal.counterparty_account == "6222020200001111"


@pytest.mark.parametrize("name", ["camt053_gbk.xml", "camt053_gb2312.xml"])
def test_a_camt053_declared_gbk_reads_with_its_chinese_names(name: str) -> None:
    assert b'encoding="G' in file(name)[:60]
    [statement] = read(file(name))
    assert [(x.amount_minor, x.direction, x.counterparty_name) for x in statement.lines] == [
        (27_832, Direction.DEBIT, "南京金陵实验用品有限公司"),
        (150_000, Direction.CREDIT, "杭州试剂有限公司"),
    ]
    assert statement.lines[1].remittance == "货款退回"


def test_an_entry_in_another_currency_is_a_currency_mismatch_naming_it() -> None:
    with pytest.raises(CurrencyMismatch) as refused:
        read(file("camt053_usd_entry.xml"))
    assert refused.value.details == {"line": 2} and "USD" in refused.value.message


def test_pref_and_remi_both_say_what_a_batch_line_pays() -> None:
    [statement] = read(file("mt940_pref_remi.sta"))
    [line] = statement.lines
    assert line.remittance == "R-20261202-01 UniSettle supplier payouts"
    assert line.batch is not None and line.batch.count == 2


def test_question_mark_subfields_give_the_end_to_end_id_purpose_and_counterparty() -> None:
    [statement] = read(file("mt940_subfields.sta"))
    [line] = statement.lines
    assert line.end_to_end_id == "USP0123456789ABCDEF0123"
    assert line.remittance == "UniSettle payout R1:SUP-002"
    assert (line.counterparty_account, line.counterparty_name) == (
        "CN6222000011112222",
        "Jinling Laboratory Supplies",
    )


@pytest.mark.parametrize("name", ["mt940_thousands_amount.sta", "mt940_amount_without_comma.sta"])
def test_an_amount_swift_does_not_allow_is_refused_naming_its_line(name: str) -> None:
    with pytest.raises(MalformedStatement) as refused:
        read(file(name))
    assert refused.value.details == {"line": 1}
    assert "decimal comma" in refused.value.message


def test_several_days_in_one_mt940_are_each_their_own_statement() -> None:
    days = read(file("mt940_three_days.sta"))
    assert [(s.statement_date, s.opening_minor, s.closing_minor, len(s.lines)) for s in days] == [
        (date(2026, 11, 30), 1_000_000_000, 999_990_000, 1),
        (date(2026, 12, 1), 999_990_000, 999_995_000, 1),
        (date(2026, 12, 2), 999_995_000, 999_993_750, 1),
    ]
    assert days[2].lines[0].kind == "fee" and days[1].lines[0].kind == ""


def test_a_day_missing_from_a_multi_day_mt940_is_refused() -> None:
    text = file("mt940_three_days.sta").decode()
    second = text.index(":20:STMT20261201")
    third = text.index(":20:STMT20261202")
    with pytest.raises(StatementUnbalanced) as refused:
        read((text[:second] + text[third:]).encode())
    assert refused.value.details["date"] == "2026-12-02"


def test_ccb_s_export_reads_its_reference_column_and_unit_headers() -> None:
    [statement] = read(file("ccb_detail.csv"))
    [line] = statement.lines
    assert statement.format == "csv:cn_split"
    assert (statement.opening_minor, statement.closing_minor) == (1_000_000_000, 999_972_168)
    assert (line.amount_minor, line.direction, line.bank_reference) == (
        27_832,
        Direction.DEBIT,
        "1-A2026120200011869",
    )
    assert line.counterparty_name == "南京金陵实验用品有限公司"


@pytest.mark.parametrize("name", ["ccb_fullwidth_amount.csv", "ccb_one_decimal.csv"])
def test_amounts_something_other_than_the_bank_rewrote_are_refused(name: str) -> None:
    with pytest.raises(MalformedStatement) as refused:
        read(file(name))
    assert refused.value.details == {"line": 9}


CMB_HEADER = ["交易日", "交易时间", "起息日", "交易类型", "借方金额", "贷方金额", "余额", "摘要", "流水号",
              "业务参考号", "收/付方名称", "收/付方帐号", "冲帐标志"]  # fmt: skip
CMB_ROWS: list[list[object]] = [
    ["20261202", "10:15:33", "20261202", "转账", 278.32, None, 9999721.68, "UniSettle payout R1:SUP-002",
     "G0918000120", "USP0123456789ABCDEF0123", "南京金陵实验用品有限公司", "6222000011112222", ""],
    ["20261202", "16:00:00", "20261202", "手续费", 12.5, None, 9999709.18, "对公账户管理费",
     "G0918000121", "", "", "", ""],
]  # fmt: skip


def cmb_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["账号", "31050161373600000918"])
    sheet.append(["币种", "人民币"])
    sheet.append([])
    sheet.append(CMB_HEADER)
    for row in CMB_ROWS:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cmb_xls() -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("账务明细")
    rows: list[list[object]] = [
        ["账号", "31050161373600000918"],
        ["币种", "人民币"],
        [],
        list(CMB_HEADER),
        *CMB_ROWS,
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("workbook", [cmb_xlsx, cmb_xls], ids=["xlsx", "xls"])
def test_cmb_s_excel_export_reads_and_its_fee_is_a_fee(workbook: object) -> None:
    [statement] = read(workbook())  # type: ignore[operator]
    assert statement.format.endswith(":cmb")
    payout, fee = statement.lines
    assert (payout.amount_minor, payout.end_to_end_id, payout.counterparty_account) == (
        27_832,
        "USP0123456789ABCDEF0123",
        "6222000011112222",
    )
    assert (fee.amount_minor, fee.direction, fee.kind) == (1_250, Direction.DEBIT, "fee")
    assert statement.closing_minor == 999_970_918 and statement.statement_date == DAY


def test_a_spreadsheet_amount_of_more_than_two_decimals_is_refused() -> None:
    CMB_ROWS[0][4] = 278.325
    try:
        with pytest.raises(MalformedStatement):
            read(cmb_xlsx())
    finally:
        CMB_ROWS[0][4] = 278.32
