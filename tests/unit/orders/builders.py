"""Orders in a known state, for the unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from contracts.events.common import Actor, BudgetCategory
from contracts.events.orders import ApprovalReason, ApprovalStep, OrderLine
from services.orders.domain.approvals import builtin_step
from services.orders.domain.checkout import CatalogListing, CatalogSupplier, GrantInfo
from services.orders.domain.order import Order
from services.orders.domain.policy import Deadlines

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
DEADLINES = Deadlines()
BUYER = Actor(user_id="alice", role="researcher")
PI = Actor(user_id="prof-wang", role="researcher")
SAFETY = Actor(user_id="officer-zhao", role="safety_officer")
SUPPLIER = Actor(user_id="SUP-002-admin", role="supplier")
GRANT = GrantInfo("G-NSFC-2026-001", "tsinghua", "prof-wang", frozenset({"alice", "bob"}), 500_000, True)


def line(sku: str = "CS-0002", qty: int = 2, price: int = 2800, hazardous: bool = False) -> OrderLine:
    return OrderLine(
        listing_id=f"SUP-002:{sku}",
        sku=sku,
        listing_version=1,
        name=sku,
        category=BudgetCategory.CONSUMABLES,
        unit="box",
        quantity=qty,
        unit_price_minor=price,
        line_total_minor=qty * price,
        hazardous=hazardous,
    )


def order(
    approvals: Sequence[ApprovalReason | ApprovalStep] | None = None,
    lines: list[OrderLine] | None = None,
    buyer: Actor = BUYER,
) -> Order:
    return Order.place(
        order_id="O-1",
        checkout_id="C-1",
        tenant_id="tsinghua",
        grant_id=GRANT.grant_id,
        pi_id=GRANT.pi_id,
        buyer=buyer,
        supplier_id="SUP-002",
        lines=lines or [line()],
        approvals=[  # a reason stands for the step the grant or the university asks for it
            a if isinstance(a, ApprovalStep) else builtin_step(a, buyer.user_id == GRANT.pi_id)
            for a in approvals or []
        ],
        now=NOW,
        deadlines=DEADLINES,
    )


def paid() -> Order:
    o = order()
    o.funds_reserved(NOW, DEADLINES)
    return o


def shipped(carrier: str | None = "SF Express") -> Order:
    o = paid()
    o.ship(SUPPLIER, carrier, "SF1234567890" if carrier else None, NOW, DEADLINES)
    return o


def catalog() -> tuple[dict[str, CatalogSupplier], dict[tuple[str, str], CatalogListing]]:
    suppliers = {
        "SUP-002": CatalogSupplier("SUP-002", True, date(2027, 6, 30)),
        "SUP-004": CatalogSupplier("SUP-004", True, None),
        "SUP-009": CatalogSupplier("SUP-009", False, None),
    }
    listings = {
        ("SUP-002", "RG-0002"): CatalogListing(
            "SUP-002:RG-0002",
            "SUP-002",
            "RG-0002",
            2,
            "Acetone",
            "500 mL",
            3100,
            BudgetCategory.REAGENTS,
            True,
            "67-64-1",
            True,
        ),
        ("SUP-004", "CS-0002"): CatalogListing(
            "SUP-004:CS-0002",
            "SUP-004",
            "CS-0002",
            1,
            "Tips",
            "box",
            2800,
            BudgetCategory.CONSUMABLES,
            False,
            None,
            True,
        ),
        ("SUP-004", "RG-0004"): CatalogListing(
            "SUP-004:RG-0004",
            "SUP-004",
            "RG-0004",
            1,
            "HCl",
            "500 mL",
            2200,
            BudgetCategory.REAGENTS,
            True,
            "7647-01-0",
            True,
        ),
    }
    return suppliers, listings
