"""Organisations through the running services: finance builds a university's tree and its
approval rules in settlement; orders follows them. An order over the school's limit waits for the
PI, then the dean, and is PAID only when both approved; the requester cannot approve it; a
delegate approves for the dean while the delegation lasts; a school's finance officer sees
exactly its subtree, across orders, settlement and refunds; roll-ups equal their grants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from plumbing.web.auth import Role
from tests.e2e.flow import Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, auth, ok
from tests.stack import eventually

pytestmark = pytest.mark.e2e
PI = auth(Role.RESEARCHER, "prof-wang")
DEAN = auth(Role.UNIT_APPROVER, "dean-chem", org_unit="S-CHEM")
VICE_DEAN = auth(Role.RESEARCHER, "vice-dean-chem")
CHEM_FINANCE = auth(Role.UNIVERSITY_FINANCE, "fo-chem", org_unit="S-CHEM")
LIFE_FINANCE = auth(Role.UNIVERSITY_FINANCE, "fo-life", org_unit="S-LIFE")
LAB_GRANT = "G-CAT-2026"
LIFE_GRANT = "G-CELL-2026"


async def build_tree(flow: Flow, services: dict[str, ServiceProcess]) -> None:
    """Two schools, a lab in each; the chemistry school asks its dean above ¥50,000.00 and the
    catalysis lab its PI above ¥5,000.00; a grant in each lab."""
    units = [
        {"unit_id": "S-CHEM", "code": "CHEM", "name": "化学学院", "kind": "school"},
        {"unit_id": "S-LIFE", "code": "LIFE", "name": "生命科学学院", "kind": "school"},
        {"unit_id": "L-CAT", "code": "CHEM-CAT", "name": "催化实验室", "kind": "lab", "parent_id": "S-CHEM"},
        {
            "unit_id": "L-CELL",
            "code": "LIFE-CELL",
            "name": "细胞实验室",
            "kind": "lab",
            "parent_id": "S-LIFE",
        },
    ]
    for unit in units:
        ok(await flow.http.post(f"{flow.settlement}/v1/org-units", headers=FINANCE, json=unit), 201)
    rules = {
        "S-CHEM": [{"key": "dean", "approver": "unit_approver", "above_minor": 5_000_000}],
        "L-CAT": [{"key": "pi", "approver": "principal_investigator", "above_minor": 500_000}],
    }
    for unit_id, unit_rules in rules.items():
        ok(
            await flow.http.put(
                f"{flow.settlement}/v1/org-units/{unit_id}/approval-rules",
                headers=FINANCE,
                json={"rules": unit_rules},
            )
        )
    for grant_id, lab, code in (
        (LAB_GRANT, "L-CAT", "NSFC-22471001"),
        (LIFE_GRANT, "L-CELL", "NSFC-32170001"),
    ):
        body: dict[str, Any] = {
            "grant_id": grant_id,
            "code": code,
            "title": "Asymmetric catalysis" if lab == "L-CAT" else "Cell imaging",
            "pi_id": "prof-wang",
            "authorised_buyers": ["alice"],
            "budget_by_category": {"consumables": 20_000_000},
            "period_start": "2026-01-01",
            "period_end": "2028-12-31",
            "approval_threshold_minor": 0,
            "org_unit_id": lab,
        }
        ok(await flow.http.post(f"{flow.settlement}/v1/grants", headers=FINANCE, json=body), 201)
    conn = await asyncpg.connect(services["orders"].dsn)
    try:

        async def followed() -> bool:
            rules_in = await conn.fetchval("select count(*) from org_units where rules <> '[]'::jsonb")
            grants_in = await conn.fetchval("select count(*) from grant_units")
            return bool(rules_in == 2 and grants_in == 2)

        await eventually(followed, timeout=60, what="orders to follow the tree, its rules and the grants")
    finally:
        await conn.close()


async def big_order(flow: Flow, key: str, grant: str = LAB_GRANT) -> dict[str, Any]:
    """¥56,000.00 of pipette tips: above the lab's PI limit and the school's dean limit."""
    body = {
        "grant_id": grant,
        "lines": [{"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 2_000, "unit_price_minor": 2800}],
    }
    placed = ok(
        await flow.http.post(
            f"{flow.orders}/v1/checkouts", headers={**ALICE, "Idempotency-Key": key}, json=body
        ),
        201,
    )
    return dict(placed["orders"][0])


async def approve(flow: Flow, order_id: str, who: dict[str, str]) -> Any:
    return await flow.http.post(f"{flow.orders}/v1/orders/{order_id}/approve", headers=who)


def code(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def test_an_order_over_the_school_limit_waits_for_the_pi_then_the_dean(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    await build_tree(flow, services)
    order = await big_order(flow, "org-order-1")
    oid = order["order_id"]
    assert order["status"] == "PENDING_APPROVAL"
    assert [(a["key"], a["approver"], a["unit_id"]) for a in order["approvals"]] == [
        ("CHEM-CAT/pi", "principal_investigator", "L-CAT"),
        ("CHEM/dean", "unit_approver", "S-CHEM"),
    ]
    assert code(await approve(flow, oid, ALICE)) == (403, "self_approval")
    assert code(await approve(flow, oid, DEAN)) == (409, "approval_out_of_order")
    after_pi = ok(await approve(flow, oid, PI))
    assert (after_pi["status"], after_pi["approvals_pending"]) == ("PENDING_APPROVAL", ["CHEM/dean"])
    other_dean = auth(Role.UNIT_APPROVER, "dean-life", org_unit="S-LIFE")
    # another school's dean may not see the order: it is not found for them, as GET says
    assert code(await approve(flow, oid, other_dean)) == (404, "order_not_found")
    # nor may the vice-dean, until the dean hands over: nothing on it is theirs to see or give
    assert code(await approve(flow, oid, VICE_DEAN)) == (404, "order_not_found")

    # The dean is away: the vice-dean approves for the dean while the delegation lasts.
    until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    delegation = ok(
        await flow.http.post(
            f"{flow.orders}/v1/delegations",
            headers=DEAN,
            json={"delegate_id": "vice-dean-chem", "valid_until": until},
        ),
        201,
    )
    assert delegation["in_force"] and delegation["delegator_unit"] == "S-CHEM"
    approved = ok(await approve(flow, oid, VICE_DEAN))
    assert (
        approved["approvals_pending"] == []
        and approved["approvals"][1]["given_by"]["user_id"] == "vice-dean-chem"
    )
    paid = await flow.order(oid, "PAID")
    assert paid["funds"] == "reserved"
    timeline = ok(await flow.http.get(f"{flow.orders}/v1/orders/{oid}/timeline", headers=FINANCE))
    reasons = [t["reason"] for t in timeline]
    assert "1. principal_investigator (CHEM-CAT/pi: principal_investigator, above ¥5,000.00);" in reasons[1]
    assert "CHEM/dean: unit_approver, above ¥50,000.00 for dean-chem" in reasons

    # Taken back, the delegation gives nothing more.
    ok(
        await flow.http.post(
            f"{flow.orders}/v1/delegations/{delegation['delegation_id']}/revoke", headers=DEAN
        )
    )
    second = await big_order(flow, "org-order-2")
    ok(await approve(flow, second["order_id"], PI))
    assert code(await approve(flow, second["order_id"], VICE_DEAN)) == (404, "order_not_found")
    assert ok(await approve(flow, second["order_id"], DEAN))["approvals_pending"] == []
    await flow.order(second["order_id"], "PAID")
    await checks_pass(services)


async def test_a_school_finance_officer_sees_exactly_its_subtree(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    await build_tree(flow, services)
    order = await big_order(flow, "org-order-3")
    oid = order["order_id"]
    # Chemistry's officer sees the lab's order, grant, escrow and the school's roll-up ...
    listed = ok(await flow.http.get(f"{flow.orders}/v1/orders", headers=CHEM_FINANCE))
    assert [o["order_id"] for o in listed["items"]] == [oid]
    ok(await flow.http.get(f"{flow.orders}/v1/orders/{oid}", headers=CHEM_FINANCE))
    ok(await flow.http.get(f"{flow.settlement}/v1/grants/{LAB_GRANT}", headers=CHEM_FINANCE))

    async def held() -> bool:
        response = await flow.http.get(f"{flow.settlement}/v1/orders/{oid}/escrow", headers=CHEM_FINANCE)
        return response.status_code == 200 and response.json()["status"] == "held"

    await eventually(held, what="escrow to hold the order's money")
    chem = ok(await flow.http.get(f"{flow.settlement}/v1/org-units/S-CHEM/execution", headers=CHEM_FINANCE))
    assert [g["grant_id"] for g in chem["grants"]] == [LAB_GRANT]
    # ... and Life Sciences' officer none of it, nor anything of the university as a whole.
    for url in (
        f"{flow.orders}/v1/orders/{oid}",
        f"{flow.orders}/v1/orders/{oid}/timeline",
        f"{flow.settlement}/v1/grants/{LAB_GRANT}",
        f"{flow.settlement}/v1/grants/{LAB_GRANT}/execution",
        f"{flow.settlement}/v1/orders/{oid}/escrow",
        f"{flow.settlement}/v1/org-units/S-CHEM/execution",
        f"{flow.settlement}/v1/org-units/L-CAT",
    ):
        response = await flow.http.get(url, headers=LIFE_FINANCE)
        assert response.status_code == 404, (url, response.text)
    assert ok(await flow.http.get(f"{flow.orders}/v1/orders", headers=LIFE_FINANCE))["items"] == []
    for url in (
        f"{flow.settlement}/v1/universities/tsinghua/execution",
        f"{flow.settlement}/v1/audit",
        f"{flow.orders}/v1/audit",
        f"{flow.refunds}/v1/refunds/sla/report",
    ):
        response = await flow.http.get(url, headers=LIFE_FINANCE)
        assert code(response) == (403, "outside_scope"), url
    tree = ok(await flow.http.get(f"{flow.settlement}/v1/org-units", headers=LIFE_FINANCE))
    assert [(u["code"], [c["code"] for c in u["units"]]) for u in tree["units"]] == [("LIFE", ["LIFE-CELL"])]

    # The university's roll-up: each school the sum of its grants, the schools the university's.
    university = ok(
        await flow.http.get(f"{flow.settlement}/v1/universities/tsinghua/execution", headers=FINANCE)
    )
    schools = {s["unit"]["code"] if s["unit"] else None: s for s in university["schools"]}
    assert schools["CHEM"]["total"] == chem["total"]
    assert chem["total"]["encumbered"] == 5_600_000
    for figure in ("budget", "encumbered", "expended", "refunded", "available"):
        assert university["total"][figure] == sum(s["total"][figure] for s in university["schools"])
        assert university["total"][figure] == sum(g["total"][figure] for g in university["grants"])
