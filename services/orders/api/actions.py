"""What buyers, approvers and suppliers do to an order."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from contracts.events.orders import CancelReason
from plumbing.aggregates.audit import Audited
from plumbing.web.auth import Principal
from plumbing.web.request_bodies import ReasonIn
from services.orders.adapters import queries
from services.orders.api.deps import ApproverRole, BuyerRole, Ctx, OrderIdPath, SupplierRole
from services.orders.api.schemas import OrderOut, ShipIn
from services.orders.commands import actions as commands
from services.orders.commands import delegations
from services.orders.domain.approvals import Acting
from services.orders.domain.order import Order

router = APIRouter(prefix="/v1/orders/{order_id}", tags=["order actions"])


async def approver_may_see(ctx: Ctx, approver: Principal, acting: list[Acting]) -> Callable[[Order], bool]:
    """An approver acts on an order they may see, or one with a step that is theirs to give; any
    other order is not found, as it is to GET — saying its state would say that it exists."""
    async with ctx.pool.acquire() as conn:
        scope = await queries.scope_grants(conn, approver, ctx.today)
    return lambda order: (
        order.tenant_id == approver.tenant_id
        and (queries.may_see(approver, order, scope) or order.approvable_by(acting))
    )


@router.post("/approve", response_model=OrderOut)
async def approve(order_id: OrderIdPath, ctx: Ctx, approver: ApproverRole) -> OrderOut:
    """Give the next approvals the order waits for that are yours to give — as yourself, or for
    an approver who delegated to you: the grant's PI for the grant's threshold and lab-member
    purchases (the university's finance office when the PI is the buyer), unit approvers and
    others as the units' rules ask, a safety officer for hazardous items. Approvals are given in
    order (409 `approval_out_of_order`); no one approves an order they requested (403
    `self_approval`). An order you may not read and have no step on is not found (404), as GET
    says."""
    acting = await delegations.acting_as(ctx, approver)
    order = await commands.act(
        ctx,
        order_id,
        lambda o: o.approve(acting, ctx.clock.now(), ctx.deadlines),
        await approver_may_see(ctx, approver, acting),
        Audited.by(approver, "order.approved"),
    )
    return OrderOut.of(order)


@router.post("/deny", response_model=OrderOut)
async def deny(order_id: OrderIdPath, body: ReasonIn, ctx: Ctx, approver: ApproverRole) -> OrderOut:
    """Any approver the order still waits for may say no: the order closes."""
    acting = await delegations.acting_as(ctx, approver)
    order = await commands.act(
        ctx,
        order_id,
        lambda o: o.deny(acting, body.reason, ctx.clock.now()),
        await approver_may_see(ctx, approver, acting),
        Audited.by(approver, "order.denied", body.reason),
    )
    return OrderOut.of(order)


@router.post("/cancel", response_model=OrderOut)
async def cancel(order_id: OrderIdPath, body: ReasonIn, ctx: Ctx, buyer: BuyerRole) -> OrderOut:
    """The buyer cancels before shipping; settlement returns the escrow to the grant."""
    order = await commands.act(
        ctx,
        order_id,
        lambda o: o.cancel(buyer.actor, CancelReason.BUYER_CANCELLED, body.reason, ctx.clock.now()),
        lambda o: queries.may_see(buyer, o),
        Audited.by(buyer, "order.cancelled", body.reason),
    )
    return OrderOut.of(order)


@router.post("/confirm-receipt", response_model=OrderOut)
async def confirm_receipt(order_id: OrderIdPath, ctx: Ctx, buyer: BuyerRole) -> OrderOut:
    """The buyer confirms the goods arrived: settlement releases the escrow to the supplier."""
    order = await commands.act(
        ctx,
        order_id,
        lambda o: o.confirm_receipt(buyer.actor, ctx.clock.now()),
        lambda o: queries.may_see(buyer, o),
        Audited.by(buyer, "order.receipt_confirmed"),
    )
    return OrderOut.of(order)


@router.post("/ship", response_model=OrderOut)
async def ship(order_id: OrderIdPath, body: ShipIn, ctx: Ctx, supplier: SupplierRole) -> OrderOut:
    """The supplier ships, with carrier and tracking number (without them, receipt confirms
    itself after 30 days instead of 10)."""
    order = await commands.act(
        ctx,
        order_id,
        lambda o: o.ship(supplier.actor, body.carrier, body.tracking_number, ctx.clock.now(), ctx.deadlines),
        commands.supplier_of(supplier.supplier_id),
    )
    return OrderOut.of(order)


@router.post("/decline", response_model=OrderOut)
async def decline(order_id: OrderIdPath, body: ReasonIn, ctx: Ctx, supplier: SupplierRole) -> OrderOut:
    """The supplier cannot fulfil (out of stock): the order is cancelled and the escrow voided."""
    order = await commands.act(
        ctx,
        order_id,
        lambda o: o.cancel(supplier.actor, CancelReason.OUT_OF_STOCK, body.reason, ctx.clock.now()),
        commands.supplier_of(supplier.supplier_id),
        Audited.by(supplier, "order.declined", body.reason),
    )
    return OrderOut.of(order)
