"""Demo data for `make up`: a university with grants, PIs, a lab member and a safety officer;
the reference suppliers onboarded with their catalogs (hazardous ones licensed); and a stretch of
trading — orders paid, shipped, received, one cancelled, one refunded, and a payout run — all
through the public APIs, so every step is a real event. Running it again changes nothing."""

from __future__ import annotations

import asyncio
import csv
import sys

import httpx
from seeding.catalog import grants, onboard, organisation, publish_catalog
from seeding.client import ALICE, DEAN, FINANCE, HERE, OPS, PI, SCHOOL_FINANCE, STRETCH, URL
from seeding.summary import summary
from seeding.trading import stretch, trade


async def main() -> int:
    async with httpx.AsyncClient(timeout=60) as http:
        grant = await http.get(f"{URL['settlement']}/v1/grants/G-NSFC-2026-001", headers=FINANCE)
        payouts = await http.get(f"{URL['settlement']}/v1/payouts", headers=OPS)
        if grant.status_code == 200 and payouts.status_code == 200 and payouts.json():
            print("demo data already present")
        elif grant.status_code == 200:
            print(
                "an earlier demo seed was interrupted; to start afresh: make down && rm -rf .stack && make up"
            )
        else:
            await organisation(http)
            await grants(http)
            with (HERE / "suppliers.csv").open() as f:
                for row in csv.DictReader(f):
                    await onboard(http, row)
            catalog = await publish_catalog(http)
            await trade(http, catalog)
            await stretch(http, catalog)
            print(
                "demo data seeded: 2 schools with labs, 2 grants, 6 suppliers with catalogs,"
                f" {STRETCH + 3} carts, a payout run"
            )
        await summary(http)
    print("  demo tokens (valid 1 hour; make more with .venv/bin/unisettle token):")
    for name, headers in [
        ("researcher alice", ALICE),
        ("PI prof-wang", PI),
        ("finance", FINANCE),
        ("finance, chemistry", SCHOOL_FINANCE),
        ("dean, chemistry", DEAN),
        ("ops", OPS),
    ]:
        print(f"    {name:<18} {headers['Authorization']}")
    print("  try: curl -H 'Authorization: Bearer …' http://127.0.0.1:8002/v1/universities/tsinghua/execution")
    print(
        "       curl -H 'Authorization: Bearer <finance, chemistry>' http://127.0.0.1:8002/v1/org-units/S-CHEM/execution"
    )
    print("       .venv/bin/unisettle audit --service orders --limit 5   # who did what, and what it changed")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
