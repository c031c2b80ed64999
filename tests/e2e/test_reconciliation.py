"""A finance office reconciles the escrow account through `unisettle reconcile` against the
running services: the day's payouts in MT940, camt.053 and a Chinese bank's CSV export are one
statement with the same matches; a statement that does not add up or cannot be read is refused,
naming where, with nothing written; a payout the bank books the next day is 短款 until the next
day's statement clears it (imported once that day has ended: settlement is restarted days
ahead), and the day's report gets a new version; three 长款 are resolved by a return to the
payer, a write-off two reconciliation officers agree on, and a manual match; `unisettle check`
passes throughout."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from plumbing.web.auth import Role
from tests.e2e.flow import Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import OPS, RECONCILER, auth, ok, token_of
from tests.e2e.test_operator_cli import unisettle
from tests.integration.settlement.test_reconciliation import edit_rows
from tests.stack import Stack

pytestmark = pytest.mark.e2e
NET = 3 * 2800 - 50  # one completed order's payout to SUP-004


class Office:
    """The finance office's operator at the command line, and the bank simulator beside it."""

    def __init__(self, http: httpx.AsyncClient, settlement: str, tmp_path: Path) -> None:
        self.http, self.settlement, self.tmp_path = http, settlement, tmp_path

    async def ok(self, *args: str, by: dict[str, str] = RECONCILER) -> Any:
        code, out, err = await unisettle(
            "reconcile", *args, "--token", token_of(by), "--url", self.settlement
        )
        assert code == 0, err
        return json.loads(out) if out.lstrip().startswith(("{", "[")) else out

    async def refused(self, *args: str, by: dict[str, str] = RECONCILER) -> str:
        code, _, err = await unisettle("reconcile", *args, "--token", token_of(by), "--url", self.settlement)
        assert code == 1, err
        return err

    async def statement(self, on: date, *options: str) -> str:
        text: str = await self.ok("simulated", "--on", on.isoformat(), *options)
        return text

    def file(self, name: str, content: str | bytes) -> str:
        path = self.tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return str(path)

    async def paid(self) -> dict[str, Any]:
        """A payout run paying SUP-004's one completed order; the payout."""
        run = ok(await self.http.post(f"{self.settlement}/v1/payouts/runs", headers=OPS))
        assert run["paid"] == {"SUP-004": NET}, run
        payouts = ok(await self.http.get(f"{self.settlement}/v1/payouts", headers=OPS))
        payout: dict[str, Any] = next(p for p in payouts if p["payout_id"] == f"{run['run_id']}:SUP-004")
        return payout

    async def rebook(self, bank_reference: str, on: date) -> None:
        ok(
            await self.http.post(
                f"{self.settlement}/v1/bank-simulator/bookings/{bank_reference}/rebook",
                json={"on": on.isoformat()},
                headers=OPS,
            )
        )

    async def paid_in(self, amount_minor: int, payer_account: str) -> str:
        booked = ok(
            await self.http.post(
                f"{self.settlement}/v1/bank-simulator/receipts",
                json={"amount_minor": amount_minor, "payer_account": payer_account, "payer_name": "东南大学"},
                headers=OPS,
            ),
            201,
        )
        return str(booked["bank_reference"])


async def days_ahead(settlement: ServiceProcess, stack: Stack, prefix: str, days: int) -> None:
    """Settlement restarted as if `days` later (SETTLEMENT_CLOCK_OFFSET_DAYS): a statement of a
    day is imported once that day has ended, so the days a late booking needs must pass."""
    await settlement.stop()
    await settlement.start(stack, prefix, {"SETTLEMENT_CLOCK_OFFSET_DAYS": str(days)})
    await settlement.wait_ready()


