"""`make bench`: every figure next to this machine's own limits, measured in the same run.

  1. Postgres with one transaction per ledger event and batched; raw aiokafka produce/consume
  2. settlement escrow events applied per second from a pre-filled topic, and its replay
  3. checkout API at saturation and at a fixed 200/s (load generator in its own process)
  4. saga latency checkout → PAID and confirm → COMPLETED at half the saturation rate
  5. finance reads with at least one million ledger transfers
  6. settlement with one and two consumer processes (one lane each) on a 6-partition topic

BENCH_SCALE=0.2 for a quick pass; BENCH_PARTS=1,2,6 runs only those parts; BENCH_JSON=path writes
the run's figures there as JSON (the keys of FIGURES; a part that did not run leaves its out).

Over 300 lines: it is the bench's table of contents — the machine's limits, the load generators
and settlement's rate live in their own modules (limits, loadgen, wrk, settlement_rate); this
drives the parts in order and prints the table."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from plumbing.messaging.provisioning import create_topics_now
from tests.bench import limits, settlement_rate, wrk
from tests.bench.figures import Table, percentile
from tests.bench.settlement_rate import grant_body
from tests.e2e.processes import ServiceProcess, running_console, running_services
from tests.e2e.test_money_flow import ALICE, FINANCE, OPS, SUPPLIER, ok, onboard_supplier
from tests.stack import Stack, create_database, delete_topics, drop_database, eventually, local_stack

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
PARTS = {int(p) for p in os.environ.get("BENCH_PARTS", "1,2,3,4,5,6").split(",") if p.strip()}
GRANT = "G-LOAD-2026-001"
LINE = {"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 1, "unit_price_minor": 2800}
FIGURES = (
    "pg_single_eps",
    "pg_batched_eps",
    "settlement_1p_eps",
    "settlement_1p_1lane_eps",
    "settlement_2p_eps",
    "settlement_replay_eps",
    "settlement_cpu_us_per_event",
    "checkout_saturation_rps",
    "checkout_200_p99_ms",
    "saga_paid_p99_ms",
    "saga_completed_p99_ms",
    "execution_read_p99_ms",
    "rollup_read_p99_ms",
    "execution_read_saturation_rps",
    "execution_read_saturation_p99_ms",
    "console_university_p99_ms",
    "console_grant_p99_ms",
    "console_ops_p99_ms",
)


def n(count: int) -> int:
    return max(100, int(count * SCALE))


def machine() -> str:
    cpus = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**30
    model = "unknown CPU"
    with Path("/proc/cpuinfo").open() as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    system = f"{platform.system()} {platform.release()}"
    return f"{cpus} cores ({model}), {memory} GiB, {system}, Python {platform.python_version()}"


async def part1(stack: Stack, table: Table, figures: dict[str, float]) -> None:
    dsn = await create_database(stack, "benchpg")
    try:
        single = await limits.postgres(dsn, n(5_000), batch=1)
        batched = await limits.postgres(dsn, n(50_000), batch=500)
    finally:
        await drop_database(stack, dsn)
    table.add("1 machine limits", "Postgres ledger events/s, one transaction each", f"{single:,.0f}/s")
    table.add("1 machine limits", "Postgres ledger events/s, 500 per transaction", f"{batched:,.0f}/s")
    figures.update(pg_single_eps=single, pg_batched_eps=batched)
    topic = f"bench{int(time.time())}.raw"
    await asyncio.to_thread(create_topics_now, stack.kafka, [topic])  # the broker creates none itself
    try:
        produced, consumed = await limits.kafka(stack.kafka, topic, n(200_000))
    finally:
        await delete_topics(stack, topic)
    table.add("1 machine limits", f"aiokafka produce, {limits.EVENT_BYTES}-byte events", f"{produced:,.0f}/s")
    table.add("1 machine limits", f"aiokafka consume, {limits.EVENT_BYTES}-byte events", f"{consumed:,.0f}/s")


async def part2_and_6(stack: Stack, table: Table, figures: dict[str, float], workdir: Path) -> None:
    orders = n(20_000)
    one = await settlement_rate.run(stack, orders, 1, workdir, replay=2 in PARTS)
    figures["settlement_1p_eps"] = one.events_per_second
    if 2 in PARTS:
        table.add(
            "2 settlement",
            f"escrow events/s, 1 process ({one.events_per_second * one.seconds:,.0f} in {one.seconds:.1f} s)",
            f"{one.events_per_second:,.0f}/s",
            "≥ 10,000/s",
        )
        table.add(
            "2 settlement",
            "CPU of the settlement process per event; all cores busy",
            f"{one.cpu_us_per_event:,.0f} µs; {one.machine_busy:.0%}",
        )
        figures["settlement_cpu_us_per_event"] = one.cpu_us_per_event
        if "pg_single_eps" in figures:
            table.add(
                "2 settlement",
                "ratio to Postgres one-transaction-per-event",
                f"{one.events_per_second / figures['pg_single_eps']:.2f} x",
                "≥ 7 x",
            )
            table.add(
                "2 settlement",
                "ratio to Postgres batched",
                f"{one.events_per_second / figures['pg_batched_eps']:.2f} x",
            )
        assert one.replay_per_second is not None
        figures["settlement_replay_eps"] = one.replay_per_second
        table.add(
            "2 settlement",
            f"replay, dedup wiped ({'nothing changed' if one.replay_changed_nothing else 'STATE CHANGED'})",
            f"{one.replay_per_second:,.0f}/s",
        )
        _checked(table, "2 settlement", one)
        if not one.replay_changed_nothing:
            raise RuntimeError("replaying the topic with the dedup memory wiped changed settlement's state")
    if 6 in PARTS:
        # Members of the group, one consumer lane each: one process, then two on the same topic.
        single = await settlement_rate.run(stack, orders, 1, workdir, lanes=1)
        two = await settlement_rate.run(stack, orders, 2, workdir, lanes=1)
        figures["settlement_1p_1lane_eps"] = single.events_per_second
        figures["settlement_2p_eps"] = two.events_per_second
        table.add(
            "6 scaling",
            "escrow events/s, 1 process of 1 lane, 6 partitions",
            f"{single.events_per_second:,.0f}/s",
        )
        table.add(
            "6 scaling",
            "escrow events/s, 2 processes of 1 lane"
            f" ({two.events_per_second * two.seconds:,.0f} in {two.seconds:.1f} s)",
            f"{two.events_per_second:,.0f}/s",
        )
        table.add(
            "6 scaling",
            "2 processes / 1 process",
            f"{two.events_per_second / single.events_per_second:.2f} x",
            "≥ 1.3 x",
        )
        _checked(table, "6 scaling", two)
        deadlocks = sum(p.read_text().count("deadlock") for p in workdir.glob("settlement-2-*.log"))
        table.add("6 scaling", "deadlocks in the two processes' logs", f"{deadlocks}", "0")


def _checked(table: Table, part: str, measured: settlement_rate.Measured) -> None:
    """`unisettle check` on the settlement database the part drained: every money invariant holds."""
    failed = measured.invariants_failed or []
    verdict = "passed" if not failed else f"FAILED: {failed[0]}"
    table.add(part, "unisettle check afterwards", verdict, "passes")
    if failed:
        raise RuntimeError(f"settlement's money invariants broke in the bench: {failed}")


def loadgen(
    mode: str, orders_url: str, rate: float, duration: float, clients: int = 32, processes: int = 1
) -> dict[str, Any]:
    """The Python load generator in `processes` processes at once, each offering its share of
    `rate`; their answers merged (percentiles over every sample), with the CPU they used."""
    command = [
        sys.executable,
        "-m",
        "tests.bench.loadgen",
        mode,
        "--url",
        orders_url,
        "--grant",
        GRANT,
        "--buyer-token",
        ALICE["Authorization"].removeprefix("Bearer "),
        "--supplier-token",
        SUPPLIER["Authorization"].removeprefix("Bearer "),
        "--rate",
        str(rate / processes),
        "--duration",
        str(duration),
        "--concurrency",
        str(max(1, clients // processes)),
    ]
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    running = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    outputs = [p.communicate()[0] for p in running]
    elapsed = time.perf_counter() - started
    if any(p.returncode for p in running):
        raise RuntimeError(f"a load generator failed: {[p.returncode for p in running]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    results = [json.loads(out) for out in outputs]
    samples: dict[str, list[float]] = {}
    for result in results:
        for name, values in result["samples"].items():
            samples.setdefault(name, []).extend(values)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "done": sum(r["done"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "rate": sum(r["rate"] for r in results),
        "processes": processes,
        "generator_cpu": cpu / elapsed,  # of one core, while they ran
        **{
            f"{name}_p{p}": percentile(values, p)
            for name, values in samples.items()
            if values
            for p in (50, 99)
        },
    }


async def parts_3_4_5(stack: Stack, table: Table, figures: dict[str, float], workdir: Path) -> None:
    prefix = f"bench{int(time.time() * 1000) % 10**9}."
    try:
        # the load generator is one buyer: lift the per-client allowance of changes for it
        unlimited = {"UNISETTLE_WRITE_RATE_PER_SECOND": "1000000", "UNISETTLE_WRITE_BURST": "1000000"}
        async with running_services(stack, prefix, workdir, unlimited) as running:
            await ready_to_sell(running)
            if PARTS & {3, 4}:
                measure_api(running["orders"].url, table, figures)
            if 5 in PARTS:
                await part5(running["settlement"], table, figures)
                async with running_console(stack, prefix, workdir, running) as console:
                    await console_pages(console, table, figures)
    finally:
        await delete_topics(stack, prefix)


async def ready_to_sell(running: dict[str, ServiceProcess]) -> None:
    """A supplier with its catalog, a grant with room for every checkout, both known to orders."""
    async with httpx.AsyncClient(timeout=30) as http:
        await onboard_supplier(http, running["suppliers"].url)
        ok(
            await http.post(
                f"{running['settlement'].url}/v1/grants", headers=FINANCE, json=grant_body(GRANT, 10**13)
            ),
            201,
        )

        async def sellable() -> bool:  # the catalog and the grant reach orders as events
            response = await http.post(
                f"{running['orders'].url}/v1/checkouts",
                headers={**ALICE, "Idempotency-Key": "bench-probe"},
                json={"grant_id": GRANT, "lines": [LINE]},
            )
            return response.status_code in (200, 201)

        await eventually(sellable, timeout=60, what="orders to know the catalog and the grant")


def measure_api(orders_url: str, table: Table, figures: dict[str, float]) -> None:
    duration = max(3.0, 10 * SCALE)
    saturated = wrk.saturate(
        orders_url,
        "checkout.lua",
        {"UNISETTLE_TOKEN": ALICE["Authorization"].removeprefix("Bearer "), "UNISETTLE_GRANT": GRANT},
        connections=32,
        seconds=duration,
    )
    figures["checkout_saturation_rps"] = saturated.rate
    table.add(
        "3 checkout API",
        f"checkouts/s at saturation (wrk, 32 connections, {saturated.errors} errors)",
        f"{saturated.rate:,.0f}/s",
        "≥ 1,000/s",
    )
    table.add(
        "3 checkout API",
        f"p50 / p99 at saturation (wrk: {saturated.threads} threads,"
        f" {saturated.generator_cpu:.0%} of a core)",
        f"{saturated.p50_ms:.1f} / {saturated.p99_ms:.1f} ms",
    )
    fixed = loadgen("checkout", orders_url, 200, duration)
    figures["checkout_200_p99_ms"] = fixed["checkout_p99"]
    table.add(
        "3 checkout API",
        f"p50 / p99 at 200/s offered ({fixed['rate']:.0f}/s done, {fixed['errors']} errors)",
        f"{fixed['checkout_p50']:.1f} / {fixed['checkout_p99']:.1f} ms",
        "p99 < 50 ms",
    )
    if 4 not in PARTS:
        return
    half = max(1.0, saturated.rate / 2)
    saga = loadgen("saga", orders_url, half, duration, processes=2 if half > 100 else 1)
    figures.update(saga_paid_p99_ms=saga["paid_p99"], saga_completed_p99_ms=saga["completed_p99"])
    table.add(
        "4 saga latency",
        f"checkout → PAID p50 / p99 at {half:.0f}/s offered"
        f" ({saga['processes']} generators, {saga['generator_cpu']:.0%} of a core)",
        f"{saga['paid_p50']:.0f} / {saga['paid_p99']:.0f} ms",
        "p99 < 500 ms",
    )
    table.add(
        "4 saga latency",
        f"confirm → COMPLETED p50 / p99 ({saga['errors']} errors)",
        f"{saga['completed_p50']:.0f} / {saga['completed_p99']:.0f} ms",
    )


async def part5(settlement: ServiceProcess, table: Table, figures: dict[str, float]) -> None:
    """Fill the ledger to a million transfers (balanced, between two accounts of their own, with
    the totals kept) and read the finance endpoints."""
    conn = await asyncpg.connect(settlement.dsn)
    try:
        have = await conn.fetchval("select count(*) from transfers")
        extra = max(0, 1_000_000 - have)
        async with conn.transaction():
            await conn.execute(
                "insert into accounts (account_id, kind)"
                " values ('bench:bank', 'bank'), ('bench:suspense', 'suspense')"
            )
            await conn.execute(
                """insert into transfers
                       (transfer_id, debit_account, credit_account, amount, kind, code, order_id)
                   select gen_random_uuid(), 'bench:suspense', 'bench:bank', 100, 'posted', 'bench_fill',
                          'F-' || g
                   from generate_series(1, $1) g""",
                extra,
            )
            for account, column in (("bench:suspense", "debits_posted"), ("bench:bank", "credits_posted")):
                await conn.execute(
                    f"update accounts set {column} = $1 where account_id = $2", extra * 100, account
                )
        await conn.execute("analyze")
        total = await conn.fetchval("select count(*) from transfers")
    finally:
        await conn.close()
    async with httpx.AsyncClient(timeout=30) as http:
        for label, path in [
            ("grant execution", f"/v1/grants/{GRANT}/execution"),
            ("university roll-up", "/v1/universities/tsinghua/execution"),
        ]:
            samples = []
            for i in range(n(500) + 20):
                started = time.perf_counter()
                response = await http.get(f"{settlement.url}{path}", headers=FINANCE)
                response.raise_for_status()
                if i >= 20:  # warm-up
                    samples.append((time.perf_counter() - started) * 1000)
            figures["execution_read_p99_ms" if label == "grant execution" else "rollup_read_p99_ms"] = (
                percentile(samples, 99)
            )
            table.add(
                "5 finance reads",
                f"{label} p50 / p99 ({total:,} transfers)",
                f"{percentile(samples, 50):.1f} / {percentile(samples, 99):.1f} ms",
                "p99 < 10 ms" if label == "grant execution" else "",
            )
    read = wrk.saturate(
        settlement.url,
        "read.lua",
        {
            "UNISETTLE_TOKEN": FINANCE["Authorization"].removeprefix("Bearer "),
            "UNISETTLE_PATH": f"/v1/grants/{GRANT}/execution",
        },
        connections=16,
        seconds=max(3.0, 10 * SCALE),
    )
    figures["execution_read_saturation_rps"] = read.rate
    figures["execution_read_saturation_p99_ms"] = read.p99_ms
    table.add(
        "5 finance reads",
        f"grant execution at saturation (wrk, 16 connections, {read.errors} errors)",
        f"{read.rate:,.0f}/s",
        "≥ 2,000/s",
    )
    table.add(
        "5 finance reads",
        f"p50 / p99 at saturation (wrk: {read.generator_cpu:.0%} of a core)",
        f"{read.p50_ms:.1f} / {read.p99_ms:.1f} ms",
        "p99 < 20 ms",
    )


async def console_pages(console: ServiceProcess, table: Table, figures: dict[str, float]) -> None:
    """The console's pages over the million transfers, as a signed-in finance officer and as
    platform operations."""
    finance = {"subject": "fo-bench", "role": "university_finance", "tenant_id": "tsinghua"}
    ops = {"subject": "ops-bench", "role": "platform_ops", "tenant_id": "platform"}
    for person, label, path, key in [
        (finance, "university view", "/university", "console_university_p99_ms"),
        (finance, "grant view", f"/grants/{GRANT}", "console_grant_p99_ms"),
        (ops, "operations view", "/ops", "console_ops_p99_ms"),
    ]:
        async with httpx.AsyncClient(timeout=30, follow_redirects=True) as http:
            made = await http.post(f"{console.url}/v1/sign-in-links", headers=OPS, json=person)
            made.raise_for_status()
            (await http.get(made.json()["url"])).raise_for_status()  # the session cookie
            samples = []
            for i in range(n(300) + 20):
                started = time.perf_counter()
                (await http.get(f"{console.url}{path}")).raise_for_status()
                if i >= 20:  # warm-up
                    samples.append((time.perf_counter() - started) * 1000)
        figures[key] = percentile(samples, 99)
        table.add(
            "7 console pages",
            f"{label} p50 / p99 (HTML from the APIs)",
            f"{percentile(samples, 50):.1f} / {percentile(samples, 99):.1f} ms",
            "p99 < 200 ms",
        )


async def main() -> None:
    stack = local_stack()
    print(f"UniSettle benchmark on {machine()}; BENCH_SCALE={SCALE}; parts {sorted(PARTS)}", flush=True)
    print(f"  {'part':<22} {'measure':<52} {'value':>18}  target", flush=True)
    table = Table()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="unisettle-bench-") as tmp:
        workdir = Path(tmp)
        if 1 in PARTS:
            await part1(stack, table, figures)
        if PARTS & {2, 6}:
            await part2_and_6(stack, table, figures, workdir)
        if PARTS & {3, 4, 5}:
            await parts_3_4_5(stack, table, figures, workdir)
    print("\nAs a table for the README:\n")
    print(table.markdown())
    if path := os.environ.get("BENCH_JSON"):
        measured = {k: round(figures[k], 3) for k in FIGURES if k in figures}
        Path(path).write_text(json.dumps(measured, indent=2) + "\n")
        print(f"\nfigures written to {path}")


if __name__ == "__main__":
    asyncio.run(main())
