"""What the demo shows at the end: orders by status, escrow and payouts, each grant's execution."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from contracts.money import yuan
from seeding.client import FINANCE, OPS, UNI, URL, ok


async def summary(http: httpx.AsyncClient) -> None:
    states: Counter[str] = Counter()
    cursor = None
    while True:
        page = ok(
            await http.get(
                f"{URL['orders']}/v1/orders",
                headers=FINANCE,
                params={"limit": 200, **({"cursor": cursor} if cursor else {})},
            )
        )
        states.update(o["status"] for o in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    university = ok(await http.get(f"{URL['settlement']}/v1/universities/{UNI}/execution", headers=FINANCE))
    payouts = ok(await http.get(f"{URL['settlement']}/v1/payouts", headers=OPS))
    escrow = sum(g["total"]["encumbered"] for g in university["grants"])
    paid = sum(p["amount"] for p in payouts if p["status"] == "settled")
    by_count = sorted(states.items(), key=lambda item: (-item[1], item[0]))  # ties in name order
    print("  orders      " + ", ".join(f"{n} {s.lower()}" for s, n in by_count))
    print(f"  in escrow   {yuan(escrow)}    paid out to suppliers {yuan(paid)}")
    invoices = ok(await http.get(f"{URL['invoices']}/v1/universities/{UNI}/invoices", headers=FINANCE))
    owed = ok(
        await http.get(f"{URL['invoices']}/v1/universities/{UNI}/red-letters?open=true", headers=FINANCE)
    )
    by_status = Counter(i["status"] for i in invoices)
    print(
        "  invoices    "
        + (", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) or "none")
        + f"; {len(owed)} red-letter invoice(s) owed"
    )
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    exceptions = ok(
        await http.get(
            f"{URL['settlement']}/v1/universities/{UNI}/voucher-exceptions",
            headers=FINANCE,
            params={"period": month},
        )
    )
    vouchers = ok(
        await http.get(
            f"{URL['settlement']}/v1/universities/{UNI}/vouchers", headers=FINANCE, params={"period": month}
        )
    )
    accrued = ok(await http.get(f"{URL['settlement']}/v1/universities/{UNI}/accruals", headers=FINANCE))
    print(
        f"  books       {month}: {len(vouchers['vouchers'])} vouchers, {len(exceptions)} exception(s);"
        f" received not invoiced (暂估) {yuan(accrued['total'])}"
    )
    for school in university["schools"]:
        t, name = school["total"], school["unit"]["name"] if school["unit"] else "(no school)"
        print(
            f"  {name}: {school['grants']} grant(s), executed {t['execution_rate_bp'] / 100:5.2f}%"
            f" of {yuan(t['budget'])}"
        )
    for g in university["grants"]:
        t = g["total"]
        rate = t["execution_rate_bp"] / 100
        print(
            f"  {g['grant_id']:<17} executed {rate:5.2f}% of {yuan(t['budget'])} (expended"
            f" {yuan(t['expended'])}, encumbered {yuan(t['encumbered'])}, refunded {yuan(t['refunded'])})"
        )
