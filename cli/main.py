"""`unisettle`: the operator's command line, one module per command group, on Typer.

unisettle token --role researcher --tenant tsinghua --sub alice [--grant G-1] [--supplier-id S-1]
unisettle check | status | dlq list|show|replay|discard | audit | payouts run
unisettle reconcile import|statements|report|conflicts|suspense|simulated
unisettle reconcile confirm|reject|match|return|write-off|approve LINE
unisettle relay --dsn postgresql://... --name orders
unisettle kafka provision|acls [--prefix P]
"""

from __future__ import annotations

import typer

from cli import audit, check, dlq, kafka, money, reconcile, relay, status, tokens

app = typer.Typer(
    name="unisettle",
    help="UniSettle operator commands.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)
app.command()(tokens.token)
app.command()(check.check)
app.command()(status.status)
app.command()(audit.audit)
app.command()(relay.relay)
app.add_typer(dlq.app, name="dlq")
app.add_typer(kafka.app, name="kafka")
app.add_typer(money.payouts, name="payouts")
app.add_typer(reconcile.app, name="reconcile")


def main(argv: list[str] | None = None) -> int:
    """Run a command; its exit code (0, 1 on a failure, 2 on a mistake in how it was called)."""
    try:
        app(args=argv, prog_name="unisettle")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
