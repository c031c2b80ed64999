"""W3C trace context: the `traceparent` carried from an outbox row to Kafka headers to logs."""

from __future__ import annotations

import contextvars
import re
import secrets
from dataclasses import dataclass

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass(frozen=True)
class TraceContext:
    trace_id: str
    span_id: str
    flags: str = "01"

    @classmethod
    def new(cls) -> TraceContext:
        return cls(trace_id=secrets.token_hex(16), span_id=secrets.token_hex(8))

    @classmethod
    def parse(cls, header: str | bytes | None) -> TraceContext | None:
        if isinstance(header, bytes):
            header = header.decode(errors="replace")
        match = _TRACEPARENT.match(header or "")
        if not match or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
            return None
        return cls(match.group(1), match.group(2), match.group(3))

    def child(self) -> TraceContext:
        return TraceContext(self.trace_id, secrets.token_hex(8), self.flags)

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


current_trace: contextvars.ContextVar[TraceContext | None] = contextvars.ContextVar(
    "current_trace", default=None
)


def outgoing_traceparent() -> str:
    """A traceparent for a new message: a child of the current trace, or a new trace."""
    trace = current_trace.get()
    return (trace.child() if trace else TraceContext.new()).traceparent
