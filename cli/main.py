"""`unisettle`: the operator's command line.

unisettle token --role researcher --tenant tsinghua --sub alice [--grant G-1] [--supplier-id S-1]
unisettle relay --dsn postgresql://... --name orders
unisettle check | status | dlq ... | audit ... | payouts run | statement import FILE | statement simulated

Commands that act on money (payouts, statements) go through settlement's API, as platform_ops
named by --by, so they are checked and recorded like any other operator's request.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from plumbing.auth import PLATFORM_TENANT, Principal, Role
from plumbing.settings import StackSettings

if TYPE_CHECKING:
    import httpx


def _token(args: argparse.Namespace) -> int:
    codec = StackSettings().token_codec()
    role = Role(args.role)
    if role is Role.SUPPLIER and not args.supplier_id:
        print("error: a supplier token needs --supplier-id", file=sys.stderr)
        return 2
    principal = Principal(
        subject=args.sub,
        role=role,
        tenant_id=args.tenant,
        supplier_id=args.supplier_id,
        grant_ids=tuple(args.grant or ()),
    )
    print(codec.issue(principal, ttl=timedelta(minutes=args.ttl_minutes)))
    return 0


def _relay(args: argparse.Namespace) -> int:
    import asyncio

    from plumbing.logs import configure_logging
    from plumbing.relay import OutboxRelay

    configure_logging(f"{args.name}-relay")
    stack = StackSettings()
    relay = OutboxRelay(name=args.name, dsn=args.dsn, bootstrap_servers=stack.kafka_bootstrap_servers)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(relay.run())
    return 0


def _check(args: argparse.Namespace) -> int:
    import asyncio

    import asyncpg

    from services.settlement.checks.agreement import disagreements
    from services.settlement.checks.invariants import main as check_main

    status = asyncio.run(check_main(args.dsn or _service_dsn("settlement")))

    async def cross() -> list[str]:
        orders = await asyncpg.connect(args.orders_dsn or _service_dsn("orders"))
        settlement = await asyncpg.connect(args.dsn or _service_dsn("settlement"))
        try:
            return await disagreements(orders, settlement)
        finally:
            await orders.close()
            await settlement.close()

    problems = asyncio.run(cross())
    detail = "ok" if not problems else "; ".join(problems)
    print(f"{'PASS' if not problems else 'FAIL'}  8. orders and escrows agree (system quiet): {detail}")
    return status or (1 if problems else 0)


SERVICES = ("orders", "settlement", "suppliers", "refunds")


def _service_dsn(service: str) -> str:
    import importlib

    module = importlib.import_module(f"services.{service}.config")
    settings_class = getattr(module, f"{service.capitalize()}Settings")
    dsn: str = settings_class().database_url
    return dsn


def _dlq(args: argparse.Namespace) -> int:
    import asyncio
    import json

    import asyncpg

    from plumbing import dead_letter_ops as ops
    from plumbing.outbox import Outbox

    if args.action != "list" and args.id is None:
        print(f"error (id_required): `dlq {args.action}` needs the dead letter's id", file=sys.stderr)
        return 2

    async def run() -> int:
        conn = await asyncpg.connect(args.dsn or _service_dsn(args.service))
        try:
            if args.action == "list":
                for letter in await ops.list_letters(conn, include_resolved=args.all):
                    print(
                        f"{letter.id:>6}  {letter.created_at[:19]}  {letter.consumer:<11} "
                        f"{letter.reason_code:<24}"
                        f" {letter.source}  {letter.event_type or '-'}  {letter.resolution or 'open'}"
                    )
            elif args.action == "show":
                print(json.dumps(await ops.show(conn, args.id), indent=2, default=str, ensure_ascii=False))
            else:
                action = "replayed" if args.action == "replay" else "discarded"
                await ops.resolve(conn, Outbox(), args.id, action, args.by, args.reason)
                print(f"dead letter {args.id} {action}")
            return 0
        except ops.DeadLetterError as exc:
            print(f"error ({exc.code}): {exc}", file=sys.stderr)
            return 1
        finally:
            await conn.close()

    return asyncio.run(run())


def _audit(args: argparse.Namespace) -> int:
    import asyncio

    import asyncpg

    from plumbing import audit

    async def run() -> int:
        conn = await asyncpg.connect(args.dsn or _service_dsn(args.service))
        try:
            found = await audit.entries(
                conn,
                tenant_id=args.tenant,
                subject=args.subject,
                action=args.action,
                limit=args.limit,
                newest=True,
            )
        finally:
            await conn.close()
        for e in found:
            why = f"  ({e['reason']})" if e["reason"] else ""
            print(
                f"{e['id']:>6}  {e['occurred_at'].isoformat(timespec='seconds')}  "
                f"{e['actor_id']} ({e['actor_role']})  {e['tenant_id']}  {e['action']}  {e['subject']}{why}\n"
                f"        {audit.changes(e['before'], e['after'])}"
            )
        return 0

    return asyncio.run(run())


def _status(args: argparse.Namespace) -> int:
    import asyncio

    from plumbing.operations import service_status

    stack = StackSettings()

    async def run() -> None:
        print(f"{'service':<11} {'outbox':>7} {'oldest':>8} {'dlq':>4}  consumer lag")
        for service in SERVICES:
            s = await service_status(
                service,
                _service_dsn(service),
                stack.kafka_bootstrap_servers,
                f"{stack.topic_prefix}{service}",
            )
            oldest = f"{s.oldest_unsent_seconds:.1f}s" if s.oldest_unsent_seconds is not None else "-"
            lag = ", ".join(f"{t}={n}" for t, n in s.consumer_lag.items()) or "-"
            print(f"{service:<11} {s.outbox_backlog:>7} {oldest:>8} {s.open_dead_letters:>4}  {lag}")

    asyncio.run(run())
    return 0


def _settlement_call(args: argparse.Namespace, method: str, path: str, **request: Any) -> int:
    """One request to settlement's API as platform_ops named by --by; prints the answer."""
    import os

    import httpx

    principal = Principal(subject=args.by, role=Role.PLATFORM_OPS, tenant_id=PLATFORM_TENANT)
    token = StackSettings().token_codec().issue(principal, ttl=timedelta(minutes=5))
    url = (args.url or os.environ.get("UNISETTLE_SETTLEMENT_URL", "http://127.0.0.1:8002")).rstrip("/")
    headers = {"Authorization": f"Bearer {token}", **request.pop("headers", {})}
    try:
        response = httpx.request(method, f"{url}{path}", headers=headers, timeout=300, **request)
    except httpx.TransportError as exc:
        print(f"error (settlement_unreachable): {url}: {exc}", file=sys.stderr)
        return 1
    return _answer(response)


