"""Demo data for `make up`: a university with grants, PIs, a lab member and a safety officer;
the reference suppliers onboarded with their catalogs (hazardous ones licensed); and a stretch of
trading — orders paid, shipped, received, one cancelled, one refunded, and a payout run — all
through the public APIs, so every step is a real event. Running it again changes nothing."""

from __future__ import annotations

import asyncio
import csv
import sys

import httpx
from seeding.books import books
from seeding.catalog import grants, onboard, organisation, publish_catalog
from seeding.client import ALICE, DEAN, FINANCE, HERE, OPS, PI, SCHOOL_FINANCE, STRETCH, UNI, URL, ok
from seeding.invoicing import profile
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
            await profile(http)
            with (HERE / "suppliers.csv").open() as f:
                for row in csv.DictReader(f):
                    await onboard(http, row)
            catalog = await publish_catalog(http)
            await trade(http, catalog)
            await stretch(http, catalog)
            await books(http)
            print(
                "demo data seeded: 2 schools with labs, 2 grants, 6 suppliers with catalogs,"
                f" {STRETCH + 3} carts, invoices (most matched, some held), a payout run,"
                " the month's vouchers posted"
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
    await console_links()
    print("  try: curl -H 'Authorization: Bearer …' http://127.0.0.1:8002/v1/universities/tsinghua/execution")
    print(
        "       curl -H 'Authorization: Bearer <finance, chemistry>' http://127.0.0.1:8002/v1/org-units/S-CHEM/execution"
    )
    print("       .venv/bin/unisettle audit --service orders --limit 5   # who did what, and what it changed")
    return 0


async def console_links() -> None:
    """One-time sign-in links to the console (valid 30 minutes, once each)."""
    people = [
        ("finance office", {"subject": "finance-office", "role": "university_finance", "tenant_id": UNI}),
        (
            "finance, chemistry",
            {
                "subject": "chem-finance",
                "role": "university_finance",
                "tenant_id": UNI,
                "org_unit_id": "S-CHEM",
            },
        ),
        ("PI prof-wang", {"subject": "prof-wang", "role": "researcher", "tenant_id": UNI}),
        ("operations", {"subject": "ops-demo", "role": "platform_ops", "tenant_id": "platform"}),
    ]
    print(f"  console: {URL['console']}/  — sign in once with (valid 30 minutes; more: make links):")
    async with httpx.AsyncClient(timeout=30) as http:
        for name, person in people:
            link = await http.post(f"{URL['console']}/v1/sign-in-links", headers=OPS, json=person)
            print(f"    {name:<18} {ok(link)['url']}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--links"]:  # make links: new sign-in links for the demo's people
        asyncio.run(console_links())
        sys.exit(0)
    sys.exit(asyncio.run(main()))
