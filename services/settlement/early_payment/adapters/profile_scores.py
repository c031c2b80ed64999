"""A supplier's profile score, read from the profile stream worker (services.profiles), for the
early-payment terms of its band."""

from __future__ import annotations

import httpx

from plumbing.ops.logs import get_logger

log = get_logger(__name__)


class ProfileScores:
    def __init__(self, url: str, *, timeout: float = 3.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    async def score(self, supplier_id: str) -> tuple[float | None, bool]:
        """The supplier's 90-day score (None with no orders in it), and whether it could be read."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                response = await http.get(f"{self.url}/profiles/{supplier_id}/")
            response.raise_for_status()
            value = response.json()["windows"]["90d"]["score"]
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            log.warning("profile score unavailable", supplier_id=supplier_id, error=repr(exc))
            return None, False
        return (float(value) if value is not None else None), True
