"""A period's vouchers as the documented interchange a university's finance system imports
(docs/vouchers.md): JSON, or CSV with one row per voucher line. Deterministic: the same vouchers
give the same bytes (keys sorted, no time of export, vouchers in ledger order, numbered in it)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from services.settlement.books.domain.vouchers import Book

CSV_COLUMNS = (
    "voucher_no",
    "voucher_id",
    "date",
    "summary",
    "line",
    "account",
    "project",
    "classification",
    "debit_fen",
    "credit_fen",
    "order_id",
    "transfer_id",
)


def as_json(tenant_id: str, period: str, book: Book) -> bytes:
    body: dict[str, Any] = {
        "format": "unisettle.vouchers/1",
        "university": tenant_id,
        "period": period,
        "vouchers": [
            {
                "voucher_no": n,
                "voucher_id": v.voucher_id,
                "date": v.day.isoformat(),
                "summary": v.summary,
                "sources": v.sources,
                "lines": [
                    {
                        "account": x.account,
                        "project": x.project,
                        "classification": x.classification,
                        "debit_fen": x.debit,
                        "credit_fen": x.credit,
                    }
                    for x in v.lines
                ],
            }
            for n, v in enumerate(book.vouchers, start=1)
        ],
        "exceptions": [
            {
                "transfer_id": e.transfer_id,
                "date": e.day.isoformat(),
                "summary": e.summary,
                "reasons": list(e.reasons),
                "amount_fen": e.amount,
            }
            for e in book.exceptions
        ],
    }
    return (json.dumps(body, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def as_csv(book: Book) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n, v in enumerate(book.vouchers, start=1):
        for i, x in enumerate(v.lines, start=1):
            writer.writerow(
                (
                    n,
                    v.voucher_id,
                    v.day.isoformat(),
                    v.summary,
                    i,
                    x.account,
                    x.project,
                    x.classification,
                    x.debit,
                    x.credit,
                    v.sources.get("order", ""),
                    v.sources["transfer"],
                )
            )
    return out.getvalue().encode("utf-8-sig")  # with a BOM: Excel and Chinese finance systems read UTF-8 so
