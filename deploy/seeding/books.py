"""The demo's books: tsinghua's chart-of-accounts mapping (政府会计 accounts, economic
classifications), its finance system's chart (the simulator's), and this month's vouchers
posted to it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from seeding.client import FINANCE, UNI, URL, ok

ACCOUNTS = {
    "budget": "1011",  # 零余额账户用款额度
    "budget_source": "4001",  # 财政拨款收入
    "commitment": "8101",  # 预算占用 (commitment)
    "commitment_offset": "8001",  # 资金结存
    "payable": "2302",  # 应付账款
    "refund_receivable": "1218",  # 其他应收款
}
EXPENSE = {
    "reagents": {"account": "5001.01", "classification": "30218"},  # 专用材料费
    "consumables": {"account": "5001.02", "classification": "30218"},
    "equipment": {"account": "5001.03", "classification": "31002"},  # 办公设备购置
    "services": {"account": "5001.04", "classification": "30227"},  # 委托业务费
}


def period() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


async def books(http: httpx.AsyncClient) -> None:
    university = f"{URL['settlement']}/v1/universities/{UNI}"
    mapping = {"accounts": ACCOUNTS, "expense": EXPENSE}
    ok(await http.put(f"{university}/account-mappings/2026-01-01", headers=FINANCE, json=mapping))
    chart = [*ACCOUNTS.values(), *(e["account"] for e in EXPENSE.values())]
    simulator = f"{URL['settlement']}/v1/finance-simulator/universities/{UNI}/chart"
    ok(await http.put(simulator, headers=FINANCE, json={"accounts": chart}))
    ok(await http.post(f"{university}/vouchers/post", headers=FINANCE, params={"period": period()}))
