"""Steps a supplier takes through the API, shared by the suppliers tests."""

from __future__ import annotations

from typing import Any

from tests.integration.suppliers.conftest import SuppliersApi

PDF = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17
LEGAL_NAME = "Shanghai Kefeng Chemical Technology Co., Ltd."
KEFENG: dict[str, Any] = {
    "legal_name": LEGAL_NAME,
    "credit_code": "91310115AL7LL93D6F",
    "contact": {"name": "Li Wei", "email": "li.wei@kefeng.example", "phone": "+86 21 5555 0100"},
    "categories": ["reagents", "consumables"],
}
ACETONE = {
    "sku": "RG-0002",
    "name": "Acetone",
    "unit": "500 mL",
    "price_minor": 2800,
    "category": "reagents",
    "hazard_class": "flammable",
    "cas_number": "67-64-1",
}
TIPS = {
    "sku": "CS-0002",
    "name": "Pipette tips 200 uL, sterile",
    "unit": "box of 96",
    "price_minor": 2800,
    "category": "consumables",
}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def register(api: SuppliersApi, sid: str, body: dict[str, Any] = KEFENG) -> Any:
    return ok(await api.http.post("/v1/suppliers", json=body, headers=api.supplier(sid)), 201)


async def upload(
    api: SuppliersApi,
    sid: str,
    kind: str,
    content: bytes = PDF,
    content_type: str = "application/pdf",
    **params: str,
) -> Any:
    return await api.http.put(
        f"/v1/suppliers/{sid}/documents/{kind}",
        content=content,
        params=params,
        headers={**api.supplier(sid), "Content-Type": content_type},
    )


async def approved(api: SuppliersApi, sid: str, *, hazardous_until: str | None = "2027-06-30") -> None:
    await register(api, sid)
    ok(await upload(api, sid, "business_licence", licence_number="91310115AL7LL93D6F"), 201)
    if hazardous_until:
        ok(
            await upload(
                api,
                sid,
                "hazardous_licence",
                PDF + b"%hz",
                valid_until=hazardous_until,
                licence_number="沪(浦)危化经字[2024]000123",
            ),
            201,
        )
    ok(await api.http.post(f"/v1/suppliers/{sid}/submit", headers=api.supplier(sid)))
    ok(await api.http.post(f"/v1/suppliers/{sid}/approve", headers=api.ops))


async def deposit_seen(api: SuppliersApi, sid: str) -> int:
    lines = ok(await api.http.get(f"/v1/bank-simulator/suppliers/{sid}/statement", headers=api.supplier(sid)))
    return int(lines[0]["amount_minor"])


async def give_bank_account(api: SuppliersApi, sid: str, holder: str = LEGAL_NAME) -> Any:
    return await api.http.put(
        f"/v1/suppliers/{sid}/bank-account",
        json={
            "bank_name": "Bank of Shanghai",
            "account_number": "6222020200112233445",
            "holder_name": holder,
        },
        headers=api.supplier(sid),
    )


async def active(api: SuppliersApi, sid: str, *, hazardous_until: str | None = "2027-06-30") -> Any:
    await approved(api, sid, hazardous_until=hazardous_until)
    ok(await give_bank_account(api, sid))
    amount = await deposit_seen(api, sid)
    return ok(
        await api.http.post(
            f"/v1/suppliers/{sid}/bank-account/verification",
            json={"amount_minor": amount},
            headers=api.supplier(sid),
        )
    )
