"""What every service's request bodies share: unknown fields are refused, text is storable, and a
reason is text."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plumbing.text import unstorable

Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class RequestBody(BaseModel):
    """Base of request bodies: a misspelt field is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        if unstorable(data):
            raise ValueError("text must not hold a NUL character or an unpaired surrogate")
        return data


class ReasonIn(RequestBody):
    reason: Reason