def _answer(response: httpx.Response) -> int:
    import json

    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            print(f"error ({error['code']}): {error['message']}", file=sys.stderr)
        except (ValueError, KeyError, TypeError):
            print(f"error: HTTP {response.status_code}: {response.text[:500]}", file=sys.stderr)
        return 1
    if response.headers.get("content-type", "").startswith("application/json"):
        print(json.dumps(response.json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(response.text)
    return 0


def _payouts(args: argparse.Namespace) -> int:
    return _settlement_call(args, "POST", "/v1/payouts/runs")


def _statement(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.action == "simulated":
        params = {"on": args.on} if args.on else {}
        return _settlement_call(args, "GET", "/v1/bank-simulator/statement", params=params)
    if not args.file:
        print("error: statement import needs the CSV file", file=sys.stderr)
        return 2
    try:
        content = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return _settlement_call(
        args, "POST", "/v1/reconciliation/statements", headers={"Content-Type": "text/csv"}, content=content
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="unisettle", description="UniSettle operator commands")
    commands = root.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="mint a development bearer token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--tenant", required=True, help="university id")
    token.add_argument("--sub", required=True, help="user id")
    token.add_argument("--supplier-id")
    token.add_argument("--grant", action="append", help="grant id (repeatable)")
    token.add_argument("--ttl-minutes", type=int, default=60)
    token.set_defaults(run=_token)
    relay = commands.add_parser("relay", help="run an outbox relay on its own (services run one inside)")
    relay.add_argument("--dsn", required=True, help="the service database")
    relay.add_argument("--name", required=True, help="relay name; one relay per name publishes at a time")
    relay.set_defaults(run=_relay)
    check = commands.add_parser("check", help="verify the money invariants over settlement's database")
    check.add_argument("--dsn", help="settlement database (default: SETTLEMENT_DATABASE_URL)")
    check.add_argument("--orders-dsn", help="orders database, for invariant 8 (default: ORDERS_DATABASE_URL)")
    check.set_defaults(run=_check)
    dlq = commands.add_parser("dlq", help="inspect, replay or discard a service's dead letters")
    dlq.add_argument("action", choices=["list", "show", "replay", "discard"])
    dlq.add_argument("id", nargs="?", type=int, help="dead letter id (show, replay, discard)")
    dlq.add_argument("--service", choices=SERVICES, required=True)
    dlq.add_argument("--dsn", help="the service database (default: from the service's settings)")
    dlq.add_argument("--all", action="store_true", help="list resolved ones too")
    dlq.add_argument("--by", default="", help="who resolves it (replay, discard)")
    dlq.add_argument("--reason", default="", help="why (replay, discard)")
    dlq.set_defaults(run=_dlq)
    trail = commands.add_parser("audit", help="a service's audit trail, newest entries, oldest first")
    trail.add_argument("--service", choices=SERVICES, required=True)
    trail.add_argument("--dsn", help="the service database (default: from the service's settings)")
    trail.add_argument("--subject", help="e.g. order:O-1, grant:G-1, supplier:SUP-004")
    trail.add_argument("--action", help="e.g. grant.budget_adjusted, payout.initiated")
    trail.add_argument("--tenant", help="one university (or platform)")
    trail.add_argument("--limit", type=int, default=50)
    trail.set_defaults(run=_audit)
    status = commands.add_parser(
        "status", help="outbox backlog, open dead letters and consumer lag per service"
    )
    status.set_defaults(run=_status)
    payouts = commands.add_parser("payouts", help="run a payout run now (through settlement's API)")
    payouts.add_argument("action", choices=["run"])
    payouts.set_defaults(run=_payouts)
    statement = commands.add_parser(
        "statement", help="import a bank statement CSV, or fetch the bank simulator's statement of a day"
    )
    statement.add_argument("action", choices=["import", "simulated"])
    statement.add_argument("file", nargs="?", help="the statement CSV (import)")
    statement.add_argument("--on", help="the day, YYYY-MM-DD (simulated; default today)")
    statement.set_defaults(run=_statement)
    for sub in (payouts, statement):
        sub.add_argument("--by", required=True, help="the operator acting (recorded)")
        sub.add_argument("--url", help="settlement's base URL (default: UNISETTLE_SETTLEMENT_URL or :8002)")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
