"""A cart becomes one order per supplier; every bad line is refused with a code saying why."""

from __future__ import annotations

import pytest

from contracts.events.common import Actor
from contracts.events.orders import ApprovalReason
from plumbing.errors import AppError
from services.orders.domain.checkout import CartLine, split_cart
from tests.unit.orders.builders import BUYER, GRANT, TODAY, catalog


def split(cart: list[CartLine], buyer: Actor = BUYER, tenant: str = "tsinghua") -> list:  # type: ignore[type-arg]
    suppliers, listings = catalog()
    return split_cart(cart, GRANT, buyer, tenant, suppliers, listings, TODAY)


def test_a_multi_supplier_cart_splits_per_supplier_with_its_approvals() -> None:
    shares = split(
        [
            CartLine("SUP-004", "CS-0002", 3, 2800),
            CartLine("SUP-002", "RG-0002", 2, 3100),
            CartLine("SUP-004", "CS-0002", 1, 2800),
        ]
    )
    assert [(s.supplier_id, [ln.quantity for ln in s.lines]) for s in shares] == [
        ("SUP-004", [3, 1]),
        ("SUP-002", [2]),
    ]
    assert shares[0].approvals == []
    assert [step.reason for step in shares[1].approvals] == [ApprovalReason.HAZARDOUS_ITEM]
    assert shares[1].lines[0].listing_version == 2 and shares[1].lines[0].line_total_minor == 6200


def test_threshold_and_lab_members_need_the_pi() -> None:
    big = split([CartLine("SUP-004", "CS-0002", 200, 2800)])  # 560,000 fen >= 500,000
    assert [step.reason for step in big[0].approvals] == [ApprovalReason.OVER_THRESHOLD]
    member = split([CartLine("SUP-004", "CS-0002", 1, 2800)], buyer=Actor(user_id="bob", role="lab_member"))
    assert [step.reason for step in member[0].approvals] == [ApprovalReason.LAB_MEMBER_PURCHASE]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (CartLine("SUP-009", "CS-0002", 1, 2800), "supplier_not_active"),
        (CartLine("SUP-404", "CS-0002", 1, 2800), "supplier_not_active"),
        (CartLine("SUP-004", "CS-9999", 1, 2800), "unknown_sku"),
        (CartLine("SUP-004", "CS-0002", 1, 2500), "stale_price"),
        (CartLine("SUP-004", "CS-0002", 0, 2800), "invalid_quantity"),
        (CartLine("SUP-004", "CS-0002", -3, 2800), "invalid_quantity"),
        (CartLine("SUP-004", "RG-0004", 1, 2200), "supplier_not_licensed_for_hazardous"),
        (CartLine("SUP-004", "CS-0002", 10**12, 2800), "amount_too_large"),
    ],
)
def test_bad_lines_are_refused(line: CartLine, code: str) -> None:
    with pytest.raises(AppError) as caught:
        split([CartLine("SUP-004", "CS-0002", 1, 2800), line])
    assert caught.value.code == code
    assert caught.value.details["line"] == 1


def test_stale_prices_tell_the_current_price() -> None:
    with pytest.raises(AppError) as caught:
        split([CartLine("SUP-002", "RG-0002", 1, 2800)])
    assert caught.value.details["current_price_minor"] == 3100


def test_grant_rules() -> None:
    with pytest.raises(AppError) as caught:
        split([CartLine("SUP-004", "CS-0002", 1, 2800)], tenant="pku")
    assert caught.value.code == "unknown_grant"
    with pytest.raises(AppError) as caught:
        split([CartLine("SUP-004", "CS-0002", 1, 2800)], buyer=Actor(user_id="mallory", role="researcher"))
    assert caught.value.code == "not_authorised_on_grant"
