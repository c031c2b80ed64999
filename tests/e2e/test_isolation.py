"""Isolation, generated from the routes of the running services.

Every operation of every service is tried, with its path filled with the ids of one university's
purchase (Tsinghua: a grant in a lab of a school, a completed order, an open refund case, the PI's
delegation) and one supplier's records (SUP-004):
- every role a route does not admit gets 403 `forbidden` (the roles come from the app itself, see
  `tests/unit/test_route_roles.py`);
- every principal of an admitted role who has no business with those records — the same roles
  at another university, another supplier, a researcher and a lab member of the same university
  who are not on the grant, the finance officer and the dean of another school — is refused, or
  answered without a trace of them, and afterwards not one row of any table of any service has
  changed.
A route added without a check fails here: its path parameter or body must be given below first.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from plumbing.settings import StackSettings
from plumbing.web.auth import Principal, Role
from plumbing.web.auth_deps import route_roles
from tests.apps import PUBLIC, Operation, operations, service_apps
from tests.e2e.flow import GRANT, Flow
from tests.e2e.processes import ServiceProcess, quiet
from tests.e2e.state import snapshot
from tests.e2e.test_money_flow import ALICE, FINANCE, LEGAL, OPS, PDF, RECONCILER, SUPPLIER, auth, ok
from tests.stack import Stack, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.profiles_worker]

# Who rightly deals with Tsinghua's purchase and SUP-004 (one per role).
RIGHTFUL = {
    Role.RESEARCHER: Principal("alice", Role.RESEARCHER, "tsinghua"),
    Role.LAB_MEMBER: Principal("lm-1", Role.LAB_MEMBER, "tsinghua"),
    Role.SAFETY_OFFICER: Principal("so-1", Role.SAFETY_OFFICER, "tsinghua"),
    Role.UNIVERSITY_FINANCE: Principal("fo-1", Role.UNIVERSITY_FINANCE, "tsinghua"),
    Role.UNIT_APPROVER: Principal("dean-1", Role.UNIT_APPROVER, "tsinghua", org_unit_id="S-WORLD"),
    Role.SUPPLIER: Principal("jinling-admin", Role.SUPPLIER, "platform", "SUP-004"),
    Role.PLATFORM_OPS: Principal("ops-1", Role.PLATFORM_OPS, "platform"),
    Role.RECONCILIATION: Principal("recon-1", Role.RECONCILIATION, "platform"),
    Role.INTEGRATION: Principal("campus-mall", Role.INTEGRATION, "tsinghua"),
    Role.RECEIVER: Principal("stores-1", Role.RECEIVER, "tsinghua"),
}
# Who has no business with them, whatever their role admits.
INTRUDERS = [
    Principal("alice", Role.RESEARCHER, "fudan"),  # same name, another university
    Principal("lm-1", Role.LAB_MEMBER, "fudan"),
    Principal("so-1", Role.SAFETY_OFFICER, "fudan"),
    Principal("fo-9", Role.UNIVERSITY_FINANCE, "fudan"),
    Principal("fudan-mall", Role.INTEGRATION, "fudan"),
    Principal("rival-admin", Role.SUPPLIER, "platform", "SUP-999"),
    Principal("mallory", Role.RESEARCHER, "tsinghua"),  # same university, not on the grant
    Principal("lm-7", Role.LAB_MEMBER, "tsinghua"),
    # same university, another school: its finance officer and its dean
    Principal("fo-other", Role.UNIVERSITY_FINANCE, "tsinghua", org_unit_id="S-OTHER"),
    Principal("dean-other", Role.UNIT_APPROVER, "tsinghua", org_unit_id="S-OTHER"),
    Principal("dean-1", Role.UNIT_APPROVER, "fudan", org_unit_id="S-WORLD"),  # same ids elsewhere
    Principal("stores-1", Role.RECEIVER, "fudan"),
    Principal("stores-9", Role.RECEIVER, "tsinghua", org_unit_id="S-OTHER"),  # another school's stores
]
ACCOUNT_NUMBER = "6228480402564890018"  # the one onboard_supplier gives SUP-004
# Routes that create a record of the caller's own university and can name no other's: grant ids
# are each university's own, so another university registering "the same" grant id registers its
# own grant (tests/e2e/test_universities.py shows it touches and reveals nothing of the first).
OWN_RECORDS_ONLY = {("settlement", "POST", "/v1/grants"), ("settlement", "POST", "/v1/org-units")}
# Routes that make a record of the caller's own and name nobody else's: a delegation hands on
# the caller's own approvals (tests/unit/orders/test_approval_rules.py: it gives nothing more).
CALLERS_OWN = {("orders", "POST", "/v1/delegations")}
MONTH = date.today().replace(day=1).isoformat()
IN_A_MONTH = (datetime.now(UTC) + timedelta(days=30)).isoformat()
REFUSED = {403, 404, 409, 422}  # 409/422: a business rule said no (a validation error does not count)
REASON = {"reason": "isolation probe"}
WORLD_INVOICE, PROBE_INVOICE = "24322000000055000001", "24322000000055000002"
INVOICING = {"buyer_name": "清华大学", "buyer_tax_id": "12100000400000624D"}
PERIOD = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
LISTING = {"name": "Pipette tips", "unit": "box", "price_minor": 1, "category": "consumables"}


def bodies(order_id: str) -> dict[tuple[str, str], Any]:
    """A valid body for every operation that takes one, aimed at Tsinghua's and SUP-004's records."""
    return {
        ("POST", "/v1/checkouts"): {
            "grant_id": GRANT,
            "lines": [{"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 1, "unit_price_minor": 2800}],
        },
        ("POST", "/v1/orders/{order_id}/deny"): REASON,
        ("POST", "/v1/orders/{order_id}/cancel"): REASON,
        ("POST", "/v1/orders/{order_id}/decline"): REASON,
        ("POST", "/v1/orders/{order_id}/ship"): {"carrier": "SF Express", "tracking_number": "SF9"},
        ("POST", "/v1/orders/{order_id}/receipts"): {"lines": [{"line_no": 1, "quantity": 1}]},
        ("PUT", "/v1/universities/{tenant_id}/receipt-policy"): {
            "receiver_must_differ": True,
            "undo_window_seconds": 60,
        },
        ("POST", "/v1/grants"): {
            "grant_id": GRANT,
            "code": "NSFC-22375001",
            "title": "Taken over",
            "pi_id": "mallory",
            "budget_by_category": {"consumables": 1},
            "period_start": "2026-01-01",
            "period_end": "2027-12-31",
            "approval_threshold_minor": 1,
        },
        ("POST", "/v1/grants/{grant_id}/budget"): {"category": "consumables", "budget_minor": 1, **REASON},
        ("PUT", "/v1/grants/{grant_id}/buyers"): {
            "authorised_buyers": ["mallory"],
            "approval_threshold_minor": 1,
        },
        ("POST", "/v1/grants/{grant_id}/close"): REASON,
        ("PUT", "/v1/grants/{grant_id}/org-unit"): {"org_unit_id": "S-OTHER", "effective_from": MONTH},
        ("POST", "/v1/org-units"): {"code": "PROBE", "name": "Probe", "kind": "lab", "parent_id": "S-WORLD"},
        ("POST", "/v1/org-units/{unit_id}/rename"): {"name": "Taken over"},
        ("POST", "/v1/org-units/{unit_id}/move"): {"parent_id": "S-OTHER", "effective_from": MONTH},
        ("POST", "/v1/org-units/{unit_id}/close"): {"closed_from": MONTH, **REASON},
        ("PUT", "/v1/org-units/{unit_id}/approval-rules"): {"rules": []},
        ("POST", "/v1/delegations"): {"delegate_id": "mallory", "valid_until": IN_A_MONTH},
        ("POST", "/v1/reconciliation/statements"): b"date,amount,direction,reference\n",
        ("POST", "/v1/reconciliation/suspense/{line_id}/confirm"): REASON,
        ("POST", "/v1/reconciliation/suspense/{line_id}/reject"): REASON,
        ("POST", "/v1/reconciliation/suspense/{line_id}/match"): {"target": f"payout:{order_id}", **REASON},
        ("POST", "/v1/reconciliation/suspense/{line_id}/return"): REASON,
        ("POST", "/v1/reconciliation/suspense/{line_id}/write-off"): REASON,
        ("POST", "/v1/reconciliation/suspense/{line_id}/write-off/approve"): REASON,
        ("POST", "/v1/bank-simulator/receipts"): {"amount_minor": 1, "payer_account": "6222020200001111"},
        ("POST", "/v1/suppliers/{supplier_id}/early-payment/quotes"): {"order_ids": [order_id]},
        ("POST", "/v1/bank-simulator/bookings/{bank_reference}/rebook"): {"on": "2026-12-03"},
        ("POST", "/v1/suppliers"): {
            "legal_name": LEGAL,
            "credit_code": "91320102JUCCNBB65D",
            "categories": ["consumables"],
            "contact": {"name": "Mallory", "email": "m@rival.example", "phone": "+86 21 5555 0100"},
        },
        ("POST", "/v1/suppliers/{supplier_id}/reject"): REASON,
        ("POST", "/v1/suppliers/{supplier_id}/suspend"): REASON,
        ("POST", "/v1/suppliers/{supplier_id}/reinstate"): REASON,
        ("PUT", "/v1/suppliers/{supplier_id}/documents/{kind}"): PDF,
        ("PUT", "/v1/suppliers/{supplier_id}/bank-account"): {
            "bank_name": "Rival Bank",
            "account_number": "6222000011112222333",
            "holder_name": LEGAL,
        },
        ("POST", "/v1/suppliers/{supplier_id}/bank-account/verification"): {"amount_minor": 1},
        ("POST", "/v1/suppliers/{supplier_id}/listings"): {"sku": "CS-0002", **LISTING},
        ("PUT", "/v1/suppliers/{supplier_id}/listings/{sku}"): LISTING,
        ("POST", "/v1/refunds"): {
            "order_id": order_id,
            "amount_minor": 100,
            "reason_code": "damaged",
            "reason": "isolation probe",
        },
        ("POST", "/v1/refunds/{refund_id}/refuse"): REASON,
        ("POST", "/v1/refunds/{refund_id}/ship-back"): {"carrier": "SF Express", "tracking_number": "SF9"},
        ("POST", "/v1/refunds/{refund_id}/escalate"): REASON,
        ("POST", "/v1/refunds/{refund_id}/decide"): {"decision": "full_refund", **REASON},
        ("PUT", "/v1/universities/{tenant_id}/account-mappings/{effective_from}"): {
            "accounts": {"payable": "2302"},
            "expense": {},
        },
        ("PUT", "/v1/finance-simulator/universities/{tenant_id}/chart"): {"accounts": ["1011"]},
        ("POST", "/v1/suppliers/{supplier_id}/invoices"): {
            "invoice": tips_invoice(PROBE_INVOICE),
            "bills": [{"order_id": order_id, "line_no": 1}],
        },
        ("POST", "/v1/invoices/{invoice_id}/accept"): REASON,
        ("POST", "/v1/invoices/{invoice_id}/reject"): REASON,
        ("PUT", "/v1/universities/{tenant_id}/invoicing-profile"): INVOICING,
        ("POST", "/v1/tax-simulator/invoices"): {
            "number": PROBE_INVOICE,
            "seller_tax_id": "91320102JUCCNBB65D",
            "buyer_tax_id": "12100000400000624D",
            "issued_on": "2026-12-05",
            "total_minor": 8_400,
        },
        ("PUT", "/v1/invoices/{invoice_id}/document"): PDF,
    }


def tips_invoice(number: str) -> dict[str, Any]:
    """The 数电票 fields of 3 boxes of tips at 28.00 (with 13 % VAT), sold by SUP-004 to Tsinghua."""
    return {
        "number": number,
        "issue_date": "2026-12-05",
        "seller": {"name": "南京金陵实验用品有限公司", "tax_id": "91320102JUCCNBB65D"},
        "buyer": {"name": "清华大学", "tax_id": "12100000400000624D"},
        "lines": [
            {
                "name": "*塑料制品*移液器吸头 200uL",
                "unit": "盒",
                "quantity": "3",
                "unit_price": "24.78",
                "amount_minor": 7_434,
                "tax_rate": "0.13",
                "tax_minor": 966,
            }
        ],
        "amount_minor": 7_434,
        "tax_minor": 966,
        "total_minor": 8_400,
    }


class World:
    """Tsinghua's purchase from SUP-004, and the strings that would betray it to an intruder."""

    def __init__(self, flow: Flow, order_id: str, refund_id: str, delegation_id: str) -> None:
        self.urls = {"orders": flow.orders, "settlement": flow.settlement}
        self.urls |= {"suppliers": flow.suppliers, "refunds": flow.refunds, "invoices": flow.invoices}
        self.params = {
            "order_id": order_id,
            "refund_id": refund_id,
            "grant_id": GRANT,
            "tenant_id": "tsinghua",
            "supplier_id": "SUP-004",
            "sku": "CS-0002",
            "version": "1",
            "kind": "business_licence",
            "subject": f"order:{order_id}",  # a query filter (the audit trail)
            "unit_id": "L-WORLD",
            "delegation_id": delegation_id,
            "statement_id": "0" * 64,
            "line_id": "0918-20261202-1",
            "on": "2026-12-02",
            "bank_reference": "BK100000000001",
            "receipt_no": "1",
            "effective_from": "2026-01-01",
            "period": PERIOD,
            "invoice_id": WORLD_INVOICE,
            "number": WORLD_INVOICE,
        }
        self.bodies = bodies(order_id)
        self.secrets = [order_id, refund_id, GRANT, "NSFC-22375001", "Single-cell proteomics"]
        self.secrets += ["S-WORLD", "L-WORLD", delegation_id, WORLD_INVOICE]
        self.codec = StackSettings().token_codec()
        self.keys = 0

    def url(self, service: str, op: Operation) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in self.params, f"{service} {op.path}: give a value for the path parameter {name!r}"
            return self.params[name]

        return self.urls[service] + re.sub(r"\{([^}]+)\}", value, op.path)

    async def send(
        self, http: httpx.AsyncClient, service: str, op: Operation, who: Principal, with_body: bool
    ) -> httpx.Response:
        self.keys += 1
        headers = {
            "Authorization": f"Bearer {self.codec.issue(who)}",
            "Idempotency-Key": f"isolation-probe-{self.keys:04d}",
        }
        body = self.bodies.get((op.method, op.path)) if with_body else None
        # every filter that can name the world's records names them (?grant_id=, ?supplier_id=, ...)
        query = {name: self.params[name] for name in query_names(service, op) if name in self.params}
        url = self.url(service, op)
        if isinstance(body, bytes):
            content_type = "application/pdf" if body.startswith(b"%PDF") else "text/csv"
            return await http.request(
                op.method, url, params=query, content=body, headers={**headers, "Content-Type": content_type}
            )
        return await http.request(op.method, url, params=query, json=body, headers=headers)

    def betrays(self, who: Principal, response: httpx.Response) -> list[str]:
        text = response.text
        found = [s for s in self.secrets if s in text]
        if who.role is Role.SUPPLIER and "SUP-004" in text:
            found.append("SUP-004")
        return found


