"""Checkout: a cart from several suppliers becomes one order per supplier."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from services.orders.api.deps import BuyerRole, Ctx
from services.orders.api.schemas import CheckoutIn, CheckoutOut, OrderOut
from services.orders.commands import checkout as commands
from services.orders.domain.checkout import CartLine
from services.orders.domain.order import Order

router = APIRouter(prefix="/v1/checkouts", tags=["checkout"])


def render(checkout_id: str, orders: list[Order]) -> bytes:
    """The answer's bytes, serialised once: kept as they are for the key's replays."""
    return (
        CheckoutOut(
            checkout_id=checkout_id,
            orders=[OrderOut.of(o) for o in orders],
            total_minor=sum(o.total_minor for o in orders),
        )
        .model_dump_json()
        .encode()
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CheckoutOut)
async def checkout(
    body: CheckoutIn,
    ctx: Ctx,
    buyer: BuyerRole,
    idempotency_key: Annotated[str, Header(min_length=8, max_length=200)],
) -> Response:
    """Check out a cart on a grant. Each line carries the price the buyer saw; a price that
    changed since is refused (`stale_price`). Send an `Idempotency-Key`: the same key and body
    return the first answer (200); the same key with another body is refused."""
    cart = [CartLine(x.supplier_id, x.sku, x.quantity, x.unit_price_minor) for x in body.lines]
    body_bytes, created = await commands.checkout(
        ctx,
        commands.Buyer(buyer.tenant_id, buyer.actor),
        body.grant_id,
        cart,
        idempotency_key,
        render,
    )
    return Response(
        body_bytes,
        status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        media_type="application/json",
    )
