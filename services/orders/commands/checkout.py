"""Checkout: a cart split by supplier into one order each, placed once per idempotency key."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from contracts.events.common import Actor
from services.orders.adapters import placing
from services.orders.context import Context
from services.orders.domain.checkout import CartLine, split_cart
from services.orders.domain.errors import IdempotencyKeyReused
from services.orders.domain.order import Order


@dataclass(frozen=True)
class Buyer:
    tenant_id: str
    actor: Actor


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def plan_orders(
    ctx: Context,
    buyer: Buyer,
    grant_id: str,
    cart: list[CartLine],
    checkout_id: str,
    seen: placing.CheckoutView,
    external_ref: str | None = None,
) -> list[Order]:
    """Split the cart against what was read and make one order per supplier (nothing written)."""
    now = ctx.clock.now()
    grant = seen.grant
    shares = split_cart(
        cart, grant, buyer.actor, buyer.tenant_id, seen.suppliers, seen.listings, now.date(), seen.tree
    )
    assert grant is not None
    return [
        Order.place(
            order_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"unisettle:{checkout_id}:{share.supplier_id}")),
            checkout_id=checkout_id,
            tenant_id=buyer.tenant_id,
            grant_id=grant_id,
            pi_id=grant.pi_id,
            buyer=buyer.actor,
            supplier_id=share.supplier_id,
            lines=share.lines,
            approvals=share.approvals,
            now=now,
            deadlines=ctx.deadlines,
            external_ref=external_ref,
        )
        for share in shares
    ]


def _keys(cart: list[CartLine]) -> list[tuple[str, str]]:
    return [(c.supplier_id, c.sku) for c in cart]


async def place_orders(
    conn: asyncpg.Connection,
    ctx: Context,
    buyer: Buyer,
    grant_id: str,
    cart: list[CartLine],
    checkout_id: str,
    external_ref: str | None = None,
) -> list[Order]:
    """Split the cart and place one order per supplier, inside the caller's transaction."""
    seen = await placing.read(conn, buyer.tenant_id, grant_id, _keys(cart))
    orders = plan_orders(ctx, buyer, grant_id, cart, checkout_id, seen, external_ref)
    await placing.place(conn, orders, ctx.outbox, None)
    return orders


async def checkout(
    ctx: Context,
    buyer: Buyer,
    grant_id: str,
    cart: list[CartLine],
    idempotency_key: str,
    render: Callable[[str, list[Order]], bytes],
) -> tuple[bytes, bool]:
    """Place a checkout once per idempotency key, in two round trips (one read, one write): the
    same key and body return the first answer's very bytes (created=False); the same key with
    another body is refused."""
    digest = request_hash({"grant_id": grant_id, "cart": [c.__dict__ for c in cart]})
    for _ in range(2):
        async with ctx.pool.acquire() as conn:
            seen = await placing.read(
                conn, buyer.tenant_id, grant_id, _keys(cart), (buyer.actor.user_id, idempotency_key)
            )
            if seen.earlier_hash is not None:
                if seen.earlier_hash != digest:
                    raise IdempotencyKeyReused("this Idempotency-Key was used for a different checkout")
                assert seen.earlier_response is not None
                return seen.earlier_response, False
            checkout_id = str(uuid.uuid4())
            orders = plan_orders(ctx, buyer, grant_id, cart, checkout_id, seen)
            body = render(checkout_id, orders)
            record = placing.CheckoutRecord(
                buyer.tenant_id, buyer.actor.user_id, idempotency_key, digest, checkout_id, body
            )
            if await placing.place(conn, orders, ctx.outbox, record):
                return body, True
        # a concurrent request with this key was recorded first: read and answer with its answer
    raise AssertionError("unreachable")  # pragma: no cover