def every_operation() -> list[tuple[str, Operation, frozenset[Role]]]:
    found = []
    for name, app in service_apps().items():
        for op in operations(app):
            if op.path not in PUBLIC:
                roles = route_roles(op.dependant)
                assert roles, f"{name} {op.method} {op.path} declares no roles"
                found.append((name, op, roles))
    return found


def spec_of(service: str, op: Operation) -> dict[str, Any]:
    spec: dict[str, Any] = service_apps()[service].openapi()["paths"][op.path][op.method.lower()]
    return spec


def takes_body(service: str, op: Operation) -> bool:
    return "requestBody" in spec_of(service, op)


def query_names(service: str, op: Operation) -> list[str]:
    return [p["name"] for p in spec_of(service, op).get("parameters", []) if p["in"] == "query"]


async def organisation(flow: Flow) -> str:
    """The world's school and lab (the grant in the lab), another school, and a delegation of the
    grant's PI; the delegation's id."""
    for unit in (
        {"unit_id": "S-WORLD", "code": "WORLD", "name": "School of the world", "kind": "school"},
        {"unit_id": "L-WORLD", "code": "WORLD-LAB", "name": "Lab", "kind": "lab", "parent_id": "S-WORLD"},
        {"unit_id": "S-OTHER", "code": "OTHER", "name": "Another school", "kind": "school"},
    ):
        ok(await flow.http.post(f"{flow.settlement}/v1/org-units", headers=FINANCE, json=unit), 201)
    ok(
        await flow.http.put(
            f"{flow.settlement}/v1/grants/{GRANT}/org-unit",
            headers=FINANCE,
            json={"org_unit_id": "L-WORLD", "effective_from": MONTH},
        )
    )
    delegated = await flow.http.post(
        f"{flow.orders}/v1/delegations",
        headers=auth(Role.RESEARCHER, "prof-wang"),
        json={"delegate_id": "alice", "valid_until": IN_A_MONTH},
    )
    return str(ok(delegated, 201)["delegation_id"])


