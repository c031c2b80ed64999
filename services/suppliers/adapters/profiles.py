"""The supplier profile, read from the profile stream worker (services.profiles) that keeps it."""

from __future__ import annotations

from typing import Any

import httpx

from plumbing.errors import AppError


class ProfileUnavailable(AppError):
    status_code = 503
    code = "profile_unavailable"


class ProfileReader:
    """Asks the worker's page for a supplier's profile (of one university's trade, if given)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    async def profile(self, supplier_id: str, university: str | None) -> dict[str, Any]:
        params = {"university": university} if university else {}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                response = await http.get(f"{self.url}/profiles/{supplier_id}/", params=params)
        except httpx.TransportError as exc:
            raise ProfileUnavailable(f"the profile worker cannot be reached: {exc}") from exc
        if response.status_code != 200:
            raise ProfileUnavailable(f"the profile worker answered {response.status_code} (recovering?)")
        body: dict[str, Any] = response.json()
        return body
