"""A faust worker built with plumbing.messaging.streams that applies `effects`, for the stream-app tests.

python -m tests.integration.faust_effects_worker DSN TOPIC_PREFIX DATADIR
"""

from __future__ import annotations

import sys

import asyncpg

from contracts.topics import Topic, with_prefix
from plumbing.messaging.delivery import Delivery
from plumbing.messaging.streams import guarded_agent, stream_app
from plumbing.settings import StackSettings
from tests.integration.effects import record_reservation

DSN, PREFIX, DATADIR = sys.argv[1], sys.argv[2], sys.argv[3]
stack = StackSettings(topic_prefix=PREFIX)
app = stream_app("effects-stream", stack, datadir=DATADIR)
pools: list[asyncpg.Pool] = []


async def apply(delivery: Delivery) -> None:
    if not pools:
        pool = await asyncpg.create_pool(DSN, min_size=1, max_size=2)
        assert pool is not None
        pools.append(pool)
    async with pools[0].acquire() as conn, conn.transaction():
        fresh = await conn.fetchval(
            "insert into processed_events (consumer, event_id) values ('effects-stream', $1) "
            "on conflict do nothing returning true",
            delivery.envelope.event_id,
        )
        if fresh:
            await record_reservation(conn, delivery)


guarded_agent(app, with_prefix(PREFIX, Topic.SETTLEMENT_EVENTS.value), apply, name="effects")

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn", "--without-web"]
    app.main()
