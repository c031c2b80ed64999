"""Reconciliation against the real database through settlement's API: the bank simulator's
statement of the day's payouts in each format matches the same way; a batch booking matches its
payouts; a statement that is malformed or does not add up changes nothing; one account's day is
imported once; a line booked a day late clears the 短款 and the day's report gets a new version;
operators resolve 长款 by match, return and a write-off two people agree on. The same statement
through another channel (MT940 after camt.053) is the one already imported."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from plumbing.web.auth import Role
from services.settlement.reconciliation.adapters import reconciliation_repo
from services.settlement.reconciliation.domain import bank_reconciliation
from services.settlement.reconciliation.domain.statement import decimal_text, to_fen
from tests.integration.settlement.conftest import SettlementApi
from tests.integration.settlement.test_payouts import payable_supplier, payees_known, run

pytestmark = pytest.mark.integration

NET = 28_000 - 168  # each supplier's payout: ¥280.00 released less the 60 bp fee
ACCOUNT = "31050161373600000918"


@pytest.fixture(autouse=True)
async def reports_stay_current(api: SettlementApi) -> AsyncIterator[None]:
    """After each test, every day's latest report is what a recomputation of all days says now:
    only the days a change can reach are reported again, and none of those is missed."""
    yield
    conn = await asyncpg.connect(api.dsn)
    try:
        statements, lines, items = await reconciliation_repo.report_facts(conn, ACCOUNT)
        for statement in statements:
            [latest] = await reconciliation_repo.reports(conn, ACCOUNT, statement.on)
            fresh = bank_reconciliation.day_report(statement.on, statements, lines, items)
            assert json.loads(latest["body"]) == {"account": ACCOUNT, **fresh}, statement.on
    finally:
        await conn.close()


def ops(api: SettlementApi, who: str = "ops-1") -> dict[str, str]:
    return api.auth(Role.PLATFORM_OPS, who, "platform")


def officer(api: SettlementApi, who: str = "recon-1") -> dict[str, str]:
    """A reconciliation officer: who reconciles is not who pays (ops)."""
    return api.auth(Role.RECONCILIATION, who, "platform")


async def paid_two(api: SettlementApi) -> dict[str, str]:
    await payable_supplier(api, "SUP-002", "O-1")
    await payable_supplier(api, "SUP-003", "O-2")
    await payees_known(api, 2)
    report = await run(api)
    assert report["paid"] == {"SUP-002": NET, "SUP-003": NET}
    return {sid: f"{report['run_id']}:{sid}" for sid in report["paid"]}


async def simulated(api: SettlementApi, **params: Any) -> bytes:
    response = await api.http.get("/v1/bank-simulator/statement", params=params, headers=ops(api))
    assert response.status_code == 200, response.text
    return response.content


async def import_(api: SettlementApi, content: bytes, **params: Any) -> Any:
    return await api.http.post(
        "/v1/reconciliation/statements", content=content, params=params, headers=officer(api)
    )


async def day_report(api: SettlementApi, on: str, versions: bool = False) -> list[dict[str, Any]]:
    response = await api.http.get(
        f"/v1/reconciliation/reports/{on}", params={"versions": versions}, headers=officer(api)
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("params", "format"),
    [
        ({"format": "camt053"}, "camt.053"),
        ({"format": "mt940"}, "mt940"),
        ({"format": "csv", "layout": "cn_split"}, "csv:cn_split"),
        ({"format": "csv", "layout": "cn_flag"}, "csv:cn_flag"),
        ({"format": "xlsx", "layout": "cmb"}, "xlsx:cmb"),  # China Merchants Bank's Excel export
    ],
)
async def test_each_format_of_the_days_payouts_reconciles_to_the_same_matches(
    api: SettlementApi, params: dict[str, str], format: str
) -> None:
    paid = await paid_two(api)
    response = await import_(api, await simulated(api, **params))
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["format"] == format
    assert sorted((m["items"], m["rule"], m["amount_minor"]) for m in result["matched"]) == [
        ([paid["SUP-002"]], "end_to_end_id", NET),
        ([paid["SUP-003"]], "end_to_end_id", NET),
    ]
    assert result["surplus"] == [] and result["shortage"] == []
    report = result["report"]
    assert report["bank_opening_minor"] == 1_000_000_000  # the simulated account's ¥10,000,000.00
    assert report["bank_closing_minor"] == report["ledger_balance_minor"] == 1_000_000_000 - 2 * NET
    assert report["balanced"] and report["version"] == 1
    assert await api.check() == []


async def test_a_batch_booking_matches_its_payouts_by_ids_or_by_its_run(api: SettlementApi) -> None:
    paid = await paid_two(api)
    camt = (await import_(api, await simulated(api, format="camt053", batch="true"))).json()
    [line] = camt["matched"]
    assert (line["amount_minor"], sorted(line["items"]), line["rule"]) == (
        2 * NET,
        sorted(paid.values()),
        "end_to_end_id",
    )
    assert camt["report"]["balanced"]


async def test_a_batch_line_without_ids_matches_by_its_payout_run(api: SettlementApi) -> None:
    paid = await paid_two(api)
    csv = (await import_(api, await simulated(api, format="csv", batch="true"))).json()
    [line] = csv["matched"]
    assert (sorted(line["items"]), line["rule"]) == (sorted(paid.values()), "batch_reference")


async def test_a_statement_that_does_not_add_up_or_is_malformed_changes_nothing(api: SettlementApi) -> None:
    await paid_two(api)
    good = (await simulated(api, format="mt940")).decode()
    closing = good.strip().splitlines()[-1]  # :62F:C260410CNY9999443,36
    unbalanced = good.replace(closing, closing[:-4] + "0,00")
    camt = (await simulated(api, format="camt053")).decode()
    before = await api.balances()

    refused = await import_(api, unbalanced.encode())
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "statement_unbalanced"
    csv = (await simulated(api, format="csv")).decode().splitlines()
    csv[8] = csv[8].replace(f"{NET // 100}.{NET % 100:02d}", "278.3.2")  # the second payout's amount
    malformed = await import_(api, ("\n".join(csv) + "\n").encode())
    assert malformed.status_code == 422, malformed.text
    assert malformed.json()["error"] | {"message": ""} == {
        "code": "malformed_statement",
        "message": "",
        "details": {"line": 9},
    }
    entity = camt.replace(
        '<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    )
    hostile = await import_(api, entity.encode())
    assert hostile.status_code == 422 and hostile.json()["error"]["code"] == "malformed_statement"
    intraday = camt.replace("BkToCstmrStmt", "BkToCstmrAcctRpt").replace("camt.053", "camt.052")
    provisional = await import_(api, intraday.encode())
    assert provisional.status_code == 422 and provisional.json()["error"]["code"] == "statement_provisional"

    assert await api.balances() == before
    listed = await api.http.get("/v1/reconciliation/statements", headers=officer(api))
    assert listed.json() == []


async def test_one_statement_per_account_and_day(api: SettlementApi) -> None:
    await paid_two(api)
    camt = await simulated(api, format="camt053")
    first = await import_(api, camt)
    again = await import_(api, camt)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    through_swift = await import_(api, await simulated(api, format="mt940"))  # the same, another channel
    assert through_swift.status_code == 200 and through_swift.json() == first.json()
    balances = await api.balances()
    await receipt(api, 500, "6222020200003333")  # the bank's day changes: a different statement
    other = await import_(api, await simulated(api, format="mt940"))
    assert other.status_code == 409 and other.json()["error"]["code"] == "statement_conflict"
    conflicts = (await api.http.get("/v1/reconciliation/conflicts", headers=officer(api))).json()
    assert [(c["imported_statement_id"], c["received_by"]) for c in conflicts] == [
        (first.json()["statement_id"], "recon-1")
    ]
    assert await api.balances() == balances


async def test_a_line_booked_a_day_late_clears_the_shortage_and_versions_the_report(
    api: SettlementApi,
) -> None:
    paid = await paid_two(api)
    day = api.clock.now().date()
    late = (await api.http.get("/v1/payouts", headers=ops(api))).json()
    reference = next(p["bank_reference"] for p in late if p["payout_id"] == paid["SUP-003"])
    rebooked = await api.http.post(
        f"/v1/bank-simulator/bookings/{reference}/rebook",
        json={"on": (day + timedelta(days=1)).isoformat()},
        headers=ops(api),
    )
    assert rebooked.status_code == 200, rebooked.text

    first = (await import_(api, await simulated(api, format="camt053"))).json()
    assert [m["items"] for m in first["matched"]] == [[paid["SUP-002"]]]
    assert [s["item_id"] for s in first["shortage"]] == [paid["SUP-003"]]  # 短款: the bank has not booked it
    [v1] = await day_report(api, day.isoformat())
    assert (v1["version"], v1["open_shortage"], v1["balanced"]) == (1, 1, True)
    assert (
        v1["bank_closing_minor"] == 1_000_000_000 - NET
        and v1["ledger_balance_minor"] == 1_000_000_000 - 2 * NET
    )

    api.clock.advance(timedelta(days=1))
    second = (await import_(api, await simulated(api, format="camt053"))).json()
    assert [m["items"] for m in second["matched"]] == [[paid["SUP-003"]]]
    assert second["report"]["balanced"] and second["report"]["in_ledger_not_on_bank"] == []

    v2, again_v1 = await day_report(api, day.isoformat(), versions=True)
    assert (v2["version"], again_v1["version"]) == (2, 1)
    assert v2["open_shortage"] == 0 and v2["balanced"]
    [in_transit] = v2["in_ledger_not_on_bank"]  # still in transit on that day, cleared the next
    assert (in_transit["item_id"], in_transit["cleared_on"]) == (
        paid["SUP-003"],
        (day + timedelta(days=1)).isoformat(),
    )
    assert await api.check() == []


async def receipt(api: SettlementApi, amount: int, payer: str) -> None:
    response = await api.http.post(
        "/v1/bank-simulator/receipts",
        json={
            "amount_minor": amount,
            "payer_account": payer,
            "payer_name": "某大学财务处",
            "remittance": "货款",
        },
        headers=ops(api),
    )
    assert response.status_code == 201, response.text


def edit_rows(statement: bytes, reference: str, *, drop: bool) -> bytes:
    """The simulator's generic CSV with the row the bank booked as `reference` dropped (and the
    closing and running balances made to fit), or with its ids and text blanked."""
    rows = statement.decode().splitlines()
    header = rows[6].split(",")
    out = rows[:7]
    removed = 0
    for row in rows[7:]:
        cells = row.split(",")
        if cells[header.index("bank_reference")] != reference:
            out.append(row)
            continue
        if drop:
            removed = to_fen(cells[header.index("amount")])
            continue
        for name in ("bank_reference", "end_to_end_id", "remittance"):
            cells[header.index(name)] = ""
        out.append(",".join(cells))
    if drop:
        closing = to_fen(out[4].split(",")[1]) + removed
        out[4] = f"closing_balance,{decimal_text(closing)}"
        at = header.index("balance")
        out[7:] = [",".join("" if i == at else c for i, c in enumerate(r.split(","))) for r in out[7:]]
    return ("\n".join(out) + "\n").encode()


async def bank_reference_of(api: SettlementApi, payout_id: str) -> str:
    payouts = (await api.http.get("/v1/payouts", headers=ops(api))).json()
    return str(next(p["bank_reference"] for p in payouts if p["payout_id"] == payout_id))


async def test_operators_resolve_surplus_by_return_write_off_and_match(api: SettlementApi) -> None:
    paid = await paid_two(api)
    await receipt(api, 100_000, "6222020200001111")
    await receipt(api, 1_234, "6222020200002222")
    day = api.clock.now().date()
    late = await bank_reference_of(api, paid["SUP-003"])
    # the bank books SUP-003's payout ten days later (beyond the 3-day window), without its ids
    imported = (await import_(api, edit_rows(await simulated(api), late, drop=True))).json()
    assert sorted(((s["amount_minor"], s["direction"]) for s in imported["surplus"]), reverse=True) == [
        (100_000, "credit"),
        (1_234, "credit"),
    ]
    assert [s["item_id"] for s in imported["shortage"]] == [paid["SUP-003"]]

    api.clock.advance(timedelta(days=10))
    later = api.clock.now().date()
    queue = sorted(
        (await api.http.get("/v1/reconciliation/suspense", headers=officer(api))).json(),
        key=lambda q: -q["amount_minor"],
    )
    assert [(q["amount_minor"], q["age_days"], q["flagged"]) for q in queue] == [
        (100_000, 10, True),
        (1_234, 10, True),
    ]
    big, small = queue[0]["line_id"], queue[1]["line_id"]

    returned = await api.http.post(
        f"/v1/reconciliation/suspense/{big}/return",
        json={"reason": "not ours: paid in error"},
        headers=officer(api),
    )
    assert returned.status_code == 200 and returned.json()["status"] == "settled", returned.text
    asked = await api.http.post(
        f"/v1/reconciliation/suspense/{small}/write-off",
        json={"reason": "no payer can be found"},
        headers=officer(api),
    )
    assert asked.status_code == 202, asked.text
    same = await api.http.post(f"/v1/reconciliation/suspense/{small}/write-off/approve", headers=officer(api))
    assert same.status_code == 403 and same.json()["error"]["code"] == "second_approver_required"
    # who runs payouts may read the queue, but neither approves a write-off nor asks for one
    by_ops = await api.http.post(f"/v1/reconciliation/suspense/{small}/write-off/approve", headers=ops(api))
    assert by_ops.status_code == 403 and by_ops.json()["error"]["code"] == "forbidden"
    assert (await api.http.get("/v1/reconciliation/suspense", headers=ops(api))).status_code == 200
    approved = await api.http.post(
        f"/v1/reconciliation/suspense/{small}/write-off/approve", headers=officer(api, "recon-2")
    )
    assert approved.status_code == 200, approved.text

    moved = await api.http.post(
        f"/v1/bank-simulator/bookings/{late}/rebook", json={"on": later.isoformat()}, headers=ops(api)
    )
    assert moved.status_code == 200, moved.text
    result = (await import_(api, edit_rows(await simulated(api), late, drop=False))).json()
    assert [(m["items"], m["rule"]) for m in result["matched"]] == [
        ([returned.json()["return_id"]], "end_to_end_id")
    ]
    [unknown] = result["surplus"]
    assert (unknown["amount_minor"], unknown["direction"]) == (NET, "debit")
    matched = await api.http.post(
        f"/v1/reconciliation/suspense/{unknown['line_id']}/match",
        json={"target": f"payout:{paid['SUP-003']}", "reason": "booked late without its ids"},
        headers=officer(api),
    )
    assert matched.status_code == 200, matched.text

    assert (await api.http.get("/v1/reconciliation/suspense", headers=officer(api))).json() == []
    for on in (day, later):
        [report] = await day_report(api, on.isoformat())
        assert report["balanced"] and report["open_surplus"] == 0 and report["open_shortage"] == 0, report
    suspense = next(row for row in await api.balances() if row[0] == "platform:suspense")
    differences = next(row for row in await api.balances() if row[0] == "platform:reconciliation_differences")
    assert suspense[-1] == suspense[-3] == 101_234 + NET  # credits_posted = debits_posted: suspense is empty
    assert differences[-1] == 1_234  # the written-off 长款
    assert await api.check() == []


FILES = Path(__file__).resolve().parents[2] / "data" / "statements"
AFTER_THE_SAMPLES = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # the sample files' days have ended


def sample(name: str) -> bytes:
    return (FILES / name).read_bytes()


async def suspense(api: SettlementApi) -> list[dict[str, Any]]:
    response = await api.http.get("/v1/reconciliation/suspense", headers=officer(api))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def account_balance(api: SettlementApi, account_id: str) -> int:
    conn = await asyncpg.connect(api.dsn)
    try:
        row = await conn.fetchrow(
            "select debits_posted - credits_posted as net from accounts where account_id = $1", account_id
        )
    finally:
        await conn.close()
    return int(row["net"]) if row else 0


async def test_a_statement_of_a_day_that_has_not_ended_is_refused(api: SettlementApi) -> None:
    before = await api.balances()
    refused = await import_(api, sample("mt940_reversal.sta"))  # of 2026-12-02; today is 2026-04-10
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "statement_in_future"
    assert await api.balances() == before


async def test_a_reversal_and_the_credit_it_undoes_resolve_together(api: SettlementApi) -> None:
    api.clock.advance(AFTER_THE_SAMPLES - api.clock.now())
    result = (await import_(api, sample("mt940_reversal.sta"))).json()
    assert result["surplus"] == [] and result["report"]["balanced"]
    assert await suspense(api) == []  # not two 长款 for two people to write off
    conn = await asyncpg.connect(api.dsn)
    try:
        rows = await conn.fetch(
            """select l.line_no, l.state, l.reversal, r.action, o.line_no as other
               from bank_statement_lines l join suspense_resolutions r using (line_id)
               join bank_statement_lines o on o.line_id = r.target order by l.line_no"""
        )
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [
        (1, "reversed", False, "reversal", 2),
        (2, "reversed", True, "reversal", 1),
    ]
    assert await account_balance(api, "platform:suspense") == 0
    assert await api.check() == []


async def test_a_multi_day_mt940_imports_each_day_and_books_the_bank_s_fee(api: SettlementApi) -> None:
    api.clock.advance(AFTER_THE_SAMPLES - api.clock.now())
    response = await import_(api, sample("mt940_three_days.sta"))
    assert response.status_code == 201, response.text
    result = response.json()
    assert [(s["date"], s["imported"]) for s in result["statements"]] == [
        ("2026-11-30", True),
        ("2026-12-01", True),
        ("2026-12-02", True),
    ]
    for day in ("2026-11-30", "2026-12-01", "2026-12-02"):
        [report] = await day_report(api, day)
        assert report["balanced"], report
    # the payment out and the money in wait in suspense; the fee is booked to bank charges
    assert sorted((x["amount_minor"], x["direction"]) for x in await suspense(api)) == [
        (5_000, "credit"),
        (10_000, "debit"),
    ]
    assert await account_balance(api, "platform:bank_charges") == 1_250
    again = await import_(api, sample("mt940_three_days.sta"))
    assert again.status_code == 200 and not any(s["imported"] for s in again.json()["statements"])
    assert await api.check() == []


async def test_a_fee_no_code_names_is_booked_by_hand_and_not_written_off(api: SettlementApi) -> None:
    api.clock.advance(AFTER_THE_SAMPLES - api.clock.now())
    text = sample("mt940_three_days.sta").decode().replace("D12,50NCHGNONREF", "D12,50NMSCNONREF")
    await import_(api, text.encode())
    [fee] = [x for x in await suspense(api) if x["amount_minor"] == 1_250]
    wrong = await api.http.post(
        f"/v1/reconciliation/suspense/{fee['line_id']}/match",
        json={"target": "interest", "reason": "not interest"},
        headers=officer(api),
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "match_direction"
    booked = await api.http.post(
        f"/v1/reconciliation/suspense/{fee['line_id']}/match",
        json={"target": "fee", "reason": "account maintenance fee"},
        headers=officer(api),
    )
    assert booked.status_code == 200, booked.text
    assert await account_balance(api, "platform:bank_charges") == 1_250
    assert all(x["line_id"] != fee["line_id"] for x in await suspense(api))
    assert await api.check() == []


async def test_a_batch_line_the_rules_miss_is_matched_by_hand_to_its_run(api: SettlementApi) -> None:
    paid = await paid_two(api)
    run_id = paid["SUP-002"].split(":")[0]
    batch = (await simulated(api, format="csv", batch="true")).decode().splitlines()
    header = batch[6].split(",")
    cells = batch[7].split(",")
    for name in ("bank_reference", "end_to_end_id", "remittance"):
        cells[header.index(name)] = ""  # a batch booked with nothing the rules know
    batch[7] = ",".join(cells)
    result = (await import_(api, ("\n".join(batch) + "\n").encode())).json()
    [line] = result["surplus"]
    path = f"/v1/reconciliation/suspense/{line['line_id']}/match"
    one = await api.http.post(
        path, json={"target": f"payout:{paid['SUP-002']}", "reason": "x"}, headers=officer(api)
    )
    assert one.status_code == 422 and one.json()["error"]["code"] == "match_amount_differs"
    both = f"payout:{paid['SUP-002']},payout:{paid['SUP-003']}"
    assert (
        await api.http.post(
            path, json={"target": f"run:{run_id}", "reason": "the run's batch"}, headers=officer(api)
        )
    ).status_code == 200
    assert await suspense(api) == []
    again = await api.http.post(path, json={"target": both, "reason": "x"}, headers=officer(api))
    assert again.status_code == 409  # resolved already
    assert await api.check() == []
