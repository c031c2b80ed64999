"""The five services' FastAPI apps, built without starting them (no database or broker needed)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

PUBLIC = frozenset({"/health", "/ready", "/metrics"})  # probes: they reveal nothing


@cache
def service_apps() -> dict[str, FastAPI]:
    from services.invoices.main import build as invoices
    from services.orders.main import build as orders
    from services.refunds.main import build as refunds
    from services.settlement.main import build as settlement
    from services.suppliers.main import build as suppliers

    return {
        "orders": orders(),
        "settlement": settlement(),
        "suppliers": suppliers(),
        "refunds": refunds(),
        "invoices": invoices(),
    }


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    dependant: Dependant


def operations(app: FastAPI) -> list[Operation]:
    """Every (method, path) an app serves, with its dependencies as FastAPI resolves them."""
    return [
        Operation(method, context.path or "", context.dependant)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in sorted(context.methods or ())
    ]
