"""The demo's university and suppliers: grants with their PIs and buyers, the reference suppliers
onboarded (documents, review, a verified bank account) and their catalogs published."""

from __future__ import annotations

import csv
import zlib
from datetime import date, timedelta
from typing import Any

import httpx

from seeding.client import FINANCE, HERE, OPS, PDF, URL, ok, supplier_auth


async def onboard(http: httpx.AsyncClient, row: dict[str, str]) -> None:
    sid, me = row["ref"], supplier_auth(row["ref"])
    hazardous = row["hazardous_licence"] == "yes"
    base = f"{URL['suppliers']}/v1/suppliers/{sid}"
    ok(
        await http.post(
            f"{URL['suppliers']}/v1/suppliers",
            headers=me,
            json={
                "legal_name": row["legal_name"],
                "credit_code": row["uscc"],
                "categories": ["reagents", "consumables"] if hazardous else ["consumables", "reagents"],
                "contact": {
                    "name": "Sales desk",
                    "email": f"sales@{sid.lower()}.example",
                    "phone": "+86 21 5555 0100",
                },
            },
        )
    )
    ok(
        await http.put(
            f"{base}/documents/business_licence",
            content=PDF + sid.encode(),
            headers={**me, "Content-Type": "application/pdf"},
        )
    )
    if hazardous:
        until = (date.today() + timedelta(days=365)).isoformat()
        ok(
            await http.put(
                f"{base}/documents/hazardous_licence",
                params={"valid_until": until},
                content=PDF + b"hz" + sid.encode(),
                headers={**me, "Content-Type": "application/pdf"},
            )
        )
    ok(await http.post(f"{base}/submit", headers=me))
    ok(await http.post(f"{base}/approve", headers=OPS))
    ok(
        await http.put(
            f"{base}/bank-account",
            headers=me,
            json={
                "bank_name": "Bank of China",
                "account_number": f"6216{zlib.crc32(sid.encode()) % 10**12:012d}9",  # the same every run
                "holder_name": row["legal_name"],
            },
        )
    )
    seen = ok(await http.get(f"{URL['suppliers']}/v1/bank-simulator/suppliers/{sid}/statement", headers=me))
    ok(
        await http.post(
            f"{base}/bank-account/verification", headers=me, json={"amount_minor": seen[0]["amount_minor"]}
        )
    )


def hazards(row: dict[str, str]) -> str | None:
    tags = [t for t in row["ghs_hazards"].split(",") if t != "none"]
    if "explosive-precursor" in row["cn_control"]:
        tags.append("explosive-precursor")
    return ",".join(tags) or None


async def _list(http: httpx.AsyncClient, sid: str, row: dict[str, str], **details: Any) -> None:
    """Publish one reference item in the supplier's catalog."""
    body = {
        "sku": row["sku"],
        "name": row["name"],
        "unit": row["unit"],
        "price_minor": int(row["price_minor"]),
    }
    ok(
        await http.post(
            f"{URL['suppliers']}/v1/suppliers/{sid}/listings",
            headers=supplier_auth(sid),
            json={**body, **details},
        )
    )


async def publish_catalog(http: httpx.AsyncClient) -> dict[str, tuple[str, int]]:
    """Hazardous reagents go to the licensed suppliers, the rest round-robin.
    Returns sku → (supplier, price)."""
    listed: dict[str, tuple[str, int]] = {}
    licensed, others = ["SUP-002", "SUP-005"], ["SUP-001", "SUP-003"]
    with (HERE / "reagents.csv").open() as f:
        for n, row in enumerate(csv.DictReader(f)):
            hz = hazards(row)
            sid = (licensed if hz else others)[n % 2]
            await _list(http, sid, row, category="reagents", hazard_class=hz, cas_number=row["cas"])
            listed[row["sku"]] = (sid, int(row["price_minor"]))
    with (HERE / "consumables.csv").open() as f:
        for n, row in enumerate(csv.DictReader(f)):
            sid = ["SUP-004", "SUP-006"][n % 2]
            await _list(http, sid, row, category=row["category"])
            listed[row["sku"]] = (sid, int(row["price_minor"]))
    return listed


