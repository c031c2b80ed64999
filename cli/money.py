"""`unisettle payouts`: what acts on money goes through settlement's API with the acting
operator's token (`--token`, or UNISETTLE_TOKEN), so it is checked and recorded like any request."""

from __future__ import annotations

import typer

from cli.common import Token, Url, settlement_call

payouts = typer.Typer(help="Payout runs.", no_args_is_help=True)


@payouts.command()
def run(token: Token, url: Url = None) -> None:
    """Run a payout run now."""
    settlement_call(token, url, "POST", "/v1/payouts/runs")
