"""Bad input gets a 4xx with a stable code and changes nothing: no state, no event."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from services.suppliers.domain.documents import MAX_DOCUMENT_BYTES
from tests.integration.suppliers.conftest import SuppliersApi, start_suppliers
from tests.integration.suppliers.journeys import (
    ACETONE,
    KEFENG,
    PDF,
    PNG,
    TIPS,
    active,
    approved,
    give_bank_account,
    ok,
    register,
    upload,
)
from tests.stack import Stack

pytestmark = pytest.mark.integration
SID = "SUP-002"


async def footprint(api: SuppliersApi) -> tuple[Any, ...]:
    """Everything a refused request must leave untouched."""
    conn = await asyncpg.connect(api.dsn)
    try:
        return tuple(
            [
                await conn.fetchval("select count(*) from outbox"),
                await conn.fetch("select supplier_id, state, version from suppliers order by 1"),
                await conn.fetchval("select count(*) from supplier_documents"),
                await conn.fetch("select account_id, status, wrong_answers from bank_accounts order by 1"),
                await conn.fetch("select listing_id, version, status from listings order by 1"),
            ]
        )
    finally:
        await conn.close()


async def refused(api: SuppliersApi, request: Any, status: int, code: str) -> dict[str, Any]:
    before = await footprint(api)
    response = await request
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code
    assert await footprint(api) == before
    return body


async def test_invalid_credit_code_is_refused(api: SuppliersApi) -> None:
    bad = {**KEFENG, "credit_code": "91310115AL7LL93D6G"}
    await refused(
        api, api.http.post("/v1/suppliers", json=bad, headers=api.supplier(SID)), 422, "invalid_credit_code"
    )


async def test_registering_again_with_other_details_or_a_taken_code_is_refused(api: SuppliersApi) -> None:
    await register(api, SID)
    other = {**KEFENG, "legal_name": "Someone Else Co., Ltd."}
    await refused(
        api, api.http.post("/v1/suppliers", json=other, headers=api.supplier(SID)), 409, "already_registered"
    )
    await refused(
        api,
        api.http.post("/v1/suppliers", json=KEFENG, headers=api.supplier("SUP-999")),
        409,
        "credit_code_taken",
    )


async def test_documents_that_are_not_what_they_claim_or_too_large_are_refused(api: SuppliersApi) -> None:
    await register(api, SID)
    await refused(
        api, upload(api, SID, "business_licence", PNG, "application/pdf"), 422, "content_type_mismatch"
    )
    await refused(
        api,
        upload(api, SID, "business_licence", b"PK\x03\x04zip", "application/pdf"),
        422,
        "unsupported_document",
    )
    await refused(
        api, upload(api, SID, "business_licence", PDF + b"0" * MAX_DOCUMENT_BYTES), 413, "document_too_large"
    )
    await refused(api, upload(api, SID, "hazardous_licence", PDF), 422, "expiry_required")


async def test_holder_name_mismatch_and_wrong_deposits_are_refused(api: SuppliersApi) -> None:
    await approved(api, SID)
    await refused(
        api, give_bank_account(api, SID, holder="Kefeng Trading Co., Ltd."), 422, "holder_name_mismatch"
    )
    no_such_account = {
        "bank_name": "B",
        "account_number": "6222000011110000",
        "holder_name": KEFENG["legal_name"],
    }
    await refused(
        api,
        api.http.put(f"/v1/suppliers/{SID}/bank-account", json=no_such_account, headers=api.supplier(SID)),
        422,
        "bank_account_rejected",
    )
    ok(await give_bank_account(api, SID))
    lines = ok(await api.http.get(f"/v1/bank-simulator/suppliers/{SID}/statement", headers=api.supplier(SID)))
    wrong = 100 - lines[0]["amount_minor"]  # never the amount sent (1..99, and 50 maps to itself)
    wrong = wrong if wrong != lines[0]["amount_minor"] else 1 + lines[0]["amount_minor"] % 99
    url, me = f"/v1/suppliers/{SID}/bank-account/verification", api.supplier(SID)
    for left in (2, 1, 0):
        response = await api.http.post(url, json={"amount_minor": wrong}, headers=me)
        assert response.status_code == 422 and response.json()["error"]["code"] == "wrong_deposit_amount"
        assert response.json()["error"]["details"] == {"attempts_left": left}  # counted, though refused
    locked = await api.http.post(url, json={"amount_minor": lines[0]["amount_minor"]}, headers=me)
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "verification_locked"

    reset = ok(await api.http.post(f"{url}/reset", headers=api.ops))
    assert reset["bank_account"]["attempts_left"] == 3
    fresh = ok(await api.http.get(f"/v1/bank-simulator/suppliers/{SID}/statement", headers=me))[0][
        "amount_minor"
    ]
    assert ok(await api.http.post(url, json={"amount_minor": fresh}, headers=me))["state"] == "ACTIVE"


async def test_hazardous_listing_without_a_licence_and_bad_cas_numbers_are_refused(api: SuppliersApi) -> None:
    await active(api, SID, hazardous_until=None)
    me = api.supplier(SID)
    await refused(
        api,
        api.http.post(f"/v1/suppliers/{SID}/listings", json=ACETONE, headers=me),
        422,
        "hazardous_licence_required",
    )
    bad_cas = {**ACETONE, "hazard_class": None, "cas_number": "67-64-2"}
    await refused(
        api,
        api.http.post(f"/v1/suppliers/{SID}/listings", json=bad_cas, headers=me),
        422,
        "invalid_cas_number",
    )
    ok(await api.http.post(f"/v1/suppliers/{SID}/listings", json=TIPS, headers=me), 201)
    await refused(
        api, api.http.post(f"/v1/suppliers/{SID}/listings", json=TIPS, headers=me), 409, "listing_exists"
    )


async def test_another_suppliers_id_in_the_path_is_refused(api: SuppliersApi) -> None:
    await active(api, SID)
    intruder = api.supplier("SUP-666")
    for method, path, body in [
        ("post", f"/v1/suppliers/{SID}/listings", TIPS),
        (
            "put",
            f"/v1/suppliers/{SID}/bank-account",
            {"bank_name": "B", "account_number": "6222000011112222", "holder_name": "X"},
        ),
        ("post", f"/v1/suppliers/{SID}/submit", None),
        ("get", f"/v1/suppliers/{SID}", None),
        ("get", f"/v1/bank-simulator/suppliers/{SID}/statement", None),
    ]:
        request = api.http.request(method, path, json=body, headers=intruder)
        await refused(api, request, 403, "not_your_supplier")
    await refused(
        api, api.http.post(f"/v1/suppliers/{SID}/approve", headers=api.supplier(SID)), 403, "forbidden"
    )
    await refused(
        api,
        api.http.post(f"/v1/suppliers/{SID}/suspend", json={"reason": "x"}, headers=api.integration),
        403,
        "forbidden",
    )


async def test_illegal_transitions_name_the_state(api: SuppliersApi) -> None:
    await register(api, SID)
    body = await refused(
        api, api.http.post(f"/v1/suppliers/{SID}/approve", headers=api.ops), 409, "illegal_transition"
    )
    assert body["details"] == {"state": "REGISTERED", "allowed_from": ["UNDER_REVIEW"]}
    await refused(
        api,
        api.http.post(f"/v1/suppliers/{SID}/submit", headers=api.supplier(SID)),
        409,
        "business_licence_required",
    )


async def test_a_failing_bank_changes_nothing(stack: Stack, fresh_db: str, topic_prefix: str) -> None:
    async for api in start_suppliers(stack, fresh_db, topic_prefix, bank_simulator_failure_rate=1.0):
        await approved(api, SID)
        await refused(api, give_bank_account(api, SID), 503, "bank_unavailable")
