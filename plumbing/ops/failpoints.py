"""Named crash points for fault-injection tests, off unless UNISETTLE_FAILPOINTS names them.

UNISETTLE_FAILPOINTS="relay.after_publish" makes the process SIGKILL itself when it reaches
`failpoint("relay.after_publish")`, so tests can crash it at an exact, otherwise racy, moment.
"""

from __future__ import annotations

import os
import signal


def _active() -> frozenset[str]:
    return frozenset(p.strip() for p in os.environ.get("UNISETTLE_FAILPOINTS", "").split(",") if p.strip())


def failpoint(name: str) -> None:
    if name in _active():
        os.kill(os.getpid(), signal.SIGKILL)
