"""Two universities on one deployment: a grant id is each university's own, so another
university's grant with the same id is neither revealed nor touched."""

from __future__ import annotations

import pytest

from plumbing.web.auth import Role
from tests.e2e.flow import GRANT, Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import FINANCE, OPS, auth, ok

pytestmark = pytest.mark.e2e
FUDAN_FINANCE = auth(Role.UNIVERSITY_FINANCE, "fo-2", "fudan")
CHEN = auth(Role.RESEARCHER, "chen", "fudan")


async def test_two_universities_may_use_the_same_grant_id(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    await flow.register_grant(GRANT, FUDAN_FINANCE, buyers=["chen"], pi="prof-li")  # Tsinghua has it too
    again = await flow.http.post(
        f"{flow.settlement}/v1/grants",
        headers=FUDAN_FINANCE,
        json={
            "grant_id": GRANT,
            "code": "OTHER",
            "title": "t",
            "pi_id": "p",
            "budget_by_category": {"consumables": 1},
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "approval_threshold_minor": 0,
        },
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "grant_exists"  # its own

    grant_url = f"{flow.settlement}/v1/grants/{GRANT}"
    assert ok(await flow.http.get(grant_url, headers=FINANCE))["pi_id"] == "prof-wang"
    assert ok(await flow.http.get(grant_url, headers=FUDAN_FINANCE))["pi_id"] == "prof-li"

    await flow.paid_order(quantity=3, buyer=CHEN)  # 84.00 on Fudan's grant
    await flow.completed_order(quantity=1)  # 28.00 on Tsinghua's
    tsinghua = ok(await flow.http.get(f"{grant_url}/execution", headers=FINANCE))["total"]
    fudan = ok(await flow.http.get(f"{grant_url}/execution", headers=FUDAN_FINANCE))["total"]
    assert (tsinghua["encumbered"], tsinghua["expended"], tsinghua["available"]) == (0, 2_800, 97_200)
    assert (fudan["encumbered"], fudan["expended"], fudan["available"]) == (8_400, 0, 91_600)

    # Chen is no buyer on Tsinghua's grant of that id, nor Alice on Fudan's.
    refused = await flow.http.post(
        f"{flow.orders}/v1/checkouts",
        headers={**auth(Role.RESEARCHER, "alice", "fudan"), "Idempotency-Key": "not-hers"},
        json={
            "grant_id": GRANT,
            "lines": [{"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 1, "unit_price_minor": 2800}],
        },
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_authorised_on_grant"

    # Platform operations name the university of the grant they read.
    unnamed = await flow.http.get(grant_url, headers=OPS)
    assert unnamed.status_code == 422 and unnamed.json()["error"]["code"] == "tenant_required"
    named = ok(await flow.http.get(grant_url, headers=OPS, params={"tenant_id": "fudan"}))
    assert (named["tenant_id"], named["pi_id"]) == ("fudan", "prof-li")
    other = await flow.http.get(grant_url, headers=FINANCE, params={"tenant_id": "fudan"})
    assert other.status_code == 404
    await checks_pass(services)
