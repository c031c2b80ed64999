"""Waiting for a row to change, woken by the change itself: a trigger in the database notifies a
channel with the row's key when its transaction commits (LISTEN/NOTIFY, so every process of the
service hears every change), and one listening connection per process wakes whoever watches that
key. While the listener is not connected, watchers look again every `fallback_seconds` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator

import asyncpg

from plumbing.ops.logs import get_logger
from plumbing.retry import Backoff

log = get_logger(__name__)


class Changes:
    def __init__(self, dsn: str, channel: str, *, fallback_seconds: float = 0.5) -> None:
        self.dsn, self.channel, self.fallback_seconds = dsn, channel, fallback_seconds
        self._watchers: defaultdict[str, set[asyncio.Event]] = defaultdict(set)
        self._listening = False

    @contextlib.asynccontextmanager
    async def watch(self, key: str) -> AsyncIterator[Watch]:
        """Watch `key` from now on (enter before reading the row, so no change is missed)."""
        event = asyncio.Event()
        self._watchers[key].add(event)
        try:
            yield Watch(self, event)
        finally:
            watchers = self._watchers[key]
            watchers.discard(event)
            if not watchers:
                del self._watchers[key]

    @property
    def listening(self) -> bool:
        return self._listening

    def _heard(self, key: str) -> None:
        for event in self._watchers.get(key, ()):
            event.set()

    def _wake_all(self) -> None:
        for watchers in self._watchers.values():
            for event in watchers:
                event.set()

    async def run(self) -> None:
        """Listen for as long as the service runs, reconnecting after a failure."""
        backoff = Backoff(maximum=5)
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(self.channel, lambda _c, _pid, _channel, key: self._heard(key))
                self._listening = True
                self._wake_all()  # what changed while nobody listened is read again
                backoff.reset()
                while not lost.is_set():  # a connection that died quietly is found by asking
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(5):
                            await lost.wait()
                    if not lost.is_set():
                        await conn.fetchval("select 1", timeout=5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect whatever went wrong
                log.warning("change listener lost its connection", channel=self.channel, error=repr(exc))
            finally:
                self._listening = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)
            await backoff.wait()


class Watch:
    def __init__(self, changes: Changes, event: asyncio.Event) -> None:
        self._changes, self._event = changes, event

    async def changed(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a change of the key; True if one (or a reconnection
        of the listener, after which the row should be read again) was heard. A change heard
        since the last call counts at once."""
        if not self._changes.listening:
            timeout = min(timeout, self._changes.fallback_seconds)
        try:
            async with asyncio.timeout(timeout):
                await self._event.wait()
        except TimeoutError:
            return not self._changes.listening  # read again while nothing listens
        self._event.clear()
        return True
