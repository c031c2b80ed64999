"""`unisettle reconcile`: reconciliation of the escrow bank account through settlement's API, as
the reconciliation officer whose token is given (`--token`, or UNISETTLE_TOKEN) — import a bank
statement in any format, read the day's 余额调节表, and work the suspense queue (confirm, reject,
match, return, write off, and a second officer's approval)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import Token, Url, fail, settlement_call

app = typer.Typer(
    help="Bank statements, reconciliation reports and the suspense queue.", no_args_is_help=True
)

Line = Annotated[str, typer.Argument(help="the statement line, e.g. 0918-20261202-3")]
Reason = Annotated[str, typer.Option("--reason", help="why (recorded on the audit trail)")]
OptionalReason = Annotated[str | None, typer.Option("--reason", help="why (recorded on the audit trail)")]


class Format(StrEnum):
    CAMT053 = "camt053"
    MT940 = "mt940"
    CSV = "csv"
    XLSX = "xlsx"
    XLS = "xls"


class Layout(StrEnum):
    GENERIC = "generic"
    CN_SPLIT = "cn_split"
    CN_FLAG = "cn_flag"
    CMB = "cmb"


CONTENT_TYPES = {
    Format.CAMT053: "application/xml",
    Format.MT940: "text/plain",
    Format.CSV: "text/csv",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.XLS: "application/vnd.ms-excel",
}


def _reason(reason: str | None) -> dict[str, Any]:
    return {"json": {"reason": reason}} if reason else {"json": {}}


@app.command("import")
def import_statement(
    file: Annotated[
        Path,
        typer.Argument(help="the statement: camt.053 XML, MT940, or a bank's export as CSV, XLSX or XLS"),
    ],
    token: Token,
    url: Url = None,
    format: Annotated[
        Format | None, typer.Option("--format", help="recognised from the content if not given")
    ] = None,
    layout: Annotated[
        Layout | None, typer.Option("--layout", help="CSV column layout; found from the header if not given")
    ] = None,
) -> None:
    """Import a statement of the escrow account (an MT940 file may hold several days) and print its
    matches and the day's report."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise fail("unreadable_file", str(exc)) from exc
    params = {k: v.value for k, v in (("format", format), ("layout", layout)) if v is not None}
    content_type = CONTENT_TYPES[format] if format else "application/octet-stream"
    settlement_call(
        token,
        url,
        "POST",
        "/v1/reconciliation/statements",
        params=params,
        headers={"Content-Type": content_type},
        content=content,
    )


@app.command()
def statements(token: Token, url: Url = None) -> None:
    """The statements imported last, each as reconciled now."""
    settlement_call(token, url, "GET", "/v1/reconciliation/statements")


@app.command()
def report(
    day: Annotated[str, typer.Argument(help="the day, YYYY-MM-DD")],
    token: Token,
    url: Url = None,
    versions: Annotated[bool, typer.Option("--versions", help="every version, newest first")] = False,
) -> None:
    """The day's 余额调节表: bank and ledger balances, items in transit each way, adjusted balances."""
    settlement_call(
        token,
        url,
        "GET",
        f"/v1/reconciliation/reports/{day}",
        params={"versions": "true"} if versions else {},
    )


@app.command()
def conflicts(token: Token, url: Url = None) -> None:
    """Statements refused because a different one for the same account and day was imported."""
    settlement_call(token, url, "GET", "/v1/reconciliation/conflicts")


@app.command()
def suspense(token: Token, url: Url = None) -> None:
    """Open suspense items, oldest first, with their age, flags and suggested matches."""
    settlement_call(token, url, "GET", "/v1/reconciliation/suspense")


@app.command()
def confirm(line: Line, token: Token, url: Url = None, reason: OptionalReason = None) -> None:
    """Confirm a line's suggested match."""
    settlement_call(token, url, "POST", f"/v1/reconciliation/suspense/{line}/confirm", **_reason(reason))


@app.command()
def reject(line: Line, token: Token, url: Url = None, reason: OptionalReason = None) -> None:
    """Reject a line's suggested match; it stays in suspense and is not suggested again."""
    settlement_call(token, url, "POST", f"/v1/reconciliation/suspense/{line}/reject", **_reason(reason))


@app.command()
def match(
    line: Line,
    target: Annotated[
        str,
        typer.Argument(help="payout:<id> or return:<id> (money out), receivable:<supplier id> (money in)"),
    ],
    token: Token,
    reason: Reason,
    url: Url = None,
) -> None:
    """Match a line to a ledger item the rules could not find."""
    settlement_call(
        token,
        url,
        "POST",
        f"/v1/reconciliation/suspense/{line}/match",
        json={"target": target, "reason": reason},
    )


@app.command("return")
def return_to_payer(
    line: Line,
    token: Token,
    reason: Reason,
    url: Url = None,
    payer_account: Annotated[
        str | None, typer.Option("--payer-account", help="the line's counterparty account if not given")
    ] = None,
) -> None:
    """Send money that came in unexplained back to its payer through the bank."""
    body: dict[str, Any] = {"reason": reason}
    if payer_account:
        body["payer_account"] = payer_account
    settlement_call(token, url, "POST", f"/v1/reconciliation/suspense/{line}/return", json=body)


@app.command("write-off")
def write_off(line: Line, token: Token, reason: Reason, url: Url = None) -> None:
    """Ask to write a line off; a second reconciliation officer approves it."""
    settlement_call(
        token, url, "POST", f"/v1/reconciliation/suspense/{line}/write-off", json={"reason": reason}
    )


@app.command()
def approve(line: Line, token: Token, url: Url = None, reason: OptionalReason = None) -> None:
    """Approve another operator's write-off of a line."""
    settlement_call(
        token, url, "POST", f"/v1/reconciliation/suspense/{line}/write-off/approve", **_reason(reason)
    )


@app.command()
def simulated(
    token: Token,
    url: Url = None,
    on: Annotated[str | None, typer.Option("--on", help="the day, YYYY-MM-DD (default today)")] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.CSV,
    layout: Annotated[Layout, typer.Option("--layout", help="CSV column layout")] = Layout.GENERIC,
    batch: Annotated[bool, typer.Option("--batch", help="book each payout run as one line")] = False,
) -> None:
    """The bank simulator's statement of a day, in the format a bank sends (an XLSX workbook is
    written to standard output as its bytes: redirect it to a file)."""
    params: dict[str, str] = {"format": format.value, "layout": layout.value}
    if on:
        params["on"] = on
    if batch:
        params["batch"] = "true"
    settlement_call(token, url, "GET", "/v1/bank-simulator/statement", params=params)
