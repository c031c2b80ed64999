"""The operator's command line against the running services: a payout the bank refuses, retried
by a later run once the bank accepts, and the bank's camt.053 statement imported and matched."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from plumbing.web.auth import Role
from tests.e2e.flow import Flow, checks_pass
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import OPS, auth, ok, token_of
from tests.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.service_env(SETTLEMENT_BANK_SIMULATOR_FAILURE_RATE="1.0")]


async def unisettle(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *args,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def payout_run(settlement: str) -> Any:
    ops_7 = token_of(auth(Role.PLATFORM_OPS, "ops-7", "platform"))
    code, out, err = await unisettle("payouts", "run", "--token", ops_7, "--url", settlement)
    assert code == 0, err
    return json.loads(out)


async def test_refused_payout_is_retried_by_the_next_run_and_the_statement_matches(
    flow: Flow, services: dict[str, ServiceProcess], stack: Stack, topic_prefix: str, tmp_path: Path
) -> None:
    await flow.completed_order()
    settlement = services["settlement"]

    refused = await payout_run(settlement.url)
    assert refused["paid"] == {} and set(refused["failed"]) == {"SUP-004"}
    balance = ok(await flow.http.get(f"{settlement.url}/v1/suppliers/SUP-004/balance", headers=OPS))
    assert balance["in_payout"] == 0 and balance["available"] == 3 * 2800 - 50  # back, whole

    await settlement.stop()  # the bank is healthy again: settlement restarts with its defaults
    await settlement.start(stack, topic_prefix, {"SETTLEMENT_BANK_SIMULATOR_FAILURE_RATE": "0"})
    await settlement.wait_ready()
    paid = await payout_run(settlement.url)
    assert paid["paid"] == {"SUP-004": 3 * 2800 - 50} and paid["failed"] == {}
    payouts = ok(await flow.http.get(f"{settlement.url}/v1/payouts", headers=OPS))
    assert sorted(p["status"] for p in payouts) == ["failed", "settled"]

    as_officer = (
        "--token",
        token_of(auth(Role.RECONCILIATION, "recon-7", "platform")),
        "--url",
        settlement.url,
    )
    code, statement, err = await unisettle("reconcile", "simulated", "--format", "camt053", *as_officer)
    assert code == 0, err
    assert statement.count("<Ntry>") == 1 and '<Amt Ccy="CNY">83.50</Amt>' in statement  # the settled one
    path = tmp_path / "statement.xml"
    path.write_text(statement)
    code, out, err = await unisettle("reconcile", "import", str(path), *as_officer)
    assert code == 0, err
    report = json.loads(out)
    settled = next(p["payout_id"] for p in payouts if p["status"] == "settled")
    assert [m["items"] for m in report["matched"]] == [[settled]]
    assert report["surplus"] == [] and report["shortage"] == [] and report["report"]["balanced"]
    kept = ok(await flow.http.get(f"{settlement.url}/v1/reconciliation/statements", headers=OPS))
    assert [(s["statement_id"], s["matched"], s["imported_by"]) for s in kept] == [
        (report["statement_id"], report["matched"], "recon-7")
    ]

    code, _, err = await unisettle("reconcile", "import", str(tmp_path / "missing.xml"), *as_officer)
    assert code == 1 and "missing.xml" in err
    # a payout operator's token does not reconcile, and no token is no command
    ops_7 = ("--token", token_of(auth(Role.PLATFORM_OPS, "ops-7", "platform")), "--url", settlement.url)
    code, _, err = await unisettle("reconcile", "import", str(path), *ops_7)
    assert code == 1 and "forbidden" in err, err
    code, _, err = await unisettle("reconcile", "import", str(path), "--url", settlement.url)
    assert code == 2 and "--token" in err, err
    path.write_text(statement.replace('<Amt Ccy="CNY">83.50</Amt>', '<Amt Ccy="CNY">83.5.0</Amt>'))
    code, _, err = await unisettle("reconcile", "import", str(path), *as_officer)
    assert code == 1 and "malformed_statement" in err, err

    # the operator reads back what they did: both runs and the import, with what each changed
    code, out, err = await unisettle(
        "audit", "--service", "settlement", "--dsn", settlement.dsn, "--limit", "3"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert "ops-7 (platform_ops)  platform  payout.initiated  supplier:SUP-004" in lines[0], out
    assert "in_payout_minor: 0 → 8350" in lines[1] and '"**** 0018"' in lines[1], out
    assert "payout_run" in lines[2] and '"paid": {"SUP-004": 8350}' in lines[3], out
    assert "statement.imported" in lines[4] and '"confirmed": 1' in lines[5], out
    await checks_pass(services)