@pytest.fixture
async def world(flow: Flow) -> World:
    delegation_id = await organisation(flow)
    order_id = await flow.completed_order()

    async def requested() -> bool:  # refunds learns of the order from orders.events
        response = await flow.http.post(
            f"{flow.refunds}/v1/refunds",
            headers=ALICE,
            json={"order_id": order_id, "amount_minor": 500, "reason_code": "damaged", "reason": "dented"},
        )
        case.update(response.json())
        return response.status_code == 201

    case: dict[str, Any] = {}
    await eventually(requested, timeout=30, what="the refund request to be accepted")
    world = World(flow, order_id, case["refund_id"], delegation_id)
    # the escrow account's statement of today, reconciled: what the reconciliation reads show
    statement = await flow.http.get(
        f"{flow.settlement}/v1/bank-simulator/statement", params={"format": "camt053"}, headers=OPS
    )
    imported = await flow.http.post(
        f"{flow.settlement}/v1/reconciliation/statements", content=statement.content, headers=RECONCILER
    )
    assert imported.status_code == 201, imported.text
    world.params |= {"statement_id": imported.json()["statement_id"], "on": imported.json()["date"]}
    # the supplier's quote for paying a released order early (not accepted: nothing moves)
    released = await flow.completed_order()
    offer = await flow.http.post(
        f"{flow.settlement}/v1/suppliers/SUP-004/early-payment/quotes",
        json={"order_ids": [released]},
        headers=SUPPLIER,
    )
    assert offer.status_code == 201, offer.text
    world.params["quote_id"] = offer.json()["quote_id"]
    await invoiced(flow, order_id)
    return world


