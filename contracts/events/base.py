"""The base of every event payload: its type name, schema version and home topic."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from contracts.topics import Topic


class EventPayload(BaseModel):
    """A payload model. Unknown fields are ignored so that adding an optional field is safe."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[Topic]
    summary: ClassVar[str] = ""
