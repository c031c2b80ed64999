"""Bearer tokens, role checks and the one error shape, through a real FastAPI app."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from plumbing.errors import Conflict, Unauthenticated
from plumbing.web.auth import Principal, Role, TokenCodec
from plumbing.web.auth_deps import require_roles
from plumbing.web.http_errors import install_error_handlers

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
codec = TokenCodec(SECRET)
FinanceOnly = Annotated[Principal, Depends(require_roles(Role.UNIVERSITY_FINANCE))]


class Body(BaseModel):
    amount_minor: int


def build_app() -> FastAPI:
    app = FastAPI()
    app.state.token_codec = codec
    install_error_handlers(app)

    @app.get("/grants")
    def grants(user: FinanceOnly) -> dict[str, str]:
        return {"tenant": user.tenant_id, "sub": user.subject}

    @app.post("/budget")
    def budget(user: FinanceOnly, body: Body) -> dict[str, int]:
        if body.amount_minor < 0:
            raise Conflict("budget below what is committed", code="budget_below_committed")
        return {"amount_minor": body.amount_minor}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    return app


client = TestClient(build_app(), raise_server_exceptions=False)
finance = Principal(subject="fo-1", role=Role.UNIVERSITY_FINANCE, tenant_id="tsinghua")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_valid_token_of_the_right_role_is_admitted() -> None:
    response = client.get("/grants", headers=bearer(codec.issue(finance)))
    assert response.status_code == 200
    assert response.json() == {"tenant": "tsinghua", "sub": "fo-1"}


def _signed(**claims: str) -> str:
    """A well-signed token of the codec's issuer and audience with these claims."""
    now = int(datetime.now(UTC).timestamp())
    base = {
        "sub": "x",
        "tenant": "tsinghua",
        "iss": "unisettle",
        "aud": "unisettle",
        "iat": now,
        "exp": now + 86_400,  # made at collection: alive however long the run
    }
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthenticated"),
        ({"Authorization": "Basic Zm86YmFy"}, "unauthenticated"),
        (bearer(codec.issue(finance, now=datetime.now(UTC) - timedelta(hours=2))), "token_expired"),
        (bearer(codec.issue(finance)[:-3] + "abc"), "invalid_token"),
        (bearer(TokenCodec(SECRET, audience="elsewhere").issue(finance)), "invalid_token"),
        (
            bearer(TokenCodec("another-secret-that-is-long-enough-xx").issue(finance)),
            "invalid_token",
        ),
        (
            bearer(jwt.encode({"sub": "x", "role": "researcher"}, SECRET, algorithm="HS256")),
            "invalid_token",
        ),
        (bearer(_signed(role="researcher", org_unit="S-CHEM")), "invalid_token"),
        (bearer(_signed(role="unit_approver")), "invalid_token"),
    ],
    ids=[
        "missing",
        "not-bearer",
        "expired",
        "tampered",
        "wrong-audience",
        "wrong-key",
        "no-claims",
        "org-unit-on-a-researcher",
        "unit-approver-without-unit",
    ],
)
def test_bad_tokens_get_401_in_the_error_shape(headers: dict[str, str], code: str) -> None:
    response = client.get("/grants", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_wrong_role_gets_403() -> None:
    researcher = Principal(subject="r-1", role=Role.RESEARCHER, tenant_id="tsinghua")
    response = client.get("/grants", headers=bearer(codec.issue(researcher)))
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden",
        "message": "role 'researcher' may not do this",
        "details": {"allowed_roles": ["university_finance"]},
    }


def test_a_refused_request_is_logged_for_security_monitoring(caplog: pytest.LogCaptureFixture) -> None:
    researcher = Principal(subject="r-1", role=Role.RESEARCHER, tenant_id="tsinghua")
    with caplog.at_level(logging.WARNING, logger="plumbing.errors"):
        client.get("/grants", headers=bearer(codec.issue(researcher)))
        client.get("/grants")
    refused = [r.fields for r in caplog.records if r.getMessage() == "request refused"]  # type: ignore[attr-defined]
    assert [(f["status"], f["code"], f["method"], f["path"]) for f in refused] == [
        (403, "forbidden", "GET", "/grants"),
        (401, "unauthenticated", "GET", "/grants"),
    ]


def test_a_supplier_token_must_name_its_supplier() -> None:
    token = jwt.encode(
        {
            "sub": "s",
            "role": "supplier",
            "tenant": "t",
            "iss": "unisettle",
            "aud": "unisettle",
            "iat": int(datetime.now(UTC).timestamp()),
            "exp": int(datetime.now(UTC).timestamp()) + 60,
        },
        SECRET,
        algorithm="HS256",
    )
    assert client.get("/grants", headers=bearer(token)).json()["error"]["code"] == "invalid_token"


def test_domain_errors_validation_errors_and_crashes_share_one_shape() -> None:
    token = bearer(codec.issue(finance))
    conflict = client.post("/budget", json={"amount_minor": -5}, headers=token)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "budget_below_committed"

    invalid = client.post("/budget", json={"amount_minor": "lots"}, headers=token)
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid_request"
    assert invalid.json()["error"]["details"][0]["loc"] == ["body", "amount_minor"]

    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

    crash = client.get("/boom")
    assert crash.status_code == 500
    assert crash.json() == {"error": {"code": "internal_error", "message": "an internal error occurred"}}


def test_a_verified_token_is_remembered_only_until_it_expires() -> None:
    moment = [time.time()]  # the codec's clock, moved by hand: no waiting for real time to pass
    remembering = TokenCodec(SECRET, remember=2, clock=lambda: moment[0])
    finance = Principal("fo-1", Role.UNIVERSITY_FINANCE, "tsinghua")
    issued = datetime.fromtimestamp(moment[0], UTC) - timedelta(minutes=5)
    short = remembering.issue(finance, ttl=timedelta(minutes=5, seconds=2), now=issued)
    assert remembering.verify(short) == finance
    assert remembering.verify(short) == finance  # remembered
    tampered = short[:-4] + ("AAAA" if not short.endswith("AAAA") else "BBBB")
    for _ in range(2):  # a bad token is verified (and refused) every time, never remembered
        with pytest.raises(Unauthenticated, match="not valid"):
            remembering.verify(tampered)
    expires = jwt.decode(short, options={"verify_signature": False})["exp"]
    moment[0] = expires  # the moment it expires
    with pytest.raises(Unauthenticated, match="expired"):  # although it was remembered
        remembering.verify(short)


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        TokenCodec("short")


def test_the_cli_mints_tokens_the_services_accept(capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main
    from plumbing.settings import StackSettings

    assert (
        main(
            [
                "token",
                "--role",
                "supplier",
                "--tenant",
                "pku",
                "--sub",
                "u1",
                "--supplier-id",
                "S-9",
            ]
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    stack = StackSettings()
    principal = TokenCodec(stack.jwt_secret.get_secret_value()).verify(token)
    assert (principal.role, principal.tenant_id, principal.supplier_id) == (
        Role.SUPPLIER,
        "pku",
        "S-9",
    )