async def invoiced(flow: Flow, order_id: str) -> None:
    """Tsinghua invoices: its profile and books, and the order's invoice, matched, with its PDF."""
    http, url = flow.http, flow.invoices
    ok(await http.put(f"{url}/v1/universities/tsinghua/invoicing-profile", headers=FINANCE, json=INVOICING))
    mapping = {"accounts": {"payable": "2302"}, "expense": {}}
    books = f"{flow.settlement}/v1/universities/tsinghua/account-mappings/2026-01-01"
    ok(await http.put(books, headers=FINANCE, json=mapping))
    issued = {**world_bodies_issue(), "number": WORLD_INVOICE}
    ok(await http.post(f"{url}/v1/tax-simulator/invoices", headers=OPS, json=issued), 201)
    body = {"invoice": tips_invoice(WORLD_INVOICE), "bills": [{"order_id": order_id, "line_no": 1}]}

    async def submitted() -> bool:  # invoices learns of the order from orders.events
        return (
            await http.post(f"{url}/v1/suppliers/SUP-004/invoices", headers=SUPPLIER, json=body)
        ).status_code == 201

    await eventually(submitted, timeout=30, what="invoices to learn the world's order")
    document = f"{url}/v1/invoices/{WORLD_INVOICE}/document"
    ok(await http.put(document, headers={**SUPPLIER, "Content-Type": "application/pdf"}, content=PDF), 201)


