"""Bad checkouts and illegal actions get a clear code and change nothing."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from plumbing.web.auth import Role
from tests.integration.orders.conftest import OrdersApi, cart, checkout

pytestmark = pytest.mark.integration


async def footprint(api: OrdersApi) -> tuple[Any, ...]:
    conn = await asyncpg.connect(api.dsn)
    try:
        return (
            await conn.fetchval("select count(*) from outbox"),
            await conn.fetch("select order_id, status, version from orders order by 1"),
            await conn.fetchval("select count(*) from order_timeline"),
            await conn.fetchval("select count(*) from checkouts"),
        )
    finally:
        await conn.close()


async def refused(api: OrdersApi, method: str, path: str, status: int, code: str, **kwargs: Any) -> Any:
    before = await footprint(api)
    response = await api.http.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert await footprint(api) == before
    return response.json()["error"]


def post_checkout(api: OrdersApi, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    return {"json": body, "headers": {**api.buyer(), "Idempotency-Key": key or str(uuid.uuid4())}}


@pytest.mark.parametrize(
    ("line", "status", "code"),
    [
        (("SUP-404", "CS-0002", 1, 2800), 422, "supplier_not_active"),
        (("SUP-004", "CS-9999", 1, 2800), 422, "unknown_sku"),
        (("SUP-004", "CS-0002", 1, 2700), 409, "stale_price"),
        (("SUP-004", "CS-0002", 0, 2800), 422, "invalid_request"),
        (("SUP-004", "CS-0002", -2, 2800), 422, "invalid_request"),
        (("SUP-004", "CS-0002", 999_999, 10**12), 409, "stale_price"),
        (("SUP-004", "CS-0002", 10**7, 2800), 422, "invalid_request"),
    ],
    ids=[
        "unknown-supplier",
        "unknown-sku",
        "stale-price",
        "zero-qty",
        "negative-qty",
        "absurd-price",
        "huge-qty",
    ],
)
async def test_bad_cart_lines_are_refused(
    api: OrdersApi, line: tuple[str, str, int, int], status: int, code: str
) -> None:
    body = cart(("SUP-004", "CS-0001", 1, 4500), line)
    await refused(api, "post", "/v1/checkouts", status, code, **post_checkout(api, body))


async def test_an_amount_that_overflows_is_refused(api: OrdersApi) -> None:
    # 20,001 microscopes at 50 million CNY each pass 10^14 fen: refused, not wrapped or rounded.
    body = cart(("SUP-004", "EQ-0001", 20_001, 5_000_000_000))
    error = await refused(api, "post", "/v1/checkouts", 422, "amount_too_large", **post_checkout(api, body))
    assert error["details"]["line"] == 0


async def test_the_same_idempotency_key_with_another_body_is_refused(api: OrdersApi) -> None:
    first = await checkout(api, cart(("SUP-004", "CS-0002", 1, 2800)), key="key-0001-alice")
    again = await api.http.post(
        "/v1/checkouts",
        json=cart(("SUP-004", "CS-0002", 1, 2800)),
        headers={**api.buyer(), "Idempotency-Key": "key-0001-alice"},
    )
    assert again.status_code == 200 and again.json()["checkout_id"] == first["checkout_id"]
    await refused(
        api,
        "post",
        "/v1/checkouts",
        422,
        "idempotency_key_reused",
        **post_checkout(api, cart(("SUP-004", "CS-0002", 2, 2800)), key="key-0001-alice"),
    )


async def test_grant_rules_at_checkout(api: OrdersApi) -> None:
    body = cart(("SUP-004", "CS-0002", 1, 2800))
    outsider = {
        "json": body,
        "headers": {**api.auth(Role.RESEARCHER, "mallory"), "Idempotency-Key": "k-mallory-1"},
    }
    await refused(api, "post", "/v1/checkouts", 403, "not_authorised_on_grant", **outsider)
    other_uni = {
        "json": body,
        "headers": {**api.auth(Role.RESEARCHER, "alice", "pku"), "Idempotency-Key": "k-pku-01"},
    }
    await refused(api, "post", "/v1/checkouts", 422, "unknown_grant", **other_uni)
    finance = {
        "json": body,
        "headers": {**api.auth(Role.UNIVERSITY_FINANCE, "fo"), "Idempotency-Key": "k-fo-0001"},
    }
    await refused(api, "post", "/v1/checkouts", 403, "forbidden", **finance)


async def test_illegal_actions_are_refused(api: OrdersApi) -> None:
    order = (await checkout(api, cart(("SUP-004", "CS-0002", 1, 2800))))["orders"][0]
    oid = order["order_id"]
    error = await refused(
        api, "post", f"/v1/orders/{oid}/confirm-receipt", 409, "illegal_transition", headers=api.buyer()
    )
    assert error["details"]["status"] == "AWAITING_FUNDS"
    await refused(
        api, "post", f"/v1/orders/{oid}/ship", 403, "not_your_order", json={}, headers=api.supplier("SUP-002")
    )
    await refused(
        api,
        "post",
        f"/v1/orders/{oid}/ship",
        409,
        "illegal_transition",
        json={},
        headers=api.supplier("SUP-004"),
    )
    await refused(
        api,
        "post",
        f"/v1/orders/{oid}/cancel",
        404,
        "order_not_found",
        json={"reason": "x"},
        headers=api.auth(Role.RESEARCHER, "mallory"),
    )


async def test_each_party_sees_only_its_orders(api: OrdersApi) -> None:
    result = await checkout(api, cart(("SUP-002", "RG-0020", 1, 6800), ("SUP-004", "CS-0002", 1, 2800)))
    ids = {o["supplier_id"]: o["order_id"] for o in result["orders"]}
    seen = (await api.http.get("/v1/orders", headers=api.supplier("SUP-004"))).json()["items"]
    assert [o["order_id"] for o in seen] == [ids["SUP-004"]]
    hidden = await api.http.get(f"/v1/orders/{ids['SUP-002']}", headers=api.supplier("SUP-004"))
    assert hidden.status_code == 404
    other_uni = await api.http.get("/v1/orders", headers=api.auth(Role.UNIVERSITY_FINANCE, "fo", "pku"))
    assert other_uni.json()["items"] == []
    finance = await api.http.get(
        "/v1/orders",
        params={"grant_id": "G-NSFC-2026-001", "limit": 1},
        headers=api.auth(Role.UNIVERSITY_FINANCE, "fo"),
    )
    page = finance.json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = await api.http.get(
        "/v1/orders",
        params={"limit": 1, "cursor": page["next_cursor"]},
        headers=api.auth(Role.UNIVERSITY_FINANCE, "fo"),
    )
    assert {page["items"][0]["order_id"], rest.json()["items"][0]["order_id"]} == set(ids.values())


async def test_approving_an_order_one_may_not_see_says_nothing_of_it(api: OrdersApi) -> None:
    """An approver of the same university with no step on the order, and who may not read it, is
    answered as GET answers them: not found — not the order's state."""
    oid = (await checkout(api, cart(("SUP-004", "CS-0002", 1, 2800))))["orders"][0]["order_id"]
    other_pi = api.auth(Role.RESEARCHER, "prof-li")
    dean = api.auth(Role.UNIT_APPROVER, "dean-x", org_unit="S-ELSEWHERE")
    for who in (other_pi, dean):
        assert (await api.http.get(f"/v1/orders/{oid}", headers=who)).status_code == 404
        await refused(api, "post", f"/v1/orders/{oid}/approve", 404, "order_not_found", headers=who)
        await refused(
            api, "post", f"/v1/orders/{oid}/deny", 404, "order_not_found", json={"reason": "x"}, headers=who
        )
    # the grant's PI reads it, and is told why there is nothing to approve
    error = await refused(
        api,
        "post",
        f"/v1/orders/{oid}/approve",
        409,
        "illegal_transition",
        headers=api.auth(Role.RESEARCHER, "prof-wang"),
    )
    assert error["details"]["status"] == "AWAITING_FUNDS"
