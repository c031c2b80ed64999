"""Reading orders: one (optionally waiting for a status), lists, and the timeline."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from plumbing.web.pagination import decode_cursor, encode_cursor
from plumbing.web.responses import json_response
from services.orders.adapters import queries
from services.orders.adapters import repository as repo
from services.orders.api.deps import Ctx, OrderIdPath, Reader
from services.orders.api.schemas import OrderOut, OrderPage, TimelineEntryOut
from services.orders.domain.errors import OrderNotFound
from services.orders.domain.order import Order, OrderStatus

router = APIRouter(prefix="/v1/orders", tags=["orders"])
FINAL = frozenset({OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.CLOSED})


async def _visible(ctx: Ctx, principal: Reader, order_id: str) -> Order:
    async with ctx.pool.acquire() as conn:
        order = await repo.get(conn, order_id)
        scope = await queries.scope_grants(conn, principal, ctx.today)
    if order is None or not queries.may_see(principal, order, scope):
        raise OrderNotFound(f"no order {order_id!r}")
    return order


@router.get("/{order_id}", response_model=OrderOut)
async def get_order(
    order_id: OrderIdPath,
    ctx: Ctx,
    principal: Reader,
    wait_for: Annotated[
        OrderStatus | None, Query(description="return once the order has this status")
    ] = None,
    timeout: Annotated[float, Query(ge=0, le=30, description="seconds to wait at most")] = 10,
) -> Response:
    """An order. With `wait_for`, the answer waits (up to `timeout`) until the order reaches that
    status or a final one, so a client can read the outcome of the saga step it started."""
    if wait_for is None:
        return json_response(OrderOut.of(await _visible(ctx, principal, order_id)))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    # Watched before it is read: a change committed in between still wakes this reader.
    async with ctx.status_changes.watch(order_id) as watch:
        order = await _visible(ctx, principal, order_id)
        while order.status is not wait_for and order.status not in FINAL:
            left = deadline - loop.time()
            if left <= 0 or not await watch.changed(left):
                break
            order = await _visible(ctx, principal, order_id)
    return json_response(OrderOut.of(order))


@router.get("", response_model=OrderPage)
async def list_orders(
    ctx: Ctx,
    principal: Reader,
    grant_id: str | None = None,
    status: OrderStatus | None = None,
    supplier_id: str | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> OrderPage:
    """Orders the caller may see: a buyer's own and those on grants they lead, a university's
    for its finance office (those under its unit for an officer or approver of one unit), a
    supplier's own, everything for operations."""
    async with ctx.pool.acquire() as conn:
        ids = await queries.order_ids(
            conn,
            principal,
            scope=await queries.scope_grants(conn, principal, ctx.today),
            grant_id=grant_id,
            status=status.value if status else None,
            supplier_id=supplier_id,
            placed_from=placed_from,
            placed_to=placed_to,
            after=decode_cursor(cursor),
            limit=limit + 1,
        )
        orders = [o for o in [await repo.get(conn, i) for i in ids[:limit]] if o is not None]
    next_cursor = encode_cursor(ids[limit - 1]) if len(ids) > limit else None
    return OrderPage(items=[OrderOut.of(o) for o in orders], next_cursor=next_cursor)


@router.get("/{order_id}/timeline", response_model=list[TimelineEntryOut])
async def timeline(order_id: OrderIdPath, ctx: Ctx, principal: Reader) -> list[TimelineEntryOut]:
    """Every change of the order: who, when, from which status to which, and why."""
    await _visible(ctx, principal, order_id)
    async with ctx.pool.acquire() as conn:
        rows = await queries.timeline(conn, order_id)
    return [TimelineEntryOut(**dict(r)) for r in rows]
