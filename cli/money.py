"""`unisettle payouts`: what acts on money goes through settlement's
API as platform_ops named by --by, so it is checked and recorded like any operator's request."""

from __future__ import annotations

import typer

from cli.common import By, Url, settlement_call

payouts = typer.Typer(help="Payout runs.", no_args_is_help=True)


@payouts.command()
def run(by: By, url: Url = None) -> None:
    """Run a payout run now."""
    settlement_call(by, url, "POST", "/v1/payouts/runs")
