"""Bank statements exported as CSV, read through a column mapping per bank layout.

Chinese banks' 明细 exports put a few `key,value` rows (账号, 期初余额, …) above the table, name
columns each in their own words (交易日期 or 记账日期, 借贷标志 or 收支方向), either split the amount
into 借方发生额/贷方发生额 or give one 交易金额 with a direction flag, write amounts with thousands
separators, dates as 20261202 or 2026/12/02, guard long numbers as ="6222…", close with a 合计 row,
and are often GB18030 rather than UTF-8. A layout is only its synonyms; one reader reads them all.

Size: a third of it is the banks' layouts, which are data."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from services.settlement.reconciliation.domain.statement import (
    Batch,
    Direction,
    MalformedStatement,
    Statement,
    StatementLine,
    decimal_text,
    limit_lines,
    to_fen,
)

# Words a column's name holds when it is a reference, for exports that name them their own way.
REFERENCE_WORDS = (("bank_reference", "流水号"), ("end_to_end_id", "参考号"))
# The unit some exports write into a column's name: 借方发生额(元), and the same in full-width brackets
_UNIT = re.compile(r"[(（](元|人民币|rmb|cny)[)）]$")
# A reversal (冲正, 冲账) column's values that mark the line as one
REVERSAL_MARKS = frozenset({"是", "y", "yes", "1", "true", "冲正", "冲账", "冲帐", "r"})
# What a bank's 摘要 or 交易类型 says of a line the bank itself books (no counterparty account)
KIND_WORDS = (("fee", ("手续费", "服务费", "工本费", "汇划费", "管理费")), ("interest", ("利息", "结息")))
# An amount in a CSV export: ASCII digits and two decimals, as every bank writes them ("12.3", or
# full-width digits, is a file that something other than the bank rewrote)
_EXPORTED_AMOUNT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)\.\d{2}$", re.ASCII)

DEBIT_WORDS = frozenset({"debit", "d", "dbit", "dr", "借", "借方", "支", "支出", "付", "付款", "出"})
CREDIT_WORDS = frozenset({"credit", "c", "crdt", "cr", "贷", "贷方", "收", "收入", "收款", "入"})
TOTAL_ROWS = ("合计", "总计", "本页合计", "本日合计", "total")


@dataclass(frozen=True)
class Layout:
    """A bank's CSV export: for each field the column names it may carry (the first is the one
    the simulator writes), and the names of the `key,value` rows above the table."""

    name: str
    columns: dict[str, tuple[str, ...]]
    preamble: dict[str, tuple[str, ...]]

    def header_of(self, cells: list[str]) -> dict[str, int] | None:
        """Which column holds which field, if `cells` is this layout's header row. A column the
        layout does not name but whose name holds a reference's word (CCB's 账户明细编号-交易流水号)
        is taken for that reference rather than dropped."""
        names = [_norm(c) for c in cells]
        found: dict[str, int] = {}
        for field, synonyms in self.columns.items():
            for synonym in synonyms:
                if _norm(synonym) in names:
                    found[field] = names.index(_norm(synonym))
                    break
        has_amount = "amount" in found or {"debit_amount", "credit_amount"} <= found.keys()
        if "booking_date" not in found or not has_amount:
            return None
        taken = set(found.values())
        for field, word in REFERENCE_WORDS:
            if field not in found:
                at = next((i for i, name in enumerate(names) if word in name and i not in taken), None)
                if at is not None:
                    found[field] = at
                    taken.add(at)
        return found


GENERIC = Layout(
    "generic",
    columns={
        "booking_date": ("booking_date", "date"),
        "value_date": ("value_date",),
        "direction": ("direction", "credit_debit"),
        "amount": ("amount",),
        "balance": ("balance",),
        "bank_reference": ("bank_reference", "reference"),
        "end_to_end_id": ("end_to_end_id",),
        "remittance": ("remittance", "description"),
        "counterparty_account": ("counterparty_account",),
        "counterparty_name": ("counterparty_name",),
        "batch_count": ("batch_count",),
    },
    preamble={
        "account": ("account",),
        "statement_date": ("statement_date",),
        "currency": ("currency",),
        "opening": ("opening_balance",),
        "closing": ("closing_balance",),
    },
)

# 借方发生额 / 贷方发生额 in two columns, as ICBC's and CCB's account-detail exports lay them out
CN_SPLIT = Layout(
    "cn_split",
    columns={
        "booking_date": ("交易日期", "记账日期", "交易时间"),
        "value_date": ("起息日期", "起息日"),
        "debit_amount": ("借方发生额", "借方发生额（支取）", "支出金额", "支出"),
        "credit_amount": ("贷方发生额", "贷方发生额（收入）", "收入金额", "收入"),
        "balance": ("余额", "账户余额"),
        "bank_reference": ("交易流水号", "流水号", "凭证号", "账户明细编号-交易流水号"),
        "end_to_end_id": ("业务参考号", "客户参考号", "端到端编号"),
        "remittance": ("用途", "摘要", "附言", "备注"),
        "counterparty_account": ("对方账号",),
        "counterparty_name": ("对方户名", "对方单位"),
        "batch_count": ("笔数",),
        "reversal": ("冲正标志", "冲账标志", "冲帐标志"),
        "kind": ("交易类型", "业务类型"),
    },
    preamble={
        "account": ("账号", "本方账号", "账户"),
        "statement_date": ("对账日期", "日期"),
        "currency": ("币种",),
        "opening": ("期初余额", "上日余额"),
        "closing": ("期末余额", "本日余额"),
    },
)

# one 交易金额 with a 借贷标志 or 收支方向 flag, as BOC's and ABC's exports lay it out
CN_FLAG = Layout(
    "cn_flag",
    columns={
        "booking_date": ("交易日期", "记账日期"),
        "value_date": ("起息日期", "起息日"),
        "direction": ("借贷标志", "收支方向", "借贷方向", "收/支"),
        "amount": ("交易金额", "发生额", "金额"),
        "balance": ("余额", "交易后余额"),
        "bank_reference": ("交易流水号", "流水号"),
        "end_to_end_id": ("业务参考号", "客户参考号", "端到端编号"),
        "remittance": ("附言", "用途", "摘要"),
        "counterparty_account": ("对方账号", "收/付方账号"),
        "counterparty_name": ("对方户名", "收/付方名称"),
        "batch_count": ("笔数",),
        "reversal": ("冲正标志", "冲账标志", "冲帐标志"),
        "kind": ("交易类型", "业务类型"),
    },
    preamble=CN_SPLIT.preamble,
)

# China Merchants Bank's 账务明细 export: 交易日, 借方金额/贷方金额, 收/付方帐号 (帐, not 账)
CMB = Layout(
    "cmb",
    columns={
        "booking_date": ("交易日", "记账日期"),
        "value_date": ("起息日",),
        "debit_amount": ("借方金额",),
        "credit_amount": ("贷方金额",),
        "balance": ("余额",),
        "bank_reference": ("流水号", "交易流水号"),
        "end_to_end_id": ("业务参考号",),
        "remittance": ("用途", "摘要", "业务摘要"),
        "counterparty_account": ("收/付方帐号", "收/付方账号"),
        "counterparty_name": ("收/付方名称",),
        "reversal": ("冲帐标志", "冲账标志"),
        "kind": ("交易类型",),
    },
    preamble={**CN_SPLIT.preamble, "account": ("账号", "帐号", "账户")},
)

LAYOUTS = {layout.name: layout for layout in (GENERIC, CN_SPLIT, CN_FLAG, CMB)}


def decode(content: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else GB18030, as Chinese banks export."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise MalformedStatement("the statement is neither UTF-8 nor GB18030 text") from exc


def read(text: str, *, account: str | None = None, layout: str | None = None) -> Statement:
    """Read a CSV export; the layout is found from the header row unless named."""
    if "\x00" in text:
        raise MalformedStatement("the statement holds a NUL byte")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return read_rows(csv.reader(io.StringIO(text), delimiter=delimiter), account=account, layout=layout)
    except csv.Error as exc:
        raise MalformedStatement(f"the statement is not readable CSV: {exc}") from exc


def read_rows(
    rows: Iterator[list[str]],
    *,
    account: str | None = None,
    layout: str | None = None,
    source: str = "csv",
) -> Statement:
    """Read the rows of an export, as a CSV file or a spreadsheet (`source`: csv, xlsx, xls)
    holds them. A CSV export's amounts are text as the bank wrote it, so two decimals exactly; a
    spreadsheet's are numbers, so at most two."""
    candidates = [LAYOUTS[layout]] if layout else list(LAYOUTS.values())
    preamble: dict[str, str] = {}
    for n, row in enumerate(rows, start=1):
        cells = [_cell(c) for c in row]
        if not any(cells):
            continue
        for candidate in candidates:
            header = candidate.header_of(cells)
            if header is not None:
                return _table(candidate, header, preamble, rows, n, account, source)
        if len(cells) >= 2 and cells[0]:
            preamble[_norm(cells[0]).rstrip(":：")] = cells[1]
        if n > 50:
            break
    names = ", ".join(sorted(LAYOUTS)) if layout is None else layout
    raise MalformedStatement(f"no header row of a known layout ({names}) was found")


