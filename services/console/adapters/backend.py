"""The services' APIs, called as the person signed in: the console mints a short-lived token of
that person's principal for each call, so every page is bound by exactly the APIs' role and
scope rules — it decides nothing about access itself."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx

from plumbing.web.auth import Principal, TokenCodec

TOKEN_TTL = timedelta(minutes=5)


class Refused(Exception):
    """An API said no (or that the thing does not exist for this person)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Backend:
    def __init__(self, http: httpx.AsyncClient, urls: Mapping[str, str], codec: TokenCodec) -> None:
        self.http, self.urls, self.codec = http, dict(urls), codec

    def _headers(self, who: Principal) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.codec.issue(who, ttl=TOKEN_TTL)}"}

    async def get(self, who: Principal, service: str, path: str, **params: Any) -> Any:
        """The JSON answer; `Refused` with the API's status and code otherwise."""
        query = {k: v for k, v in params.items() if v is not None}
        response = await self.http.get(
            f"{self.urls[service]}{path}", params=query, headers=self._headers(who)
        )
        return self._answer(response)

    @staticmethod
    def _answer(response: httpx.Response) -> Any:
        if response.is_success:
            return response.json()
        try:
            error = response.json()["error"]
            code, message = str(error["code"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            code, message = "unavailable", f"the service answered {response.status_code}"
        raise Refused(response.status_code, code, message)
