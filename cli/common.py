"""What the command groups share: the services, their databases, settlement's API as an operator,
and how a command ends (its exit code)."""

from __future__ import annotations

import importlib
import json
import os
import sys
from enum import StrEnum
from typing import Annotated, Any

import httpx
import typer

from plumbing.settings import ServiceSettings


class Service(StrEnum):
    ORDERS = "orders"
    SETTLEMENT = "settlement"
    SUPPLIERS = "suppliers"
    REFUNDS = "refunds"
    INVOICES = "invoices"


def service_settings(service: str) -> ServiceSettings:
    """The service's own settings (its `ORDERS_*`, `SETTLEMENT_*`, … variables)."""
    module = importlib.import_module(f"services.{service}.config")
    settings: ServiceSettings = getattr(module, f"{service.capitalize()}Settings")()
    return settings


def service_dsn(service: str) -> str:
    """The service's database, from its own settings (its `*_DATABASE_URL`)."""
    return service_settings(service).database_url


def fail(code: str, message: str, exit_code: int = 1) -> typer.Exit:
    """An error a person can act on, on stderr, with its stable code; raise what it returns."""
    print(f"error ({code}): {message}", file=sys.stderr)
    return typer.Exit(exit_code)


def done(status: int) -> None:
    if status:
        raise typer.Exit(status)


def settlement_call(token: str, url: str | None, method: str, path: str, **request: Any) -> None:
    """One request to settlement's API with the bearer token of the person acting (the API checks
    their role and records them; the command line invents no one); prints the answer."""
    base = (url or os.environ.get("UNISETTLE_SETTLEMENT_URL", "http://127.0.0.1:8002")).rstrip("/")
    headers = {"Authorization": f"Bearer {token}", **request.pop("headers", {})}
    try:
        response = httpx.request(method, f"{base}{path}", headers=headers, timeout=300, **request)
    except httpx.TransportError as exc:
        raise fail("settlement_unreachable", f"{base}: {exc}") from exc
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            raise fail("http_error", f"HTTP {response.status_code}: {response.text[:500]}") from None
        raise fail(error["code"], error["message"])
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        print(json.dumps(response.json(), indent=2, ensure_ascii=False))
    elif content_type.startswith(("text/", "application/xml")):
        sys.stdout.write(response.text)
    else:  # a workbook: its bytes, for a file
        sys.stdout.buffer.write(response.content)


Token = Annotated[
    str,
    typer.Option(
        "--token",
        envvar="UNISETTLE_TOKEN",
        help="the bearer token of the person acting (default: UNISETTLE_TOKEN); the API checks its role "
        "and records its subject",
        show_default=False,
    ),
]
Url = Annotated[
    str | None,
    typer.Option("--url", help="settlement's base URL (default: UNISETTLE_SETTLEMENT_URL or :8002)"),
]
Dsn = Annotated[str | None, typer.Option("--dsn", help="the service database (default: from its settings)")]
ServiceOption = Annotated[Service, typer.Option("--service", help="whose database")]
