"""The console in a real headless Chromium (Debian's, through its chromedriver), against the
running services: sign in through a one-time link, the university view's figures equal the API's
for every grant, the exports are what is shown, the grant chart is drawn with a point per month,
a researcher cannot open another's grant, an operator replays a dead letter from the page, a
link works once, a form without its CSRF token is refused. A screenshot of each view is written
to the test report directory (UNISETTLE_TEST_REPORTS, else .test-reports/)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from contracts.topics import Topic, with_prefix
from tests.e2e.flow import GRANT, Flow
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_money_flow import FINANCE, OPS, ok
from tests.integration.kafka_io import produce
from tests.stack import Stack, eventually

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
REPORTS = Path(os.environ.get("UNISETTLE_TEST_REPORTS", ROOT / ".test-reports")) / "console"
OTHER_GRANT = "G-MOST-2026-017"


async def link(http: httpx.AsyncClient, console: ServiceProcess, **person: str) -> str:
    made = ok(await http.post(f"{console.url}/v1/sign-in-links", headers=OPS, json=person), 201)
    return str(made["url"])


def navigate(browser: WebDriver, action: Callable[[], object]) -> None:
    """Do what leaves the page (a click, a form's submission) and wait, up to 20 s, until the
    next page has replaced it and loaded: a click returns before its navigation is over."""
    old = browser.find_element(By.TAG_NAME, "html")
    action()
    wait = WebDriverWait(browser, 20)
    wait.until(expected_conditions.staleness_of(old))
    wait.until(lambda b: b.execute_script("return document.readyState") == "complete")


def shot(browser: WebDriver, name: str) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(REPORTS / f"{name}.png"))


def figures_on_page(browser: WebDriver) -> dict[str, dict[str, int]]:
    shown: dict[str, dict[str, int]] = {}
    for row in browser.find_elements(By.CSS_SELECTOR, "#grants tbody tr[data-grant]"):
        cells = row.find_elements(By.CSS_SELECTOR, "td[data-figure]")
        shown[str(row.get_attribute("data-grant"))] = {
            str(c.get_attribute("data-figure")): int(str(c.get_attribute("data-fen"))) for c in cells
        }
    return shown


async def university_with_two_grants(flow: Flow) -> None:
    """The flow's grant in a lab of 化学学院, with a completed and a paid order; a second grant
    (another PI's) in the same school."""
    for unit in (
        {"unit_id": "S-CHEM", "code": "CHEM", "name": "化学学院", "kind": "school"},
        {"unit_id": "L-CAT", "code": "CHEM-CAT", "name": "催化实验室", "kind": "lab", "parent_id": "S-CHEM"},
    ):
        ok(await flow.http.post(f"{flow.settlement}/v1/org-units", headers=FINANCE, json=unit), 201)
    month = date.today().replace(day=1).isoformat()
    ok(
        await flow.http.put(
            f"{flow.settlement}/v1/grants/{GRANT}/org-unit",
            headers=FINANCE,
            json={"org_unit_id": "L-CAT", "effective_from": month},
        )
    )
    await flow.register_grant(OTHER_GRANT, FINANCE, buyers=["carol"], pi="prof-li", code="MOST-2026YFA017")
    await flow.completed_order()
    await flow.paid_order(quantity=2)


async def test_finance_signs_in_once_and_sees_the_api_s_figures_and_charts(
    flow: Flow, console: ServiceProcess, browser: WebDriver
) -> None:
    await university_with_two_grants(flow)
    url = await link(flow.http, console, subject="fo-1", role="university_finance", tenant_id="tsinghua")
    browser.get(url)
    assert browser.current_url.endswith("/university")
    assert browser.find_element(By.ID, "who").text == "fo-1"
    cookie = browser.get_cookie("unisettle_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    shot(browser, "university")

    api = ok(await flow.http.get(f"{flow.settlement}/v1/universities/tsinghua/execution", headers=FINANCE))
    expected = {
        g["grant_id"]: {
            f: g["total"][f] for f in ("budget", "encumbered", "expended", "refunded", "available")
        }
        | {"execution_rate_bp": g["total"]["execution_rate_bp"]}
        for g in api["grants"]
    }
    assert figures_on_page(browser) == expected and len(expected) == 2
    page_text = browser.find_element(By.ID, "grants").text
    assert "¥84.00" in page_text  # the completed order: 3 x ¥28.00, expended
    schools = browser.find_element(By.ID, "schools").text
    assert "化学学院" in schools

    # The exports are the table as shown, filters included.
    cookies = {"unisettle_session": cookie["value"]}
    async with httpx.AsyncClient(base_url=console.url, cookies=cookies) as http:
        rows = list(csv.DictReader(io.StringIO((await http.get("/university.csv")).text)))
        assert {r["grant_id"]: int(r["expended_fen"]) for r in rows} == {
            g: f["expended"] for g, f in expected.items()
        }
        only_chem = (await http.get("/university.xlsx", params={"school": "S-CHEM"})).content
        sheet = openpyxl.load_workbook(io.BytesIO(only_chem)).active
        assert sheet is not None
        assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [GRANT]
        page = await http.get("/university")  # not framed, not cached, no referrer, own scripts only
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert (page.headers["cache-control"], page.headers["referrer-policy"]) == ("no-store", "no-referrer")

    browser.get(f"{console.url}/grants/{GRANT}")
    shot(browser, "grant")
    execution = ok(await flow.http.get(f"{flow.settlement}/v1/grants/{GRANT}/execution", headers=FINANCE))
    points = browser.execute_script("return Chart.getChart('grant-chart').data.datasets[0].data.length")
    months = (date.today().year - 2026) * 12 + date.today().month  # the period starts 2026-01-01
    assert points == months
    drawn = browser.execute_script(
        """const c = document.getElementById('grant-chart');
           const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
           let painted = 0; for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
           return painted;"""
    )
    assert drawn > 1000  # pixels with ink on them
    totals = {
        str(c.get_attribute("data-figure")): int(str(c.get_attribute("data-fen")))
        for c in browser.find_elements(By.CSS_SELECTOR, "#totals td[data-figure]")
    }
    assert totals == {
        f: execution["total"][f] for f in ("budget", "encumbered", "expended", "refunded", "available")
    }
    held = browser.find_elements(By.CSS_SELECTOR, "#holding tbody a")
    assert len(held) == 1
    navigate(browser, held[0].click)
    assert browser.find_element(By.ID, "order-status").text == "PAID"
    shot(browser, "order")

    browser.get(f"{console.url}/university?lang=zh")
    assert "经费执行" in browser.page_source and "¥84.00" in browser.page_source
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "header form button").click)  # sign out
    assert browser.find_element(By.ID, "signed-out")
    browser.get(f"{console.url}/university")
    assert "401" in browser.find_element(By.TAG_NAME, "h1").text

    browser.get(url)  # the link was spent
    assert "410" in browser.find_element(By.TAG_NAME, "h1").text


async def test_a_researcher_sees_their_own_grant_and_a_403_page_for_another(
    flow: Flow, console: ServiceProcess, browser: WebDriver
) -> None:
    await university_with_two_grants(flow)
    browser.get(await link(flow.http, console, subject="prof-wang", role="researcher", tenant_id="tsinghua"))
    assert [
        r.get_attribute("data-grant")
        for r in browser.find_elements(By.CSS_SELECTOR, "#grants tr[data-grant]")
    ] == [GRANT]
    browser.get(f"{console.url}/grants/{GRANT}")
    assert browser.find_element(By.ID, "grant-chart")
    browser.get(f"{console.url}/grants/{OTHER_GRANT}")
    assert "403" in browser.find_element(By.TAG_NAME, "h1").text
    shot(browser, "forbidden")
    browser.get(f"{console.url}/university")
    assert "403" in browser.find_element(By.TAG_NAME, "h1").text

    # Only platform operations make links, and only for a principal a token could carry.
    person = {"subject": "mallory", "role": "platform_ops", "tenant_id": "platform"}
    made = await flow.http.post(f"{console.url}/v1/sign-in-links", headers=FINANCE, json=person)
    assert (made.status_code, made.json()["error"]["code"]) == (403, "forbidden")
    supplier = {"subject": "s", "role": "supplier", "tenant_id": "platform"}  # no supplier id
    made = await flow.http.post(f"{console.url}/v1/sign-in-links", headers=OPS, json=supplier)
    assert (made.status_code, made.json()["error"]["code"]) == (422, "invalid_principal")


async def test_operations_replay_a_dead_letter_from_the_page_and_forms_need_their_csrf_token(
    flow: Flow, console: ServiceProcess, browser: WebDriver, stack: Stack, topic_prefix: str
) -> None:
    await produce(
        stack.kafka, with_prefix(topic_prefix, Topic.ORDERS_EVENTS.value), [(b"O-1", b"\x00not json", [])]
    )
    browser.get(await link(flow.http, console, subject="ops-1", role="platform_ops", tenant_id="platform"))
    assert browser.current_url.endswith("/ops")

    def letters() -> list[str]:
        browser.get(f"{console.url}/ops")
        return [
            str(r.get_attribute("data-letter"))
            for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-letter]")
        ]

    async def dead_lettered() -> bool:
        return any(name.startswith("settlement-") for name in letters())

    await eventually(dead_lettered, what="settlement to dead-letter the garbage")
    shot(browser, "operations")
    letter = next(name for name in letters() if name.startswith("settlement-"))
    # A form posted without the session's CSRF token is refused, and changes nothing.
    navigate(
        browser,
        lambda: browser.execute_script(
            """const f = document.createElement('form'); f.method = 'post';
               f.action = '/ops/dead-letters/settlement/' + arguments[0] + '/discard';
               document.body.appendChild(f); f.submit();""",
            letter.split("-", 1)[1],
        ),
    )
    assert "403" in browser.find_element(By.TAG_NAME, "h1").text
    assert letter in letters()
    navigate(
        browser, browser.find_element(By.CSS_SELECTOR, f"tr[data-letter='{letter}'] button.replay").click
    )
    assert letter not in letters()
    letters_api = await flow.http.get(f"{console.url}/ops")  # without a session: sign in first
    assert letters_api.status_code == 401
    assert "replayed" in str(await _resolution(flow, letter))


async def _resolution(flow: Flow, letter: str) -> Any:
    audit = ok(
        await flow.http.get(
            f"{flow.settlement}/v1/audit", headers=OPS, params={"action": "dead_letter.replayed"}
        )
    )
    return [e for e in audit["entries"] if e["subject"].endswith(letter.split("-", 1)[1])]
