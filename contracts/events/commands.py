"""Commands on `orders.commands`: procurement platforms place and cancel orders by event.

The platform's `external_ref` is the idempotency key and the Kafka key; answers come back as
order events carrying the same `external_ref`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import EventPayload
from contracts.events.common import Actor, Id, Reason
from contracts.money import MinorUnits
from contracts.topics import Topic


class CommandLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    supplier_id: Id
    sku: Id
    quantity: Annotated[int, Field(ge=1)]
    unit_price_minor: MinorUnits


class PlaceOrder(EventPayload):
    topic: ClassVar[Topic] = Topic.ORDERS_COMMANDS
    event_type: ClassVar[str] = "orders.PlaceOrder"
    summary: ClassVar[str] = "A platform asks to check out a cart (one order per supplier)."

    external_ref: Id
    platform_id: Id
    grant_id: Id
    buyer: Actor
    lines: Annotated[list[CommandLine], Field(min_length=1, max_length=500)]


class CancelOrder(EventPayload):
    topic: ClassVar[Topic] = Topic.ORDERS_COMMANDS
    event_type: ClassVar[str] = "orders.CancelOrder"
    summary: ClassVar[str] = "A platform asks to cancel the orders of an earlier PlaceOrder."

    external_ref: Id
    platform_id: Id
    requested_by: Actor
    reason: Reason


ORDER_COMMANDS: tuple[type[EventPayload], ...] = (PlaceOrder, CancelOrder)
