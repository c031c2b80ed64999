"""The supplier profile through the suppliers API over the running services and the profile
stream worker: the figures of a real trade, who may see what (the supplier and operations all
of it, a university's finance office its own trade only), and the same figures after the worker
is SIGKILLed and restarted."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from plumbing.web.auth import Role
from tests.e2e.flow import Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, OPS, SUPPLIER, auth, ok
from tests.stack import Stack, eventually

BANDS = "90:100:900,75:60:1200,0:30:1800"  # score ≥ 90: the whole limit at 9 %
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.profiles_worker,
    pytest.mark.service_env(SETTLEMENT_EARLY_PAYMENT_SCORE_BANDS=BANDS),
]
ORDER = 3 * 2800  # each of the flow's orders


async def profile(http: httpx.AsyncClient, url: str, who: dict[str, str], **params: str) -> httpx.Response:
    return await http.get(f"{url}/v1/suppliers/SUP-004/profile", headers=who, params=params)


async def settled_on(flow: Flow, orders: int, refunded: int) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def there() -> bool:
        response = await profile(flow.http, flow.suppliers, SUPPLIER)
        if response.status_code != 200:
            return False
        seen.update(response.json())
        month = seen["windows"]["30d"]
        return bool(month["orders"] == orders and month["refunded_minor"] == refunded)

    await eventually(there, timeout=90, what=f"the profile to show {orders} orders")
    return seen


async def test_the_profile_of_a_real_trade_and_who_sees_it(
    flow: Flow, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str, tmp_path: Path
) -> None:
    first = await flow.completed_order()
    await flow.completed_order()
    await flow.refund(first, 840)  # 5 % of the two orders' value back to the grant
    paid = ok(await flow.http.post(f"{flow.settlement}/v1/payouts/runs", headers=OPS))

    seen = await settled_on(flow, 2, 840)
    month = seen["windows"]["30d"]
    assert {k: month[k] for k in month if k != "median_hours_to_ship"} == {
        "days": 30,
        "orders": 2,
        "order_value_minor": 2 * ORDER,
        "ship_on_time_rate": 1.0,  # both shipped before their ship-by time
        "shipped_due": 2,
        "receipt_confirmed_rate": 1.0,
        "auto_confirmed_share": 0.0,  # Alice confirmed both
        "refund_rate_by_count": 0.5,
        "refund_rate_by_value": 0.05,
        "refunded_minor": 840,
        "dispute_rate": 0.0,
        "dispute_outcomes": {},
        "payouts": {"settled": 1, "settled_minor": paid["paid"]["SUP-004"], "failed": 0},
        "score": 98.8,  # 100 * (0.35 + 0.20 + 0.25 * 0.95 + 0.20) = 98.75, half up
    }
    assert 0 <= month["median_hours_to_ship"] < 1  # shipped moments after payment
    assert seen["universities"] == ["tsinghua"]
    assert ok(await profile(flow.http, flow.suppliers, OPS))["windows"] == seen["windows"]

    # a finance office sees its own university's trade with the supplier, and only that
    own = ok(await profile(flow.http, flow.suppliers, FINANCE))
    assert own["university"] == "tsinghua" and own["windows"]["30d"]["orders"] == 2
    assert "universities" not in own and "payouts" not in own["windows"]["30d"]
    rival = auth(Role.UNIVERSITY_FINANCE, "fo-9", "pku")
    theirs = ok(await profile(flow.http, flow.suppliers, rival))
    assert (theirs["university"], theirs["windows"]["30d"]["orders"]) == ("pku", 0)
    prying = await profile(flow.http, flow.suppliers, rival, university="tsinghua")
    assert prying.status_code == 403 and prying.json()["error"]["code"] == "not_your_university"
    for refused in (ALICE, auth(Role.SUPPLIER, "other-admin", "platform", "SUP-009")):
        assert (await profile(flow.http, flow.suppliers, refused)).status_code == 403
    missing = await flow.http.get(f"{flow.suppliers}/v1/suppliers/SUP-404/profile", headers=OPS)
    assert missing.status_code == 404

    # early payment at the rate of the supplier's band: shipped, quoted, paid now, repaid by the release
    late = await flow.paid_order()
    await flow.ship(late)
    offer: dict[str, Any] = {}

    async def quoted() -> bool:  # settlement learns of the shipping from orders.events
        response = await flow.http.post(
            f"{flow.settlement}/v1/suppliers/SUP-004/early-payment/quotes",
            json={"order_ids": [late]},
            headers=SUPPLIER,
        )
        offer.update(response.json())
        return response.status_code == 201

    await eventually(quoted, timeout=30, what="a quote for the shipped order")
    [terms] = offer["lines"]
    face = ORDER - 50  # the 60 bp fee on 84.00 is 0.504, rounded half up to 0.50
    days = terms["days"]
    assert (offer["apr_bp"], offer["score"] >= 90, terms["face_minor"]) == (900, True, face)
    assert terms["discount_minor"] == (2 * face * 900 * days + 3_650_000) // 7_300_000  # half up
    taken = ok(
        await flow.http.post(
            f"{flow.settlement}/v1/suppliers/SUP-004/early-payment/quotes/{offer['quote_id']}/accept",
            headers=SUPPLIER,
        )
    )
    assert taken["payout"]["status"] == "settled"
    ok(await flow.http.post(f"{flow.orders}/v1/orders/{late}/confirm-receipt", headers=ALICE))
    await flow.order(late, "COMPLETED")
    assert ok(await flow.http.post(f"{flow.settlement}/v1/payouts/runs", headers=OPS))["paid"] == {}
    financed = ok(await flow.http.get(f"{flow.settlement}/v1/suppliers/SUP-004/early-payments", headers=OPS))
    assert financed["owed_minor"] == 0
    assert [(e["status"], e["repaid_minor"]) for e in financed["early_payments"]] == [("repaid", face)]
    await checks_pass(services)
    seen = await settled_on(flow, 3, 840)

    worker = services["profiles"]  # killed mid-life: its tables come back from their changelogs
    assert worker.process is not None
    worker.process.send_signal(signal.SIGKILL)
    await worker.process.wait()
    await worker.start(stack, topic_prefix, {"PROFILES_DATADIR": str(tmp_path / "profiles")})
    await worker.wait_ready(timeout=90)
    assert (await settled_on(flow, 3, 840))["windows"] == seen["windows"]