def world_bodies_issue() -> dict[str, Any]:
    return dict(bodies("")[("POST", "/v1/tax-simulator/invoices")])


async def test_no_role_a_route_does_not_admit_gets_through(world: World) -> None:
    wrong: list[str] = []
    tried = 0
    async with httpx.AsyncClient(timeout=10) as http:
        for service, op, roles in every_operation():
            for role in set(Role) - roles:
                response = await world.send(http, service, op, RIGHTFUL[role], with_body=False)
                tried += 1
                if response.status_code != 403 or response.json()["error"]["code"] != "forbidden":
                    wrong.append(f"{role.value} {service} {op.method} {op.path}: {response.status_code}")
    assert wrong == []
    assert tried > 150


async def test_nobody_reads_or_changes_another_university_or_supplier_s_records(
    world: World, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str
) -> None:
    async def settled() -> bool:
        return await quiet(services, stack, topic_prefix)

    await eventually(settled, timeout=60, what="the services to be quiet")
    before = await snapshot(services)
    leaks: list[str] = []
    tried = 0
    async with httpx.AsyncClient(timeout=10) as http:
        for service, op, roles in every_operation():
            needs_body = takes_body(service, op)
            assert not needs_body or (op.method, op.path) in world.bodies, (
                f"{service} {op.method} {op.path}: give a valid body in bodies()"
            )
            for who in INTRUDERS:
                if who.role not in roles:
                    continue  # the role test covers it
                if (service, op.method, op.path) in OWN_RECORDS_ONLY and who.tenant_id != "tsinghua":
                    continue
                if (service, op.method, op.path) in CALLERS_OWN:
                    continue
                tried += 1
                response = await world.send(http, service, op, who, with_body=needs_body)
                what = f"{who.subject}@{who.tenant_id} {service} {op.method} {op.path}"
                if response.status_code in REFUSED:
                    code = response.json()["error"]["code"]
                    if code == "invalid_request":
                        leaks.append(f"{what}: the probe's body is not valid: {response.text}")
                elif response.is_success:
                    if betrayed := world.betrays(who, response):
                        leaks.append(f"{what}: {response.status_code} shows {betrayed}")
                else:
                    leaks.append(f"{what}: {response.status_code} {response.text}")

        # the probes were aimed right: the rightful readers see what the intruders did not — and
        # not even they see the supplier's bank account number in full
        for service, op, roles in every_operation():
            if op.method == "GET":
                answers = [
                    await world.send(http, service, op, RIGHTFUL[role], with_body=False) for role in roles
                ]
                assert any(a.is_success for a in answers), (
                    service,
                    op.path,
                    [a.status_code for a in answers],
                )
                assert not [a for a in answers if ACCOUNT_NUMBER in a.text], (service, op.path)

    await eventually(settled, timeout=60, what="the services to be quiet")
    assert not leaks, "\n".join(leaks)
    assert tried > 100
    after = await snapshot(services)
    changed = [table for table in before if before[table] != after.get(table)]
    assert changed == [], {t: (before[t], after.get(t)) for t in changed}
