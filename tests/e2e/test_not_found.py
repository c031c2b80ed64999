"""Generated from the routes of the running services: nothing is answered for a record that does
not exist, and text that is not UTF-8 is refused the same way in a path and in a query string."""

from __future__ import annotations

import re

import httpx
import pytest

from plumbing.settings import StackSettings
from tests.e2e.flow import Flow
from tests.e2e.test_isolation import RIGHTFUL, every_operation

pytestmark = pytest.mark.e2e
codec = StackSettings().token_codec()


def headers(role: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {codec.issue(RIGHTFUL[role])}"}  # type: ignore[index]


def urls(flow: Flow) -> dict[str, str]:
    return {
        "orders": flow.orders,
        "settlement": flow.settlement,
        "suppliers": flow.suppliers,
        "refunds": flow.refunds,
        "invoices": flow.invoices,
    }


async def test_no_read_answers_for_what_does_not_exist(flow: Flow) -> None:
    answered = []
    tried = 0
    async with httpx.AsyncClient(timeout=10) as http:
        for service, op, roles in every_operation():
            if op.method != "GET" or "{" not in op.path:
                continue
            url = urls(flow)[service] + re.sub(r"\{[^}]+\}", "NOPE-404", op.path)
            for role in roles:
                tried += 1
                response = await http.get(url, headers=headers(role), params={"tenant_id": "tsinghua"})
                if response.is_success:
                    answered.append(
                        f"{role.value} {service} GET {op.path}: {response.status_code} {response.text}"
                    )
    assert answered == []
    assert tried > 20


async def test_text_that_is_not_utf8_is_refused_in_a_path_as_in_a_query(flow: Flow) -> None:
    wrong = []
    async with httpx.AsyncClient(timeout=10) as http:
        for service, op, roles in every_operation():
            if op.method != "GET":
                continue
            role = sorted(roles, key=lambda r: r.value)[0]
            path = re.sub(r"\{[^}]+\}", "SUP%FF", op.path)
            for url in (urls(flow)[service] + path + "?x=%FF", urls(flow)[service] + path):
                if url.endswith(op.path) and "{" not in op.path:
                    continue  # no path parameter to put the bytes in
                response = await http.get(httpx.URL(url), headers=headers(role))
                body = response.json()
                if response.status_code != 422 or body["error"]["code"] != "invalid_request":
                    wrong.append(f"{service} GET {url}: {response.status_code} {response.text[:100]}")
    assert wrong == []
