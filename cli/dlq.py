"""`unisettle dlq`: a service's dead letters — list, show, replay, discard."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import asyncpg
import typer

from cli.common import Dsn, ServiceOption, fail, service_dsn
from plumbing.messaging.outbox import Outbox
from plumbing.ops import dead_letters as ops
from plumbing.settings import StackSettings

app = typer.Typer(help="Inspect, replay or discard a service's dead letters.", no_args_is_help=True)
Id = Annotated[int, typer.Argument(help="the dead letter's id (from `unisettle dlq list`)")]
By = Annotated[str, typer.Option("--by", help="who resolves it (recorded)")]
Reason = Annotated[str, typer.Option("--reason", help="why (recorded)")]
T = TypeVar("T")


def _on(service: str, dsn: str | None, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def run() -> T:
        conn = await asyncpg.connect(dsn or service_dsn(service))
        try:
            return await work(conn)
        except ops.DeadLetterError as exc:
            raise fail(exc.code, str(exc)) from exc
        finally:
            await conn.close()

    return asyncio.run(run())


@app.command("list")
def list_letters(
    service: ServiceOption,
    dsn: Dsn = None,
    include_resolved: Annotated[bool, typer.Option("--all", help="resolved ones too")] = False,
) -> None:
    """Dead letters, open ones first."""
    for letter in _on(service, dsn, lambda c: ops.list_letters(c, include_resolved=include_resolved)):
        print(
            f"{letter.id:>6}  {letter.created_at[:19]}  {letter.consumer:<11} {letter.reason_code:<24}"
            f" {letter.source}  {letter.event_type or '-'}  {letter.resolution or 'open'}"
        )


@app.command()
def show(letter_id: Id, service: ServiceOption, dsn: Dsn = None) -> None:
    """The original bytes (base64), headers and reason of one dead letter."""
    print(
        json.dumps(
            _on(service, dsn, lambda c: ops.show(c, letter_id)), indent=2, default=str, ensure_ascii=False
        )
    )


def _resolve(letter_id: int, service: str, dsn: str | None, action: str, by: str, reason: str) -> None:
    outbox = Outbox(StackSettings().topic_prefix)  # a replay goes to the deployment's replay topic
    _on(service, dsn, lambda c: ops.resolve(c, outbox, letter_id, action, by, reason))
    print(f"dead letter {letter_id} {action}")


@app.command()
def replay(letter_id: Id, service: ServiceOption, by: By = "", reason: Reason = "", dsn: Dsn = None) -> None:
    """Publish it again to its consumer (only), once the cause is fixed."""
    _resolve(letter_id, service, dsn, "replayed", by, reason)


@app.command()
def discard(letter_id: Id, service: ServiceOption, by: By = "", reason: Reason = "", dsn: Dsn = None) -> None:
    """Mark it resolved without replaying it."""
    _resolve(letter_id, service, dsn, "discarded", by, reason)