def _table(
    layout: Layout,
    header: dict[str, int],
    preamble: dict[str, str],
    rows: Iterator[list[str]],
    header_row: int,
    account: str | None,
    source: str,
) -> Statement:
    """Size: the header's mapping, the preamble and each row's checks are one pass over the rows."""
    fen = _exported_fen if source == "csv" else to_fen

    def given(key: str) -> str | None:
        for synonym in layout.preamble[key]:
            if _norm(synonym) in preamble:
                return preamble[_norm(synonym)]
        return None

    lines: list[StatementLine] = []
    balances: list[int | None] = []
    for n, row in enumerate(rows, start=header_row + 1):
        cells = [_cell(c) for c in row]
        if not any(cells):
            continue
        if _norm(cells[0]).startswith(TOTAL_ROWS):
            continue  # a summary row: the balances check what it would
        limit_lines(len(lines) + 1)
        try:
            line, balance = _line(layout, header, cells, n, fen)
        except (ValueError, IndexError) as exc:
            raise MalformedStatement(f"line {n}: {exc}", details={"line": n}) from exc
        lines.append(line)
        balances.append(balance)
    try:
        opening_text, closing_text = given("opening"), given("closing")
        opening = fen(opening_text) if opening_text else None
        closing = fen(closing_text) if closing_text else None
        on_text = given("statement_date")
        on = _date(on_text) if on_text else None
    except ValueError as exc:
        raise MalformedStatement(f"the statement's heading: {exc}") from exc
    if opening is None and lines and balances[0] is not None:
        opening = balances[0] - lines[0].signed_minor  # the balance before the first line
    if closing is None and balances and balances[-1] is not None:
        closing = balances[-1]
    if opening is None or closing is None:
        raise MalformedStatement(
            "the statement gives neither opening and closing balances nor a running balance"
        )
    if on is None:
        if not lines:
            raise MalformedStatement("a statement without lines must name its date")
        on = max(line.booking_date for line in lines)
    named = given("account") or account
    if not named:
        raise MalformedStatement("the statement does not name its account")
    return Statement(
        account=named.replace(" ", ""),
        statement_date=on,
        opening_minor=opening,
        closing_minor=closing,
        lines=tuple(lines),
        currency=(given("currency") or "CNY").upper().replace("人民币", "CNY"),
        format=f"{source}:{layout.name}",
        running_balances=tuple(balances),
    )


