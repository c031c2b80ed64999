"""The skeleton every service is built on: `build_service` wires migrations, the pool, the
outbox relay, the service's context, its consumers (from its `Events`), its timers, the edge
middleware and the /health, /ready, /metrics and audit endpoints. A service's `main.py` only says
what is its own."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from fastapi import APIRouter, FastAPI, Request

from contracts.topics import with_prefix
from plumbing.aggregates.audit import audit_router
from plumbing.clock import Clock, SystemClock
from plumbing.context import Background, BaseContext
from plumbing.db.pool import create_pool, migrate_service
from plumbing.messaging.appliers import Events
from plumbing.messaging.consumer import BatchConsumer, ConsumerSettings
from plumbing.messaging.kafka_access import KafkaAccess
from plumbing.messaging.outbox import Outbox
from plumbing.messaging.relay import OutboxRelay, RelaySettings
from plumbing.ops.logs import configure_logging, get_logger
from plumbing.retry import Backoff
from plumbing.settings import ServiceSettings
from plumbing.text import StorableUrl
from plumbing.timers import Timer
from plumbing.web.body_limit import BodyLimit
from plumbing.web.http_errors import install_error_handlers
from plumbing.web.probes import BrokerProbe, operational_router
from plumbing.web.rate_limit import LimitWrites, RateLimiter
from plumbing.web.request_trace import TraceRequests

log = get_logger(__name__)
C = TypeVar("C", bound=BaseContext)

# Builds the service's own context from the base one, once the pool and the outbox exist.
ContextFactory = Callable[[BaseContext], C | Awaitable[C]]


def build_service(
    name: str,
    settings: ServiceSettings,
    context: ContextFactory[C],
    routers: Sequence[APIRouter],
    handlers: Events[C] | None = None,
    timers: Sequence[Timer[C]] = (),
    *,
    migrations: Path,
    clock: Clock | None = None,
    large_bodies: Mapping[str, int] | None = None,
) -> FastAPI:
    """One service's app. `context` makes its context (kept as `app.state.context`, given to the
    API through `context_dependency`, to its event handlers and to its timers); `handlers` are
    what it does with other services' events (none: it runs no consumer); `large_bodies` names
    the routes (path regex) that take more than a request's usual body: documents, statements.

    Size: the composition root wires each shared part in order; each part is a module of its own."""
    events: Events[C] = handlers if handlers is not None else Events.none()
    stack = settings.stack
    clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(name, settings.log_level)
        await migrate_service(settings.database_url, name, migrations)
        kafka = settings.kafka(name)  # the service's own principal: it writes only its topics
        relay = OutboxRelay(
            name=name,
            dsn=settings.database_url,
            kafka=kafka,
            settings=RelaySettings(
                batch_size=settings.relay_batch_size,
                sent_retention=timedelta(hours=settings.outbox_retention_hours),
                dedup_retention=timedelta(hours=settings.dedup_retention_hours),
            ),
        )
        pool = await create_pool(settings.database_url, on_outbox_written=relay.wake)
        # The topics are the deployment's (`unisettle kafka provision`): a service creates none.
        outbox = Outbox(stack.topic_prefix)
        probe = BrokerProbe(kafka)
        made = context(BaseContext(pool, outbox, clock))
        ctx: C = await made if inspect.isawaitable(made) else made
        app.state.pool, app.state.outbox, app.state.relay = pool, outbox, relay
        app.state.broker_probe, app.state.context = probe, ctx
        consumers = _consumers(name, settings, kafka, events, ctx)
        app.state.consumers = consumers
        background: list[Background] = [("relay", relay.run), *ctx.background()]
        background += [timer.loop(ctx) for timer in timers]
        background += [(f"consumer-{n}", c.run) for n, c in enumerate(consumers)]
        # What the process holds once started lives as long as it does: keep it out of the cyclic
        # collector's way, and collect young objects less often (a poll makes thousands of them).
        gc.freeze()
        gc.set_threshold(10_000, 50, 100)
        tasks = [asyncio.create_task(supervise(n, run), name=n) for n, run in background]
        log.info("service started", port=settings.http_port, consumes=[t.value for t in events.topics])
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await probe.close()
            await pool.close()
            log.info("service stopped")

    app = FastAPI(title=f"UniSettle {name}", version="0.1.0", lifespan=lifespan)
    app.state.token_codec = stack.token_codec()
    install_error_handlers(app)
    # Pure ASGI middleware, innermost first (the last added runs first): every answer is traced,
    # the URL and the body are checked before the rate limit and the route.
    limiter = RateLimiter(stack.write_rate_per_second, stack.write_burst)
    app.add_middleware(LimitWrites, limiter=limiter, codec=app.state.token_codec)
    app.add_middleware(BodyLimit, default=stack.max_request_bytes, larger=dict(large_bodies or {}))
    app.add_middleware(StorableUrl)
    app.add_middleware(TraceRequests)

    app.include_router(operational_router(name))
    app.include_router(audit_router())
    for router in routers:
        app.include_router(router)
    return app


def _consumers(
    name: str, settings: ServiceSettings, kafka: KafkaAccess, events: Events[C], ctx: C
) -> list[BatchConsumer]:
    """The service's consumer lanes. Each lane is a member of the service's consumer group with
    its own share of the partitions and its own transactions: while one lane's statements run in
    the database, another decides its poll."""
    if not events.handled:
        return []
    stack = settings.stack
    applier = events.applier(ctx)
    return [
        BatchConsumer(
            name=name,
            topics=[with_prefix(stack.topic_prefix, t.value) for t in events.topics],
            handlers=applier,
            pool=ctx.pool,
            kafka=kafka,
            outbox=ctx.outbox,
            group_id=f"{stack.topic_prefix}{name}",
            settings=ConsumerSettings(max_batch=settings.consumer_max_batch),
            lane=lane,
        )
        for lane in range(settings.consumer_lanes)
    ]


def context_dependency(kind: type[C]) -> Callable[[Request], Awaitable[C]]:
    """A FastAPI dependency answering the service's context (`kind` types it for the routes)."""

    async def dependency(request: Request) -> C:
        ctx: C = request.app.state.context
        return ctx

    dependency.__name__ = f"{kind.__name__.lower()}_context"
    return dependency


async def supervise(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Keep a background loop alive: restart it with backoff if it ever fails."""
    backoff = Backoff(maximum=30)
    while True:
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("background task failed; restarting", task=name, error=repr(exc))
            await backoff.wait()


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the app under uvicorn with our JSON logs (uvicorn's own config would replace them), on
    uvloop's event loop and httptools' HTTP parser (the C implementations)."""
    import uvicorn

    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
    )
