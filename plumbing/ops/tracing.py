"""W3C trace context: the `traceparent` carried from an outbox row to Kafka headers to logs."""

from __future__ import annotations

import contextvars
import random
import re
from typing import NamedTuple

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_NO_TRACE, _NO_SPAN = "0" * 32, "0" * 16
# Trace and span ids are identifiers, not secrets: a fast generator serves (W3C asks for randomness,
# not unpredictability), seeded from the OS like any `random.Random()`.
_ids = random.Random()


def _span_id() -> str:
    return f"{_ids.getrandbits(64) or 1:016x}"  # never all zeros, which W3C reserves


class TraceContext(NamedTuple):
    trace_id: str
    span_id: str
    flags: str = "01"

    @classmethod
    def new(cls) -> TraceContext:
        return cls(f"{_ids.getrandbits(128) or 1:032x}", _span_id())

    @classmethod
    def parse(cls, header: str | bytes | None) -> TraceContext | None:
        if isinstance(header, bytes):
            header = header.decode(errors="replace")
        match = _TRACEPARENT.fullmatch(header or "")
        if not match:
            return None
        trace_id, span_id, flags = match.groups()
        if trace_id == _NO_TRACE or span_id == _NO_SPAN:
            return None
        return cls(trace_id, span_id, flags)

    def child(self) -> TraceContext:
        return TraceContext(self.trace_id, _span_id(), self.flags)

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