async def test_a_finance_office_reconciles_the_escrow_account_at_the_command_line(
    flow: Flow, services: dict[str, ServiceProcess], tmp_path: Path, stack: Stack, topic_prefix: str
) -> None:
    office = Office(flow.http, services["settlement"].url, tmp_path)
    await flow.completed_order()
    first = await office.paid()
    today = date.fromisoformat(first["created_at"][:10])

    # one day's payouts through three channels: one statement, the same matches
    swift = await office.ok(
        "import", office.file("day.sta", await office.statement(today, "--format", "mt940"))
    )
    assert swift["format"] == "mt940"
    assert [(m["items"], m["rule"], m["amount_minor"]) for m in swift["matched"]] == [
        ([first["payout_id"]], "end_to_end_id", NET)
    ]
    assert swift["surplus"] == swift["shortage"] == [] and swift["report"]["balanced"]
    camt = await office.statement(today, "--format", "camt053")
    export = await office.statement(today, "--format", "csv", "--layout", "cn_split")
    for channel in (office.file("day.xml", camt), office.file("day.csv", export.encode("gb18030"))):
        again = await office.ok("import", channel)
        assert (again["statement_id"], again["matched"]) == (swift["statement_id"], swift["matched"])

    # refused whole, naming where: nothing is written
    closing = next(x for x in camt.split("<Bal>") if "CLBD" in x).split("</Amt>")[0].rpartition(">")[2]
    unbalanced = office.file("unbalanced.xml", camt.replace(f">{closing}</Amt>", ">1.00</Amt>"))
    assert "statement_unbalanced" in await office.refused("import", unbalanced)
    malformed = office.file("malformed.csv", export.replace("83.50", "83.5O", 1).encode("gb18030"))
    err = await office.refused("import", malformed)
    assert "malformed_statement" in err and "line " in err, err
    assert [s["statement_id"] for s in await office.ok("statements")] == [swift["statement_id"]]
    assert await office.ok("suspense") == []

    # a payout the bank books the next day: 短款 on its day, cleared by the next day's line
    await flow.completed_order()
    late = await office.paid()
    tomorrow = today + timedelta(days=1)
    await office.rebook(late["bank_reference"], tomorrow)
    [pending] = await office.ok("report", today.isoformat())
    assert [(i["item_id"], i["cleared_on"]) for i in pending["in_ledger_not_on_bank"]] == [
        (late["payout_id"], None)
    ]
    assert pending["open_shortage"] == 1 and pending["balanced"]
    assert "statement_in_future" in await office.refused(
        "import", office.file("early.csv", await office.statement(tomorrow, "--format", "csv"))
    )  # tomorrow's statement before tomorrow has ended
    await days_ahead(services["settlement"], stack, topic_prefix, 1)
    next_day = await office.ok(
        "import",
        office.file("next.csv", await office.statement(tomorrow, "--format", "csv", "--layout", "cn_flag")),
    )
    assert [m["items"] for m in next_day["matched"]] == [[late["payout_id"]]]
    versions = await office.ok("report", today.isoformat(), "--versions")
    assert [v["version"] for v in versions] == list(range(len(versions), 0, -1)) and len(versions) >= 3
    assert versions[0]["open_shortage"] == 0 and versions[0]["balanced"]
    assert [(i["item_id"], i["cleared_on"]) for i in versions[0]["in_ledger_not_on_bank"]] == [
        (late["payout_id"], tomorrow.isoformat())
    ]

    # three 长款 on a later day: money paid in by mistake, an unexplained ¥12.34, and a payout the
    # bank booked ten days late without its ids (too late for an amount-and-date suggestion)
    await flow.completed_order()
    unlabelled = await office.paid()  # recorded tomorrow, settlement's today
    later = today + timedelta(days=10)
    await days_ahead(services["settlement"], stack, topic_prefix, 11)
    for reference in (
        await office.paid_in(100_000, "6222020200001111"),
        await office.paid_in(1_234, "6222020200002222"),
        unlabelled["bank_reference"],
    ):
        await office.rebook(reference, later)
    unlabelled_export = edit_rows(
        (await office.statement(later)).encode(), unlabelled["bank_reference"], drop=False
    )
    surplus = (await office.ok("import", office.file("later.csv", unlabelled_export)))["surplus"]
    lines = {(s["amount_minor"], s["direction"]): s["line_id"] for s in surplus}
    assert sorted(lines) == [(1_234, "credit"), (NET, "debit"), (100_000, "credit")]
    assert len(await office.ok("suspense")) == 3

    returned = await office.ok("return", lines[(100_000, "credit")], "--reason", "paid to us in error")
    assert returned["status"] == "settled"
    await office.ok("write-off", lines[(1_234, "credit")], "--reason", "no payer can be found")
    assert "second_approver_required" in await office.refused("approve", lines[(1_234, "credit")])
    # payout operations may read the queue but not act on it; a second officer approves
    assert "forbidden" in await office.refused("approve", lines[(1_234, "credit")], by=OPS)
    await office.ok("approve", lines[(1_234, "credit")], by=auth(Role.RECONCILIATION, "recon-2", "platform"))
    await office.ok(
        "match",
        lines[(NET, "debit")],
        f"payout:{unlabelled['payout_id']}",
        "--reason",
        "booked late without its ids",
    )
    assert await office.ok("suspense") == []

    # the return's own booking, the day after, is matched to it by its end-to-end id
    await office.rebook(returned["bank_reference"], later + timedelta(days=1))
    last = await office.ok(
        "import",
        office.file("last.xml", await office.statement(later + timedelta(days=1), "--format", "camt053")),
    )
    assert [m["items"] for m in last["matched"]] == [[returned["return_id"]]]
    for day in (today, tomorrow, later, later + timedelta(days=1)):
        [report] = await office.ok("report", day.isoformat())
        assert report["balanced"] and report["open_surplus"] == report["open_shortage"] == 0, json.dumps(
            report, indent=1
        )
    await checks_pass(services)
