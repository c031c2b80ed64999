"""`unisettle payouts` and `unisettle statement`: what acts on money goes through settlement's
API as platform_ops named by --by, so it is checked and recorded like any operator's request."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import By, Url, fail, settlement_call

payouts = typer.Typer(help="Payout runs.", no_args_is_help=True)
statement = typer.Typer(help="Bank statements.", no_args_is_help=True)


@payouts.command()
def run(by: By, url: Url = None) -> None:
    """Run a payout run now."""
    settlement_call(by, url, "POST", "/v1/payouts/runs")


@statement.command("import")
def import_statement(
    file: Annotated[Path, typer.Argument(help="the statement CSV")], by: By, url: Url = None
) -> None:
    """Import a bank statement CSV and print the reconciliation report."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise fail("unreadable_file", str(exc)) from exc
    settlement_call(
        by,
        url,
        "POST",
        "/v1/reconciliation/statements",
        headers={"Content-Type": "text/csv"},
        content=content,
    )


@statement.command()
def simulated(
    by: By,
    url: Url = None,
    on: Annotated[str | None, typer.Option("--on", help="the day, YYYY-MM-DD (default today)")] = None,
) -> None:
    """The bank simulator's statement of a day, as CSV."""
    settlement_call(by, url, "GET", "/v1/bank-simulator/statement", params={"on": on} if on else {})
