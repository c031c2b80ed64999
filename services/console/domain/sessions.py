"""Signing in to the console: a one-time link (short-lived, single use) opens a session kept in
an HttpOnly, SameSite cookie; every form carries the session's CSRF token. Secrets are random
(`secrets`), compared in constant time, and stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from plumbing.web.auth import Principal

COOKIE = "unisettle_session"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    principal: Principal
    csrf: str

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(self.csrf.encode(), given.encode())
