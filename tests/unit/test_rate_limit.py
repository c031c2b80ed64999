"""The per-client allowance of changes: a burst, then a steady rate, each client on its own."""

from __future__ import annotations

from plumbing.web.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_its_burst_then_one_change_per_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.take("tsinghua/alice") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("tsinghua/alice") == 0.5  # half a second until the next token
    assert limiter.take("fudan/alice") == 0  # another client is not slowed down
    clock.now = 0.5
    assert limiter.take("tsinghua/alice") == 0
    clock.now = 100
    assert [limiter.take("tsinghua/alice") for _ in range(4)][
        -1
    ] > 0  # the bucket holds no more than the burst


def test_the_limiter_forgets_the_least_recent_clients_beyond_its_bound() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_clients=2, clock=Clock())
    limiter.take("a")
    limiter.take("b")
    limiter.take("c")  # "a" is forgotten: it starts again with a full bucket
    assert limiter.take("a") == 0
    assert limiter.take("c") > 0
