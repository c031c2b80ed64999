"""Every route of every service, read from its own OpenAPI document, refuses a request without a
valid token: missing, expired, tampered, signed with another key or for another audience — 401 in
the shared error shape. A new endpoint that forgets authentication fails here."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from plumbing.settings import StackSettings
from plumbing.web.auth import Principal, Role, TokenCodec
from tests.e2e.processes import ServiceProcess

pytestmark = pytest.mark.e2e
PUBLIC = {"/health", "/ready", "/metrics"}  # probes: they reveal nothing and must work unauthenticated


def bad_tokens() -> dict[str, str]:
    stack = StackSettings()
    secret = stack.jwt_secret.get_secret_value()
    codec = stack.token_codec()
    ops = Principal(subject="ops-1", role=Role.PLATFORM_OPS, tenant_id="platform")
    good = codec.issue(ops)
    head, body, signature = good.split(".")
    return {
        "missing": "",
        "expired": codec.issue(ops, now=datetime.now(UTC) - timedelta(hours=3)),
        "tampered": f"{head}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{signature}",
        "other key": TokenCodec(
            "another-secret-" + secret, issuer=stack.jwt_issuer, audience=stack.jwt_audience
        ).issue(ops),
        "other audience": TokenCodec(secret, issuer=stack.jwt_issuer, audience="someone-else").issue(ops),
        "not a jwt": "not-a-token",
    }


async def test_every_route_of_every_service_needs_a_valid_token(services: dict[str, ServiceProcess]) -> None:
    tokens = bad_tokens()
    checked = dict.fromkeys(services, 0)
    async with httpx.AsyncClient(timeout=10) as http:
        for service in services.values():
            spec = (await http.get(f"{service.url}/openapi.json")).json()
            for path, operations in spec["paths"].items():
                if path in PUBLIC:
                    continue
                url = service.url + re.sub(r"\{[^}]+\}", "X-1", path)
                for method in operations:
                    for kind, token in tokens.items():
                        headers = {"Authorization": f"Bearer {token}"} if token else {}
                        response = await http.request(method.upper(), url, headers=headers)
                        assert response.status_code == 401, (service.name, method, path, kind, response.text)
                        assert response.json()["error"]["code"], (service.name, path, kind)
                    checked[service.name] += 1
    assert all(checked.values()), checked  # every service's routes were found and tried
