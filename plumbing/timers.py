"""A service's timers: work it does on its own, not asked by anyone — deadlines that have passed,
licences that expired, the daily payout run. Each is a step on the service's context returning
how much it did; the service skeleton runs every timer as a supervised background loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from plumbing.context import Background
from plumbing.ops.logs import get_logger

log = get_logger(__name__)
C = TypeVar("C")


@dataclass(frozen=True)
class Timer(Generic[C]):
    """Run `step` every `seconds`. A draining timer runs again at once while it finds work (a
    step does a bounded amount: 200 deadlines) and waits only when it found none; `wait_first`
    waits before the first step (a daily run does not run at every start)."""

    name: str
    step: Callable[[C], Awaitable[int]]
    seconds: float
    drain: bool = True
    wait_first: bool = False

    def loop(self, ctx: C) -> Background:
        async def run() -> None:
            if self.wait_first:
                await asyncio.sleep(self.seconds)
            while True:
                done = await self.step(ctx)
                if done:
                    log.info("timer did work", timer=self.name, count=done)
                if not done or not self.drain:
                    await asyncio.sleep(self.seconds)

        return self.name, run
