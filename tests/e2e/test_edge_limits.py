"""The edge of every service: request bodies are bounded, and one client cannot flood the write
endpoints — both answered in the shared error shape, with nothing written."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import httpx
import pytest

from plumbing.web.auth import Role
from services.settlement.config import SettlementSettings
from services.settlement.reconciliation.adapters.statements import tabular
from services.settlement.reconciliation.domain.statement import Direction, Statement, StatementLine
from tests.e2e.flow import GRANT, Flow
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import ALICE, FINANCE, OPS, RECONCILER, auth

pytestmark = pytest.mark.e2e
LIMIT = 1024 * 1024  # the default UNISETTLE_MAX_REQUEST_BYTES
SETTLEMENT_ACCOUNT = SettlementSettings().bank_account


def grant(grant_id: str, title: str = "Edge limits") -> dict[str, object]:
    return {
        "grant_id": grant_id,
        "code": f"CODE-{grant_id}",
        "title": title,
        "pi_id": "prof-wang",
        "budget_by_category": {"consumables": 1000},
        "period_start": "2026-01-01",
        "period_end": "2027-12-31",
        "approval_threshold_minor": 500,
    }


async def grants_in(service: ServiceProcess) -> int:
    conn = await asyncpg.connect(service.dsn)
    try:
        count: int = await conn.fetchval("select count(*) from grants")
        return count
    finally:
        await conn.close()


@pytest.mark.service_env(UNISETTLE_WRITE_RATE_PER_SECOND="0.1", UNISETTLE_WRITE_BURST="3")
async def test_a_client_over_its_allowance_of_changes_is_slowed_down_and_others_are_not(
    services: dict[str, ServiceProcess],
) -> None:
    url = services["settlement"].url
    async with httpx.AsyncClient(timeout=10) as http:
        answers = [
            await http.post(f"{url}/v1/grants", headers=FINANCE, json=grant(f"G-EDGE-{n}")) for n in range(4)
        ]
        assert [a.status_code for a in answers] == [201, 201, 201, 429], answers[0].text
        refused = answers[-1]
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1
        assert await grants_in(services["settlement"]) == 3  # the refused one wrote nothing

        # reads go on, and another client (another university's finance) has its own allowance
        assert (await http.get(f"{url}/v1/grants/G-EDGE-0", headers=FINANCE)).status_code == 200
        other = auth(Role.UNIVERSITY_FINANCE, "fo-9", "fudan")
        assert (await http.post(f"{url}/v1/grants", headers=other, json=grant("G-EDGE-F"))).status_code == 201


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    yield b'{"grant_id": "G-HUGE", "title": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}'


async def test_a_body_over_the_limit_is_refused_before_it_is_read_whole(
    services: dict[str, ServiceProcess],
) -> None:
    url = services["settlement"].url
    async with httpx.AsyncClient(timeout=30) as http:
        declared = await http.post(f"{url}/v1/grants", headers=FINANCE, json=grant("G-HUGE", "x" * LIMIT))
        streamed = await http.post(  # no Content-Length: the limit counts what arrives
            f"{url}/v1/grants",
            headers={**FINANCE, "Content-Type": "application/json"},
            content=chunks(2 * LIMIT),
        )
        statement = await http.post(
            f"{url}/v1/reconciliation/statements",
            headers={**RECONCILER, "Content-Type": "text/csv"},
            content=large_statement(lines=12_000).encode(),
        )
    for answer in (declared, streamed):
        assert answer.status_code == 413, answer.text
        assert answer.json()["error"]["code"] == "payload_too_large"
    assert await grants_in(services["settlement"]) == 0
    assert statement.status_code == 201, statement.text  # a statement may be larger than a request
    assert len(statement.json()["surplus"]) == 12_000


def large_statement(lines: int) -> str:
    """A busy day's CSV export (well over a request's limit): `lines` receipts of ¥1.00."""
    day = date(2026, 11, 26)
    receipts = tuple(
        StatementLine(
            line_no=n,
            booking_date=day,
            amount_minor=100,
            direction=Direction.CREDIT,
            bank_reference=f"BK{n:012d}",
            remittance=f"货款 第{n}笔 南京大学化学化工学院 试剂采购",
            counterparty_account="6222020200001111",
            counterparty_name="南京大学",
        )
        for n in range(1, lines + 1)
    )
    opening = 1_000_000_000
    statement = Statement(SETTLEMENT_ACCOUNT, day, opening, opening + 100 * lines, receipts)
    text = tabular.write(statement, tabular.GENERIC)
    assert len(text.encode()) > LIMIT
    return text


async def test_text_postgres_cannot_store_is_refused_at_the_edge(services: dict[str, ServiceProcess]) -> None:
    url = services["settlement"].url
    async with httpx.AsyncClient(timeout=10) as http:
        answers = [
            await http.get(f"{url}/v1/grants/G%00-1", headers=FINANCE),
            await http.get(f"{url}/v1/audit", headers=OPS, params={"subject": "order:\x00"}),
            await http.post(f"{url}/v1/grants", headers=FINANCE, json=grant("G-NUL", "nul \x00 in a title")),
            await http.post(  # a lone surrogate, as JSON allows and UTF-8 cannot encode
                f"{url}/v1/grants",
                headers={**FINANCE, "Content-Type": "application/json"},
                content=json.dumps(grant("G-SUR", "lone \ud800 surrogate")).encode(),  # ascii: \ud800
            ),
        ]
    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [(422, "invalid_request")] * 4
    for body_refused in answers[2:]:  # for the text, not for anything else in the body
        assert "NUL character or an unpaired surrogate" in body_refused.text, body_refused.text
    assert await grants_in(services["settlement"]) == 0


async def test_money_that_is_not_a_whole_count_of_fen_is_refused_naming_the_field(
    flow: Flow, services: dict[str, ServiceProcess]
) -> None:
    http = flow.http
    for budget in (100_000.0, "100000", True):
        body = {**grant("G-FLOAT"), "budget_by_category": {"consumables": budget}}
        refused = await http.post(f"{flow.settlement}/v1/grants", headers=FINANCE, json=body)
        error = refused.json()["error"]
        assert (refused.status_code, error["code"]) == (422, "invalid_request"), refused.text
        assert [d["loc"] for d in error["details"]] == [["body", "budget_by_category", "consumables"]]
    assert await grants_in(services["settlement"]) == 1  # the flow's own grant only

    line = {"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 1, "unit_price_minor": 2800.0}
    refused = await http.post(
        f"{flow.orders}/v1/checkouts",
        headers={**ALICE, "Idempotency-Key": "float-price"},
        json={"grant_id": GRANT, "lines": [line]},
    )
    error = refused.json()["error"]
    assert (refused.status_code, error["code"]) == (422, "invalid_request"), refused.text
    assert [d["loc"] for d in error["details"]] == [["body", "lines", 0, "unit_price_minor"]]
