"""Structured JSON logs. Every line carries the service and, inside a trace, its trace id.

Nothing secret reaches a log line: bearer tokens (JWTs) are replaced and long digit runs — bank
account and card numbers — are masked to their last four digits, whatever field they came in.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from plumbing.ops.tracing import current_trace

_SERVICE = "unisettle"
_TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_ACCOUNT_NUMBER = re.compile(r"(?<![\w.-])\d{8,26}(\d{4})(?![\w.-])")  # 12 to 30 digits


def redact(text: str) -> str:
    """`text` with tokens replaced and account numbers masked."""
    return _ACCOUNT_NUMBER.sub(r"****\1", _TOKEN.sub("[token]", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # What we write ourselves stays as it is; what the caller gave is redacted (a span id can
        # be all digits and would otherwise be masked like an account number).
        own: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": _SERVICE,
            "logger": record.name,
        }
        trace = current_trace.get()
        if trace is not None:
            own["trace_id"] = trace.trace_id
            own["span_id"] = trace.span_id
        given: dict[str, Any] = {"msg": record.getMessage()}
        given.update((k, v) for k, v in getattr(record, "fields", {}).items() if k not in own)
        if record.exc_info:
            given["exc"] = self.formatException(record.exc_info)
        head = json.dumps(own, ensure_ascii=False)
        rest = redact(json.dumps(given, default=str, ensure_ascii=False))
        return f"{head[:-1]}, {rest[1:]}"


def configure_logging(service: str, level: str = "INFO") -> None:
    global _SERVICE
    _SERVICE = service
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class StructLogger:
    """`log.info("payout sent", payout_id=...)`: keyword fields become JSON keys."""

    def __init__(self, name: str) -> None:
        self._logger = logging.getLogger(name)

    def _log(self, level: int, msg: str, exc_info: bool = False, **fields: Any) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(level, msg, exc_info=exc_info, extra={"fields": fields}, stacklevel=3)

    def debug(self, msg: str, **fields: Any) -> None:
        self._log(logging.DEBUG, msg, **fields)

    def info(self, msg: str, **fields: Any) -> None:
        self._log(logging.INFO, msg, **fields)

    def warning(self, msg: str, **fields: Any) -> None:
        self._log(logging.WARNING, msg, **fields)

    def error(self, msg: str, **fields: Any) -> None:
        self._log(logging.ERROR, msg, **fields)

    def exception(self, msg: str, **fields: Any) -> None:
        self._log(logging.ERROR, msg, exc_info=True, **fields)


def get_logger(name: str) -> StructLogger:
    return StructLogger(name)