def _line(
    layout: Layout, header: dict[str, int], cells: list[str], n: int, fen: Callable[[str], int]
) -> tuple[StatementLine, int | None]:
    def cell(field: str) -> str:
        at = header.get(field)
        return cells[at] if at is not None and at < len(cells) else ""

    if "amount" in header:
        amount = fen(cell("amount"))
        flag = _norm(cell("direction"))
        if flag:
            if flag in DEBIT_WORDS:
                direction = Direction.DEBIT
            elif flag in CREDIT_WORDS:
                direction = Direction.CREDIT
            else:
                raise ValueError(f"{cell('direction')!r} is neither a debit nor a credit")
            if amount < 0:
                raise ValueError("a flagged amount is not signed")
        elif "direction" in header:
            raise ValueError("the direction is empty")
        else:
            direction = Direction.DEBIT if amount < 0 else Direction.CREDIT
        amount = abs(amount)
    else:
        debit, credit = _optional_fen(cell("debit_amount"), fen), _optional_fen(cell("credit_amount"), fen)
        if debit and credit:
            raise ValueError("both the debit and the credit column hold an amount")
        if debit < 0 or credit < 0:
            raise ValueError("a debit or credit column holds a negative amount")
        direction, amount = (Direction.DEBIT, debit) if debit else (Direction.CREDIT, credit)
    if amount == 0:
        raise ValueError("a zero amount moves nothing")
    batch_text = cell("batch_count")
    batch = None
    if batch_text and batch_text != "1":
        if not batch_text.isdigit() or int(batch_text) < 1:
            raise ValueError(f"{batch_text!r} is not a number of payments")
        batch = Batch(int(batch_text), amount)
    value_text = cell("value_date")
    line = StatementLine(
        line_no=n,
        booking_date=_date(cell("booking_date")),
        amount_minor=amount,
        direction=direction,
        value_date=_date(value_text) if value_text else None,
        bank_reference=cell("bank_reference"),
        end_to_end_id=cell("end_to_end_id"),
        remittance=cell("remittance"),
        counterparty_account=cell("counterparty_account").replace(" ", ""),
        counterparty_name=cell("counterparty_name"),
        batch=batch,
        reversal=_norm(cell("reversal")) in REVERSAL_MARKS,
        kind=_kind(cell("kind"), cell("remittance"), cell("counterparty_account")),
    )
    balance_text = cell("balance")
    return line, fen(balance_text) if balance_text else None


