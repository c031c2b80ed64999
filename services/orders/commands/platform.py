"""Procurement platforms' commands from `orders.commands`: place a cart, cancel what was placed.
Each external reference is taken once per kind; the same command again is a no-op, another
command under the same reference is refused (`duplicate_external_ref`)."""

from __future__ import annotations

import asyncpg

from contracts.events.commands import CancelOrder, PlaceOrder
from contracts.events.orders import CancelReason
from plumbing.errors import AppError
from plumbing.messaging.delivery import Delivery, PoisonEvent
from services.orders.adapters import repository as repo
from services.orders.commands.checkout import Buyer, place_orders, request_hash
from services.orders.context import Context
from services.orders.domain.checkout import CartLine
from services.orders.domain.errors import OrderNotFound


async def on_platform_command(conn: asyncpg.Connection, delivery: Delivery, ctx: Context) -> None:
    command = delivery.payload
    assert isinstance(command, PlaceOrder | CancelOrder)
    kind = "place" if isinstance(command, PlaceOrder) else "cancel"
    if not await _claim(conn, command, kind):
        return  # the same command again: already done
    buyer = Buyer(
        delivery.envelope.tenant_id,
        command.buyer if isinstance(command, PlaceOrder) else command.requested_by,
    )
    try:
        if isinstance(command, PlaceOrder):
            await _place(conn, ctx, command, buyer)
        else:
            await _cancel(conn, ctx, command, buyer)
    except AppError as exc:
        raise PoisonEvent(exc.code, exc.message) from exc


async def _claim(conn: asyncpg.Connection, command: PlaceOrder | CancelOrder, kind: str) -> bool:
    """Take the command's external reference; False if this very command took it before."""
    digest = request_hash(command.model_dump(mode="json"))
    claimed = await conn.fetchval(
        """insert into platform_commands (platform_id, external_ref, kind, request_hash)
           values ($1, $2, $3, $4) on conflict do nothing returning true""",
        command.platform_id,
        command.external_ref,
        kind,
        digest,
    )
    if claimed:
        return True
    earlier = await conn.fetchval(
        """select request_hash from platform_commands
           where platform_id = $1 and external_ref = $2 and kind = $3""",
        command.platform_id,
        command.external_ref,
        kind,
    )
    if earlier == digest:
        return False
    raise PoisonEvent("duplicate_external_ref", f"{command.external_ref} was used for another {kind}")


async def _place(conn: asyncpg.Connection, ctx: Context, command: PlaceOrder, buyer: Buyer) -> None:
    checkout_id = f"{command.platform_id}:{command.external_ref}"
    cart = [CartLine(x.supplier_id, x.sku, x.quantity, x.unit_price_minor) for x in command.lines]
    await place_orders(conn, ctx, buyer, command.grant_id, cart, checkout_id, command.external_ref)
    await conn.execute(
        """update platform_commands set checkout_id = $3
           where platform_id = $1 and external_ref = $2 and kind = 'place'""",
        command.platform_id,
        command.external_ref,
        checkout_id,
    )


async def _cancel(conn: asyncpg.Connection, ctx: Context, command: CancelOrder, buyer: Buyer) -> None:
    checkout_id = f"{command.platform_id}:{command.external_ref}"
    ids = [
        r["order_id"]
        for r in await conn.fetch(
            "select order_id from orders where checkout_id = $1 and tenant_id = $2 order by order_id",
            checkout_id,
            buyer.tenant_id,
        )
    ]
    if not ids:
        raise OrderNotFound(f"no orders were placed as {command.external_ref!r}")
    for order_id in ids:
        order = await repo.get(conn, order_id, for_update=True)
        assert order is not None
        order.cancel(buyer.actor, CancelReason.BUYER_CANCELLED, command.reason, ctx.clock.now())
        await repo.save(conn, order, ctx.outbox)
