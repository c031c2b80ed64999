"""From registration to ACTIVE with a published catalog, through the API alone; every step's
event is on the real broker, in order, numbered without gaps."""

from __future__ import annotations

import json

import pytest

from contracts.topics import Topic, with_prefix
from tests.integration.kafka_io import read_topic
from tests.integration.suppliers.conftest import SuppliersApi
from tests.integration.suppliers.journeys import (
    ACETONE,
    KEFENG,
    PDF,
    TIPS,
    active,
    deposit_seen,
    give_bank_account,
    ok,
    upload,
)
from tests.stack import Stack

pytestmark = pytest.mark.integration
SID = "SUP-002"


async def test_a_supplier_goes_from_registration_to_active_with_a_catalog(
    api: SuppliersApi, stack: Stack
) -> None:
    http, me = api.http, api.supplier(SID)
    first = ok(await http.post("/v1/suppliers", json=KEFENG, headers=me), 201)
    assert first["state"] == "REGISTERED"
    again = ok(await http.post("/v1/suppliers", json=KEFENG, headers=me), 200)  # idempotent
    assert again["version"] == first["version"]

    ok(await upload(api, SID, "business_licence"), 201)
    ok(await upload(api, SID, "business_licence"), 200)  # the same file again changes nothing
    ok(await upload(api, SID, "hazardous_licence", PDF + b"%hz", valid_until="2027-06-30"), 201)
    assert ok(await http.post(f"/v1/suppliers/{SID}/submit", headers=me))["state"] == "UNDER_REVIEW"
    assert ok(await http.post(f"/v1/suppliers/{SID}/approve", headers=api.ops))["state"] == "APPROVED"

    pending = ok(await give_bank_account(api, SID))
    assert pending["bank_account"]["account_masked"] == "**** 3445"
    assert pending["bank_account"]["payouts_paused"] is True
    assert "6222020200112233445" not in json.dumps(pending)
    amount = await deposit_seen(api, SID)
    assert 1 <= amount <= 99
    active = ok(
        await http.post(
            f"/v1/suppliers/{SID}/bank-account/verification", json={"amount_minor": amount}, headers=me
        )
    )
    assert active["state"] == "ACTIVE" and active["bank_account"]["status"] == "verified"

    ok(await http.post(f"/v1/suppliers/{SID}/listings", json=ACETONE, headers=me), 201)
    ok(await http.post(f"/v1/suppliers/{SID}/listings", json=TIPS, headers=me), 201)
    new_price = {k: v for k, v in ACETONE.items() if k != "sku"} | {"price_minor": 3100}
    changed = ok(await http.put(f"/v1/suppliers/{SID}/listings/RG-0002", json=new_price, headers=me))
    assert (changed["version"], changed["price_minor"], changed["hazardous"]) == (2, 3100, True)
    v1 = ok(await http.get(f"/v1/suppliers/{SID}/listings/RG-0002/versions/1", headers=api.integration))
    assert v1["price_minor"] == 2800  # an order placed at version 1 keeps its price

    catalog = ok(await http.get("/v1/listings", headers=api.integration))
    assert [(i["sku"], i["price_minor"]) for i in catalog["items"]] == [("CS-0002", 2800), ("RG-0002", 3100)]

    topic = with_prefix(api.topic_prefix, Topic.SUPPLIERS_EVENTS.value)
    records = await read_topic(stack.kafka, topic, at_least=9)
    envelopes = [json.loads(r.value) for r in records]
    assert [e["event_type"].split(".")[1] for e in envelopes] == [
        "SupplierRegistered",
        "LicenceRenewed",
        "SupplierApproved",
        "BankAccountChanged",
        "BankAccountVerified",
        "SupplierActivated",
        "ListingPublished",
        "ListingPublished",
        "ListingChanged",
    ]
    assert [e["aggregate_version"] for e in envelopes] == list(range(1, 10))
    assert {r.key for r in records} == {SID.encode()}
    assert envelopes[5]["payload"]["hazardous_licence_valid_until"] == "2027-06-30"
    assert all("6222020200112233445" not in r.value.decode() for r in records)


async def test_ops_list_suppliers_with_filters_and_cursor_and_integrations_see_only_active(
    api: SuppliersApi,
) -> None:
    await active(api, "SUP-A")
    for sid in ("SUP-B", "SUP-C"):
        body = {
            **KEFENG,
            "credit_code": {"SUP-B": "91110108FE1KM2U909", "SUP-C": "91440106B7HR4HLY1D"}[sid],
            "legal_name": f"{sid} Co., Ltd.",
        }
        ok(await api.http.post("/v1/suppliers", json=body, headers=api.supplier(sid)), 201)

    page1 = ok(await api.http.get("/v1/suppliers", params={"limit": 2}, headers=api.ops))
    assert [s["supplier_id"] for s in page1["items"]] == ["SUP-A", "SUP-B"]
    page2 = ok(
        await api.http.get(
            "/v1/suppliers", params={"limit": 2, "cursor": page1["next_cursor"]}, headers=api.ops
        )
    )
    assert [s["supplier_id"] for s in page2["items"]] == ["SUP-C"] and page2["next_cursor"] is None
    registered = ok(await api.http.get("/v1/suppliers", params={"state": "REGISTERED"}, headers=api.ops))
    assert [s["supplier_id"] for s in registered["items"]] == ["SUP-B", "SUP-C"]

    seen_by_platform = ok(await api.http.get("/v1/suppliers", headers=api.integration))
    assert [s["supplier_id"] for s in seen_by_platform["items"]] == ["SUP-A"]
    hidden = await api.http.get("/v1/suppliers/SUP-B", headers=api.integration)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "supplier_not_found"
    mine = ok(await api.http.get("/v1/suppliers", headers=api.supplier("SUP-C")))
    assert [s["supplier_id"] for s in mine["items"]] == ["SUP-C"]
    bad = await api.http.get("/v1/suppliers", params={"cursor": "%%%"}, headers=api.ops)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"


async def test_suspension_takes_a_supplier_off_sale_and_reinstatement_puts_it_back(api: SuppliersApi) -> None:
    await active(api, SID)
    ok(await api.http.post(f"/v1/suppliers/{SID}/listings", json=TIPS, headers=api.supplier(SID)), 201)
    ok(
        await api.http.post(
            f"/v1/suppliers/{SID}/suspend", json={"reason": "quality complaints"}, headers=api.ops
        )
    )
    assert ok(await api.http.get("/v1/listings", headers=api.integration))["items"] == []
    ok(await api.http.post(f"/v1/suppliers/{SID}/reinstate", json={"reason": "resolved"}, headers=api.ops))
    assert len(ok(await api.http.get("/v1/listings", headers=api.integration))["items"]) == 1