# The demo university's tree: two schools, a lab in each (a department between in chemistry).
# Chemistry's dean signs above ¥50,000.00 and its labs' PIs above ¥5,000.00; the safety office's
# rule for hazardous items is the university's own.
ORGANISATION: list[dict[str, Any]] = [
    {"unit_id": "S-CHEM", "code": "CHEM", "name": "化学学院 School of Chemistry", "kind": "school"},
    {"unit_id": "S-LIFE", "code": "LIFE", "name": "生命科学学院 School of Life Sciences", "kind": "school"},
    {
        "unit_id": "D-CHEM-ORG",
        "code": "CHEM-ORG",
        "name": "有机化学系 Department of Organic Chemistry",
        "kind": "department",
        "parent_id": "S-CHEM",
    },
    {
        "unit_id": "L-CHEM-CAT",
        "code": "CHEM-CAT",
        "name": "不对称催化实验室 Asymmetric Catalysis Lab (Prof. Wang)",
        "kind": "lab",
        "parent_id": "D-CHEM-ORG",
    },
    {
        "unit_id": "L-LIFE-PROT",
        "code": "LIFE-PROT",
        "name": "单细胞蛋白质组实验室 Single-Cell Proteomics Lab (Prof. Li)",
        "kind": "lab",
        "parent_id": "S-LIFE",
    },
]
RULES = {
    "S-CHEM": [
        {"key": "pi", "approver": "principal_investigator", "above_minor": 500_000},
        {"key": "dean", "approver": "unit_approver", "above_minor": 5_000_000},
    ],
    "S-LIFE": [{"key": "dean", "approver": "unit_approver", "above_minor": 10_000_000}],
}
LAB_OF = {"G-NSFC-2026-001": "L-CHEM-CAT", "G-MOST-2026-017": "L-LIFE-PROT"}


async def organisation(http: httpx.AsyncClient) -> None:
    for unit in ORGANISATION:
        ok(await http.post(f"{URL['settlement']}/v1/org-units", headers=FINANCE, json=unit))
    for unit_id, rules in RULES.items():
        ok(
            await http.put(
                f"{URL['settlement']}/v1/org-units/{unit_id}/approval-rules",
                headers=FINANCE,
                json={"rules": rules},
            )
        )


async def grants(http: httpx.AsyncClient) -> None:
    start = date.today().replace(month=1, day=1)
    for grant_id, code, title, pi, buyers, budget in [
        (
            "G-NSFC-2026-001",
            "NSFC-22375001",
            "Catalytic asymmetric synthesis of chiral amines",
            "prof-wang",
            ["alice", "bob"],
            {"reagents": 3_000_000, "consumables": 800_000},
        ),
        (
            "G-MOST-2026-017",
            "MOST-2026YFA1500017",
            "Single-cell proteomics platform",
            "prof-li",
            ["carol"],
            {"reagents": 1_500_000, "consumables": 1_200_000, "equipment": 5_000_000},
        ),
    ]:
        ok(
            await http.post(
                f"{URL['settlement']}/v1/grants",
                headers=FINANCE,
                json={
                    "grant_id": grant_id,
                    "code": code,
                    "title": title,
                    "pi_id": pi,
                    "authorised_buyers": buyers,
                    "budget_by_category": budget,
                    "period_start": start.isoformat(),
                    "period_end": start.replace(year=start.year + 2, month=12, day=31).isoformat(),
                    "approval_threshold_minor": 500_000,
                    "org_unit_id": LAB_OF[grant_id],
                    "execution_targets": [
                        {"on": start.replace(month=12, day=31).isoformat(), "rate_bp": 4000},
                        {
                            "on": start.replace(year=start.year + 2, month=12, day=31).isoformat(),
                            "rate_bp": 9500,
                        },
                    ],
                },
            )
        )
