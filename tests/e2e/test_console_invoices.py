"""The console's invoices in a real headless Chromium: the finance office's list of invoices to
resolve shows a held invoice with its finding and links to its order, whose page shows the
order's invoice state to finance and to the researcher who ordered it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.flow import Flow
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_console import link, navigate, shot
from tests.e2e.test_invoices import UNIVERSITY, Invoicing, invoice
from tests.e2e.test_money_flow import FINANCE, ok
from tests.stack import eventually

pytestmark = pytest.mark.e2e


def _line(quantity: int, unit_price: str, amount: int, tax: int) -> dict[str, Any]:
    return {
        "name": "*塑料制品*移液器吸头 200uL",
        "unit": "盒",
        "quantity": str(quantity),
        "unit_price": unit_price,
        "amount_minor": amount,
        "tax_rate": "0.13",
        "tax_minor": tax,
    }


async def test_finance_sees_what_to_resolve_and_each_order_its_invoice_state(
    flow: Flow,
    services: dict[str, ServiceProcess],
    console: ServiceProcess,
    browser: WebDriver,
    tmp_path: Path,
) -> None:
    tax = Invoicing(flow.http, services["invoices"].url)
    profile = {
        "buyer_name": "清华大学",
        "buyer_tax_id": UNIVERSITY["tax_id"],
        "variance_authority_minor": 100,
    }
    ok(
        await flow.http.put(
            f"{tax.url}/v1/universities/tsinghua/invoicing-profile", headers=FINANCE, json=profile
        )
    )
    order_id = await flow.completed_order()  # 3 boxes of tips at 28.00
    await tax.issued("24322000000099000001", 8_484)
    over = invoice("24322000000099000001", [_line(3, "25.02666667", 7_508, 976)])  # 1 % over

    async def submitted() -> bool:
        return (await tax.submit(over, [(order_id, 1)])).status_code == 201

    await eventually(submitted, timeout=30, what="invoices to learn the order")

    browser.get(
        await link(flow.http, console, subject="fo-1", role="university_finance", tenant_id="tsinghua")
    )
    navigate(browser, lambda: browser.find_element(By.LINK_TEXT, "Invoices").click())
    rows = browser.find_elements(By.CSS_SELECTOR, "#held-invoices tbody tr")
    assert [r.find_element(By.TAG_NAME, "td").text for r in rows] == ["24322000000099000001"]
    assert "price_variance" in rows[0].text and "¥84.84" in rows[0].text
    shot(browser, "invoices-to-resolve")
    navigate(browser, lambda: rows[0].find_element(By.CSS_SELECTOR, f"a[href^='/orders/{order_id}']").click())
    assert browser.find_element(By.ID, "invoice-state").text == "held"
    assert "24322000000099000001" in browser.find_element(By.ID, "invoices").text
    shot(browser, "order-invoice-state")

    ok(
        await flow.http.post(
            f"{tax.url}/v1/invoices/24322000000099000001/accept", headers=FINANCE, json={"reason": "agreed"}
        )
    )
    browser.get(await link(flow.http, console, subject="alice", role="researcher", tenant_id="tsinghua"))
    browser.get(f"{console.url}/orders/{order_id}")
    assert browser.find_element(By.ID, "invoice-state").text == "invoiced"
    assert browser.find_element(By.ID, "invoiced").text == "¥84.00"  # covered: the ordered price
    browser.get(f"{console.url}/invoices")
    assert "403" in browser.find_element(By.TAG_NAME, "h1").text  # a researcher resolves nothing
