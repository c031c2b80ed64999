"""Acting on one order (approve, ship, confirm receipt, cancel, …): load it locked, check the
caller may, apply the rule, save it with its events — audited where a person decides."""

from __future__ import annotations

from collections.abc import Callable

from plumbing.aggregates.acting import Aggregate
from plumbing.aggregates.audit import Audited
from services.orders.adapters import repository as repo
from services.orders.context import Context
from services.orders.domain.errors import NotYourOrder, OrderNotFound
from services.orders.domain.order import Order


async def act(
    ctx: Context,
    order_id: str,
    action: Callable[[Order], object],
    visible: Callable[[Order], bool] = lambda _: True,
    audited: Audited | None = None,
) -> Order:
    """Apply `action` to the locked order and save it; `visible` says whether the caller may.
    An `audited` action is recorded in the audit trail with the order before and after."""
    return await ORDERS.act(ctx, order_id, action, visible, audited)


def audit_view(order: Order) -> dict[str, object]:
    """What the audit trail keeps of an order: where it stands and its money."""
    return {
        "status": order.status.value,
        "funds": order.funds.value,
        "total_minor": order.total_minor,
        "grant_id": order.grant_id,
        "supplier_id": order.supplier_id,
        "approvals_given": sorted(order.approvals_given),
    }


def supplier_of(supplier_id: str | None) -> Callable[[Order], bool]:
    def check(order: Order) -> bool:
        if order.supplier_id != supplier_id:
            raise NotYourOrder("this order belongs to another supplier")
        return True

    return check


ORDERS = Aggregate(
    repo,
    audit_view,
    lambda o: f"order:{o.order_id}",
    lambda o: o.tenant_id,
    lambda order_id: OrderNotFound(f"no order {order_id!r}"),
)
