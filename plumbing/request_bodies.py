"""What every service's request bodies share: unknown fields are refused, and a reason is text."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class RequestBody(BaseModel):
    """Base of request bodies: a misspelt field is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ReasonIn(RequestBody):
    reason: Reason
