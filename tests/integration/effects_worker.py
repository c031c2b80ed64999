"""A consumer process applying `effects`, for tests that SIGKILL consumers.

python -m tests.integration.effects_worker DSN TOPIC_PREFIX
"""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg

from plumbing.ops.logs import configure_logging
from tests.integration.test_idempotent_consumer import make_consumer
from tests.stack import Stack, given_stack


async def run(dsn: str, prefix: str) -> None:
    stack = given_stack()
    assert isinstance(stack, Stack), "KAFKA_BOOTSTRAP_SERVERS and UNISETTLE_PG_ADMIN_DSN must be set"
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=2, server_settings={"application_name": f"worker-{os.getpid()}"}
    )
    assert pool is not None
    await make_consumer(stack, pool, prefix).run()


if __name__ == "__main__":
    configure_logging("effects-worker", "WARNING")
    asyncio.run(run(sys.argv[1], sys.argv[2]))
