"""The organisation tree through settlement's API, on the real broker and database: built and
changed by finance, every change an event and an audit entry; a lab moved between schools leaves
its past months with the school it was in; a school-scoped officer sees exactly its subtree;
roll-ups equal the sum of their grants; bad changes are refused with stable codes, nothing written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg

from plumbing.web.auth import Role
from tests.factories import line
from tests.integration.settlement.conftest import GRANT_BODY, SettlementApi

GRANT = GRANT_BODY["grant_id"]
SECOND = {**GRANT_BODY, "grant_id": "G-MOST-2026-002", "code": "MOST-2026YFA01", "pi_id": "prof-li"}


async def unit(api: SettlementApi, **body: Any) -> dict[str, Any]:
    response = await api.http.post("/v1/org-units", json=body, headers=api.auth())
    assert response.status_code == 201, response.text
    return dict(response.json())


async def tree_of_two_schools(api: SettlementApi) -> None:
    """Chemistry (with the catalysis lab) and Life Sciences (with the cell lab); the fixture's
    grant in the catalysis lab, a second grant in the cell lab."""
    await unit(api, unit_id="S-CHEM", code="CHEM", name="化学学院 School of Chemistry", kind="school")
    await unit(api, unit_id="S-LIFE", code="LIFE", name="生命科学学院 School of Life Sciences", kind="school")
    await unit(api, unit_id="L-CAT", code="CHEM-CAT", name="Catalysis lab", kind="lab", parent_id="S-CHEM")
    await unit(api, unit_id="L-CELL", code="LIFE-CELL", name="Cell lab", kind="lab", parent_id="S-LIFE")
    placed = await api.http.put(
        f"/v1/grants/{GRANT}/org-unit",
        json={"org_unit_id": "L-CAT", "effective_from": "2026-04-01"},
        headers=api.auth(),
    )
    assert placed.status_code == 200, placed.text
    second = await api.http.post("/v1/grants", json={**SECOND, "org_unit_id": "L-CELL"}, headers=api.auth())
    assert second.status_code == 201, second.text
    assert second.json()["org_unit_id"] == "L-CELL"


async def execution(api: SettlementApi, unit_id: str, **auth: Any) -> dict[str, Any]:
    response = await api.http.get(f"/v1/org-units/{unit_id}/execution", headers=api.auth(**auth))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_lab_moved_to_another_school_keeps_last_months_figures_under_the_old_one(
    api: SettlementApi,
) -> None:
    await tree_of_two_schools(api)
    await api.place("O-APR", line("RG-0002", "reagents", 10, 2_800))
    await api.receive("O-APR", 28_000)
    await api.escrow_status("O-APR", "released")  # April: 28,000 fen expended in the catalysis lab

    api.clock.advance(timedelta(days=21))  # 2026-05-01
    moved = await api.http.post(
        "/v1/org-units/L-CAT/move",
        json={"parent_id": "S-LIFE", "effective_from": "2026-05-01"},
        headers=api.auth(),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["parent_id"] == "S-LIFE"
    assert moved.json()["parents"] == [
        {"parent_id": "S-CHEM", "valid_from": "2026-04-01", "valid_to": "2026-05-01"},
        {"parent_id": "S-LIFE", "valid_from": "2026-05-01", "valid_to": None},
    ]
    await api.place("O-MAY", line("RG-0003", "reagents", 2, 4_500))
    await api.receive("O-MAY", 9_000)
    await api.escrow_status("O-MAY", "released")

    chemistry = await execution(api, "S-CHEM")
    assert chemistry["by_month"] == [{"month": "2026-04-01", "expended": 28_000, "refunded": 0}]
    assert chemistry["grants"] == [] and chemistry["total"]["budget"] == 0  # nothing under it today
    life = await execution(api, "S-LIFE")
    assert life["by_month"] == [{"month": "2026-05-01", "expended": 9_000, "refunded": 0}]
    assert sorted(g["grant_id"] for g in life["grants"]) == sorted([GRANT, SECOND["grant_id"]])
    # The school's figures are the sum of its grants', and of its labs'.
    grants = [g["total"] for g in life["grants"]]
    for figure in ("budget", "encumbered", "expended", "refunded", "available"):
        assert life["total"][figure] == sum(g[figure] for g in grants)
        assert life["total"][figure] == sum(u["total"][figure] for u in life["units"])
    assert life["total"]["expended"] == 37_000 and life["total"]["budget"] == 2_400_000
    assert [(u["unit"]["code"], u["grants"]) for u in life["units"]] == [("CHEM-CAT", 1), ("LIFE-CELL", 1)]
    lab = await execution(api, "L-CAT")
    assert [m["month"] for m in lab["by_month"]] == ["2026-04-01", "2026-05-01"]

    university = (await api.http.get("/v1/universities/tsinghua/execution", headers=api.auth())).json()
    schools = {s["unit"]["code"]: s for s in university["schools"]}
    assert schools["LIFE"]["total"] == life["total"] and schools["CHEM"]["grants"] == 0
    assert university["total"]["expended"] == sum(s["total"]["expended"] for s in university["schools"])
    csv_rows = await api.http.get(
        "/v1/org-units/S-LIFE/execution", params={"format": "csv"}, headers=api.auth()
    )
    header, *rows = csv_rows.text.splitlines()
    assert header.endswith(",org_unit_id") and sorted(r.rsplit(",", 1)[1] for r in rows) == [
        "L-CAT",
        "L-CELL",
    ]
    assert await api.check() == []


async def test_a_school_scoped_officer_sees_and_manages_exactly_its_subtree(api: SettlementApi) -> None:
    await tree_of_two_schools(api)
    chem = api.auth(sub="fo-chem", org_unit="S-CHEM")
    assert (await api.http.get(f"/v1/grants/{GRANT}", headers=chem)).status_code == 200
    for path in (
        f"/v1/grants/{SECOND['grant_id']}",
        f"/v1/grants/{SECOND['grant_id']}/execution",
        "/v1/org-units/S-LIFE",
        "/v1/org-units/L-CELL/execution",
    ):
        response = await api.http.get(path, headers=chem)
        assert response.status_code == 404, (path, response.text)
    tree = (await api.http.get("/v1/org-units", headers=chem)).json()
    assert [(u["code"], [c["code"] for c in u["units"]]) for u in tree["units"]] == [("CHEM", ["CHEM-CAT"])]
    refused = await api.http.get("/v1/universities/tsinghua/execution", headers=chem)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "outside_scope")
    audit = await api.http.get("/v1/audit", headers=chem)
    assert (audit.status_code, audit.json()["error"]["code"]) == (403, "outside_scope")

    before = await rows(api)
    for path, body in (
        (f"/v1/grants/{SECOND['grant_id']}/close", {"reason": "probe"}),
        ("/v1/org-units/L-CELL/rename", {"name": "Taken"}),
        ("/v1/org-units/L-CAT/move", {"parent_id": "S-LIFE", "effective_from": "2026-05-01"}),
        ("/v1/org-units/S-CHEM/rename", {"name": "its own school is the university's to change"}),
    ):
        response = await api.http.post(path, json=body, headers=chem)
        assert response.status_code == 404, (path, response.text)
    grant_elsewhere = await api.http.post(
        "/v1/grants",
        json={**SECOND, "grant_id": "G-X", "code": "X-1", "org_unit_id": "L-CELL"},
        headers=chem,
    )
    assert grant_elsewhere.status_code == 404
    assert await rows(api) == before
    # Within its school it manages: a new lab, a grant registered there by default.
    await api.http.post(
        "/v1/org-units",
        json={
            "unit_id": "L-NEW",
            "code": "CHEM-NEW",
            "name": "New lab",
            "kind": "lab",
            "parent_id": "S-CHEM",
        },
        headers=chem,
    )
    own = await api.http.post(
        "/v1/grants", json={**SECOND, "grant_id": "G-CHEM-3", "code": "CHEM-3"}, headers=chem
    )
    assert (own.status_code, own.json()["org_unit_id"]) == (201, "S-CHEM")
    approver = await api.http.get(
        "/v1/org-units/S-CHEM/execution", headers=api.auth(Role.UNIT_APPROVER, "dean-chem", org_unit="S-CHEM")
    )
    assert sorted(g["grant_id"] for g in approver.json()["grants"]) == ["G-CHEM-3", GRANT]


async def test_bad_changes_are_refused_with_a_stable_code_and_nothing_is_written(api: SettlementApi) -> None:
    await tree_of_two_schools(api)
    before = await rows(api)
    cases = [
        (
            "/v1/org-units/L-CAT/move",
            {"parent_id": "S-LIFE", "effective_from": "2026-05-15"},
            "not_a_month_start",
        ),
        (
            "/v1/org-units/L-CAT/move",
            {"parent_id": "S-LIFE", "effective_from": "2026-03-01"},
            "effective_in_past_month",
        ),
        (
            "/v1/org-units/S-CHEM/move",
            {"parent_id": "L-CAT", "effective_from": "2026-05-01"},
            "invalid_parent",
        ),
        ("/v1/org-units/L-CAT/move", {"parent_id": None, "effective_from": "2026-05-01"}, "invalid_parent"),
        (
            "/v1/org-units/L-CAT/move",
            {"parent_id": "S-NONE", "effective_from": "2026-05-01"},
            "org_unit_not_found",
        ),
        (
            "/v1/org-units/S-CHEM/close",
            {"closed_from": "2026-05-01", "reason": "merge"},
            "org_unit_not_empty",
        ),
        ("/v1/org-units", {"code": "CHEM", "name": "Again", "kind": "school"}, "org_unit_exists"),
        ("/v1/org-units", {"code": "LAB-TOP", "name": "Loose lab", "kind": "lab"}, "invalid_parent"),
    ]
    for path, body, code in cases:
        response = await api.http.post(path, json=body, headers=api.auth())
        assert response.json().get("error", {}).get("code") == code, (path, body, response.text)
    twice = await api.http.put(
        "/v1/org-units/S-CHEM/approval-rules",
        json={
            "rules": [
                {"key": "dean", "approver": "unit_approver"},
                {"key": "dean", "approver": "unit_approver"},
            ]
        },
        headers=api.auth(),
    )
    assert twice.json()["error"]["code"] == "invalid_approval_rules"
    # a band beyond any amount UniSettle takes, and an integer no JSON reader takes, are invalid
    # requests like any other (422), naming what is wrong
    for above in (2**63, 10**30, 10**14 + 1):
        huge = await api.http.put(
            "/v1/org-units/S-CHEM/approval-rules",
            json={"rules": [{"key": "dean", "approver": "unit_approver", "above_minor": above}]},
            headers=api.auth(),
        )
        assert huge.status_code == 422, huge.text
        assert huge.json()["error"]["details"][0]["loc"][-1] == "above_minor"
    digits = b'{"rules": [{"key": "dean", "approver": "unit_approver", "above_minor": ' + b"9" * 5000 + b"}]}"
    unreadable = await api.http.put(
        "/v1/org-units/S-CHEM/approval-rules",
        content=digits,
        headers={**api.auth(), "Content-Type": "application/json"},
    )
    assert unreadable.status_code == 422 and unreadable.json()["error"]["code"] == "invalid_request"
    assert await rows(api) == before


async def test_a_request_with_two_authorization_headers_is_refused(api: SettlementApi) -> None:
    """Proxies and frameworks differ on which of two Authorization headers they read: neither is
    believed, even when both carry a valid token."""
    token = api.auth()["Authorization"]
    other = api.auth(Role.UNIVERSITY_FINANCE)["Authorization"]
    twice = await api.http.get(
        "/v1/universities/tsinghua/execution", headers=[("Authorization", other), ("Authorization", token)]
    )
    assert twice.status_code == 401 and twice.json()["error"]["code"] == "unauthenticated"
    once = await api.http.get("/v1/universities/tsinghua/execution", headers={"Authorization": other})
    assert once.status_code == 200, once.text


async def test_every_change_is_an_event_and_an_audit_entry(api: SettlementApi) -> None:
    await tree_of_two_schools(api)
    await api.http.post("/v1/org-units/L-CELL/rename", json={"name": "Cell biology lab"}, headers=api.auth())
    rules = {
        "rules": [
            {"key": "dean", "approver": "unit_approver", "above_minor": 5_000_000},
            {"key": "hazardous", "approver": "safety_officer", "item_kind": "hazardous"},
        ]
    }
    assert (
        await api.http.put("/v1/org-units/S-LIFE/approval-rules", json=rules, headers=api.auth())
    ).status_code == 200
    events = await api.settlement_events(at_least=9)
    kinds = [(e["event_type"], e["aggregate_id"]) for e in events]
    for expected in [
        ("settlement.OrgUnitCreated", "S-CHEM"),
        ("settlement.OrgUnitCreated", "L-CELL"),
        ("settlement.OrgUnitRenamed", "L-CELL"),
        ("settlement.OrgUnitApprovalRulesSet", "S-LIFE"),
        ("settlement.GrantOrgUnitChanged", GRANT),
        ("settlement.GrantOrgUnitChanged", SECOND["grant_id"]),
    ]:
        assert expected in kinds
    audit = (
        await api.http.get("/v1/audit", params={"subject": "org_unit:L-CELL"}, headers=api.auth())
    ).json()
    assert [e["action"] for e in audit["entries"]] == ["org_unit.created", "org_unit.renamed"]
    assert audit["entries"][1]["after"]["name"] == "Cell biology lab"


async def rows(api: SettlementApi) -> list[Any]:
    conn = await asyncpg.connect(api.dsn)
    try:
        out = []
        for table in ("org_units", "grant_units", "grants", "audit_log"):
            out.append([tuple(r) for r in await conn.fetch(f"select * from {table} order by 1, 2")])
        out.append(await conn.fetchval("select count(*) from outbox"))  # the relay marks rows sent
        return out
    finally:
        await conn.close()