def _kind(kind: str, remittance: str, counterparty: str) -> str:
    """ "fee" or "interest" for a line the bank itself books (no counterparty) and names so."""
    if counterparty.strip():
        return ""
    said = f"{kind} {remittance}"
    return next((name for name, words in KIND_WORDS if any(w in said for w in words)), "")


_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def _date(text: str) -> date:
    """2026-12-02, 20261202, 2026/12/02, 2026年12月02日, with or without a time after it."""
    day = re.split(r"[ T]", text.strip(), maxsplit=1)[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(day, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date")


def _optional_fen(text: str, fen: Callable[[str], int]) -> int:
    return 0 if text in ("", "-", "--") else fen(text)


def _exported_fen(text: str) -> int:
    if not _EXPORTED_AMOUNT.match(text.strip()):
        raise ValueError(f"{text!r} is not an amount as a bank exports one (digits, two decimals: 1234.50)")
    return to_fen(text)


def _cell(raw: str) -> str:
    """Trimmed, without the ="…" an export puts around long numbers to keep Excel off them."""
    value = raw.strip().replace("\u3000", " ").strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1]
    return value.strip()


def _norm(text: str) -> str:
    """A column's or a key's name as compared: no spaces, lower case, no unit (元) after it."""
    return _UNIT.sub("", text.strip().lower().replace(" ", ""))


def export_rows(statement: Statement, layout: Layout = GENERIC) -> list[list[str]]:
    """The statement's rows as this layout exports them: the key/value rows, a blank row, the
    header and a row a line (the bank simulator's CSV, and its workbook)."""
    rows = [
        [layout.preamble["account"][0], statement.account],
        [layout.preamble["statement_date"][0], statement.statement_date.isoformat()],
        [layout.preamble["currency"][0], statement.currency],
        [layout.preamble["opening"][0], decimal_text(statement.opening_minor)],
        [layout.preamble["closing"][0], decimal_text(statement.closing_minor)],
        [],
    ]
    fields = [f for f in layout.columns if f != "direction" or "amount" in layout.columns]
    rows.append([layout.columns[f][0] for f in fields])
    balance = statement.opening_minor
    for line in statement.lines:
        balance += line.signed_minor
        debit = line.direction is Direction.DEBIT
        values = {
            "booking_date": line.booking_date.isoformat(),
            "value_date": (line.value_date or line.booking_date).isoformat(),
            "direction": ("借" if debit else "贷") if layout is not GENERIC else line.direction.value,
            "amount": decimal_text(line.amount_minor),
            "debit_amount": decimal_text(line.amount_minor) if debit else "",
            "credit_amount": "" if debit else decimal_text(line.amount_minor),
            "balance": decimal_text(balance),
            "bank_reference": line.bank_reference,
            "end_to_end_id": line.end_to_end_id,
            "remittance": line.remittance,
            "counterparty_account": line.counterparty_account,
            "counterparty_name": line.counterparty_name,
            "batch_count": str(line.batch.count) if line.batch else "",
            "reversal": "是" if line.reversal else "",
            "kind": {"fee": "手续费", "interest": "结息"}.get(line.kind, ""),
        }
        rows.append([values[f] for f in fields])
    return rows


def write(statement: Statement, layout: Layout = GENERIC) -> str:
    """The statement as this layout exports it as CSV (the bank simulator's)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(export_rows(statement, layout))
    return out.getvalue()
