"""The orders service's commands and event handlers, one function each, registered at the bottom.
Each command runs in one transaction: lock the order, apply the rule, save state and events."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from contracts.events.commands import CancelOrder, PlaceOrder
from contracts.events.common import Actor
from contracts.events.orders import CancelReason
from contracts.events.refunds import RefundClosed, RefundCompleted, RefundRequested
from contracts.events.settlement import (
    EscrowReleased,
    EscrowVoided,
    FundsRejected,
    FundsReserved,
    GrantBuyersChanged,
    GrantClosed,
    GrantRegistered,
)
from contracts.events.suppliers import (
    BankAccountChanged,
    BankAccountVerified,
    LicenceExpired,
    LicenceRenewed,
    ListingChanged,
    ListingPublished,
    ListingWithdrawn,
    SupplierActivated,
    SupplierApproved,
    SupplierRegistered,
    SupplierReinstated,
    SupplierRejected,
    SupplierSuspended,
)
from plumbing.acting import Aggregate
from plumbing.appliers import Appliers, HandlerTable
from plumbing.audit import Audited
from plumbing.clock import Clock
from plumbing.dead_letters import DeadLetter
from plumbing.delivery import Delivery, Handler, PoisonEvent
from plumbing.errors import AppError
from plumbing.notifications import Changes
from plumbing.outbox import Outbox
from services.orders.adapters import placing, projections
from services.orders.adapters import repository as repo
from services.orders.domain.checkout import CartLine, split_cart
from services.orders.domain.errors import IdempotencyKeyReused, NotYourOrder, OrderNotFound
from services.orders.domain.order import Order, TimerKind
from services.orders.domain.policy import Deadlines


@dataclass
class Context:
    pool: asyncpg.Pool
    outbox: Outbox
    clock: Clock
    deadlines: Deadlines
    status_changes: Changes  # wakes readers waiting for an order's status (wait_for)


@dataclass(frozen=True)
class Buyer:
    tenant_id: str
    actor: Actor


# ---------------------------------------------------------------- checkout


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
    shares = split_cart(cart, grant, buyer.actor, buyer.tenant_id, seen.suppliers, seen.listings, now.date())
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


# ---------------------------------------------------------------- actions on one order


async def act(
    ctx: Context,
    order_id: str,
    action: Callable[[Order], object],
    visible: Callable[[Order], bool] = lambda _: True,
    audited: Audited | None = None,
) -> Order:
    """Apply `action` to the locked order and save it; `visible` says whether the caller may.
    An `audited` action is recorded in the audit trail with the order before and after."""
    return await orders_of(ctx).act(ctx.pool, order_id, action, visible, audited, ctx.clock.now)


def orders_of(ctx: Context) -> Aggregate[Order]:
    """How an order is loaded, saved and shown when someone acts on it."""

    async def load(conn: asyncpg.Connection, order_id: str) -> Order | None:
        return await repo.get(conn, order_id, for_update=True)

    async def save(conn: asyncpg.Connection, order: Order) -> None:
        await repo.save(conn, order, ctx.outbox)

    return Aggregate(
        load,
        save,
        audit_view,
        lambda o: f"order:{o.order_id}",
        lambda o: o.tenant_id,
        lambda order_id: OrderNotFound(f"no order {order_id!r}"),
    )


def audit_view(order: Order) -> dict[str, object]:
    """What the audit trail keeps of an order: where it stands and its money."""
    return {
        "status": order.status.value,
        "funds": order.funds.value,
        "total_minor": order.total_minor,
        "grant_id": order.grant_id,
        "supplier_id": order.supplier_id,
        "approvals_given": sorted(reason.value for reason in order.approvals_given),
    }


def supplier_of(supplier_id: str | None) -> Callable[[Order], bool]:
    def check(order: Order) -> bool:
        if order.supplier_id != supplier_id:
            raise NotYourOrder("this order belongs to another supplier")
        return True

    return check


# ---------------------------------------------------------------- deadlines


async def fire_due_deadlines(ctx: Context, limit: int = 200) -> int:
    """Fire every deadline that has passed; returns how many changed an order."""
    now = ctx.clock.now()
    fired = 0
    async with ctx.pool.acquire() as conn, conn.transaction():
        due = await conn.fetch(
            """select order_id, kind from order_timers where due_at <= $1
               order by due_at, kind limit $2 for update skip locked""",
            now,
            limit,
        )
        for row in due:
            order = await repo.get(conn, row["order_id"], for_update=True)
            if order is None:
                continue
            before = audit_view(order)
            if order.fire(TimerKind(row["kind"]), now):
                fired += 1
                deadline = Audited.by_deadline(f"order.{row['kind']}_deadline", "the deadline passed")
                await orders_of(ctx).audit(conn, deadline, order, before, now)
            await repo.save(conn, order, ctx.outbox)
    return fired


# ---------------------------------------------------------------- events from other services


OrderEventApply = Callable[[Order, Delivery, Context], object]


class OrderEvents:
    """Settlement's and refunds' events about orders, applied a poll at a time: every order the
    poll names is loaded at once (locked in id order), each event is applied in record order to
    its order in memory (a later event of the poll sees the earlier ones), and every order that
    changed is saved at once. An event that cannot be applied raises (`PoisonEvent`): the consumer
    then applies the poll again one event at a time — this same code, with polls of one."""

    def __init__(self, ctx: Context, appliers: Mapping[str, OrderEventApply]) -> None:
        self.ctx, self.appliers = ctx, appliers

    def handles(self, event_type: str) -> bool:
        return event_type in self.appliers

    async def __call__(self, conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> list[DeadLetter]:
        named = sorted({_order_id(d) for d in deliveries})
        orders = await repo.get_many(conn, named, for_update=True)
        causes: dict[str, list[repo.Cause]] = {}
        changed: dict[str, Order] = {}
        for delivery in deliveries:
            order = orders.get(_order_id(delivery))
            if order is None:
                raise PoisonEvent("unknown_order", f"no order {_order_id(delivery)!r}")
            before = len(order.events)
            self.appliers[delivery.envelope.event_type](order, delivery, self.ctx)
            new = len(order.events) - before
            causes.setdefault(order.order_id, []).extend(
                [repo.Cause(delivery.envelope.event_id, delivery.trace)] * new
            )
            if order.events or order.timeline:  # else the event was old news: leave the row as it is
                changed[order.order_id] = order
        await repo.save_many(conn, list(changed.values()), self.ctx.outbox, causes)
        return []


def _order_id(delivery: Delivery) -> str:
    order_id: str = delivery.payload.order_id  # type: ignore[attr-defined]
    return order_id


def _funds_reserved(order: Order, d: Delivery, ctx: Context) -> None:
    order.funds_reserved(ctx.clock.now(), ctx.deadlines)


def _funds_rejected(order: Order, d: Delivery, ctx: Context) -> None:
    p = d.payload
    assert isinstance(p, FundsRejected)
    order.funds_rejected(p.reason_code.value, p.detail, ctx.clock.now())


def _escrow_released(order: Order, d: Delivery, ctx: Context) -> None:
    p = d.payload
    assert isinstance(p, EscrowReleased)
    order.escrow_released(p.gross.amount_minor, ctx.clock.now())


def _escrow_voided(order: Order, d: Delivery, ctx: Context) -> None:
    order.escrow_voided(ctx.clock.now())


def _refund_requested(order: Order, d: Delivery, ctx: Context) -> None:
    order.refund_opened(d.payload.refund_id, ctx.clock.now())  # type: ignore[attr-defined]


def _refund_closed(order: Order, d: Delivery, ctx: Context) -> None:
    order.refund_closed(d.payload.refund_id, ctx.clock.now())  # type: ignore[attr-defined]


def _refund_completed(order: Order, d: Delivery, ctx: Context) -> None:
    p = d.payload
    assert isinstance(p, RefundCompleted)
    order.refund_completed(p.refund_id, p.amount.amount_minor, ctx.clock.now())


def projection(apply: Callable[[asyncpg.Connection, Any, Any], Any]) -> Callable[[Context], Handler]:
    def bind(ctx: Context) -> Handler:
        async def handle(conn: asyncpg.Connection, delivery: Delivery) -> None:
            await apply(conn, delivery.envelope, delivery.payload)

        return handle

    return bind


# ---------------------------------------------------------------- platform commands


def _command(ctx: Context) -> Handler:
    async def handle(conn: asyncpg.Connection, delivery: Delivery) -> None:
        command = delivery.payload
        assert isinstance(command, PlaceOrder | CancelOrder)
        kind = "place" if isinstance(command, PlaceOrder) else "cancel"
        digest = request_hash(command.model_dump(mode="json"))
        claimed = await conn.fetchval(
            """insert into platform_commands (platform_id, external_ref, kind, request_hash)
               values ($1, $2, $3, $4) on conflict do nothing returning true""",
            command.platform_id,
            command.external_ref,
            kind,
            digest,
        )
        if not claimed:
            earlier = await conn.fetchval(
                """select request_hash from platform_commands
                   where platform_id = $1 and external_ref = $2 and kind = $3""",
                command.platform_id,
                command.external_ref,
                kind,
            )
            if earlier == digest:
                return  # the same command again: already done
            raise PoisonEvent("duplicate_external_ref", f"{command.external_ref} was used for another {kind}")
        buyer = Buyer(
            delivery.envelope.tenant_id,
            command.buyer if isinstance(command, PlaceOrder) else command.requested_by,
        )
        try:
            if isinstance(command, PlaceOrder):
                checkout_id = f"{command.platform_id}:{command.external_ref}"
                cart = [CartLine(x.supplier_id, x.sku, x.quantity, x.unit_price_minor) for x in command.lines]
                await place_orders(
                    conn, ctx, buyer, command.grant_id, cart, checkout_id, command.external_ref
                )
                await conn.execute(
                    """update platform_commands set checkout_id = $4
                       where platform_id = $1 and external_ref = $2 and kind = $3""",
                    command.platform_id,
                    command.external_ref,
                    kind,
                    checkout_id,
                )
            else:
                await _cancel_by_platform(conn, ctx, command, buyer)
        except AppError as exc:
            raise PoisonEvent(exc.code, exc.message) from exc

    return handle


async def _cancel_by_platform(
    conn: asyncpg.Connection, ctx: Context, command: CancelOrder, buyer: Buyer
) -> None:
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


ORDER_EVENTS: dict[str, OrderEventApply] = {
    FundsReserved.event_type: _funds_reserved,
    FundsRejected.event_type: _funds_rejected,
    EscrowReleased.event_type: _escrow_released,
    EscrowVoided.event_type: _escrow_voided,
    RefundRequested.event_type: _refund_requested,
    RefundClosed.event_type: _refund_closed,
    RefundCompleted.event_type: _refund_completed,
}
HANDLER_FACTORIES: dict[str, Callable[[Context], Handler]] = {
    PlaceOrder.event_type: _command,
    CancelOrder.event_type: _command,
    **{
        event.event_type: projection(projections.apply_grant_event)
        for event in (GrantRegistered, GrantBuyersChanged, GrantClosed)
    },
    **{
        event.event_type: projection(projections.apply_supplier_event)
        for event in (
            SupplierActivated,
            SupplierSuspended,
            SupplierReinstated,
            LicenceExpired,
            LicenceRenewed,
            ListingPublished,
            ListingChanged,
            ListingWithdrawn,
            SupplierRegistered,
            SupplierApproved,
            SupplierRejected,
            BankAccountChanged,
            BankAccountVerified,
        )
    },
}


def handlers(ctx: Context) -> Appliers:
    """What the orders consumer applies: order events a poll at a time, the rest event by event."""
    return Appliers(
        OrderEvents(ctx, ORDER_EVENTS),
        HandlerTable({name: factory(ctx) for name, factory in HANDLER_FACTORIES.items()}),
    )
