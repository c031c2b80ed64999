"""The runtime every service shares: migrations, pool, outbox relay, consumers, and the
/health, /ready and /metrics endpoints, wired from one ServiceSpec."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from contracts.topics import Topic, with_prefix
from plumbing.appliers import Applier
from plumbing.audit import audit_router
from plumbing.body_limit import BodyLimit
from plumbing.consumer import BatchConsumer, ConsumerSettings
from plumbing.db import create_pool, migrate_service
from plumbing.delivery import Handler
from plumbing.errors import error_body
from plumbing.http_errors import install_error_handlers
from plumbing.logs import configure_logging, get_logger
from plumbing.outbox import Outbox
from plumbing.rate_limit import LimitWrites, RateLimiter
from plumbing.relay import OutboxRelay, RelaySettings
from plumbing.request_trace import TraceRequests
from plumbing.retry import Backoff
from plumbing.settings import ServiceSettings
from plumbing.text import StorableUrl
from plumbing.topic_admin import ensure_topics, service_topics

log = get_logger(__name__)


Background = tuple[str, Callable[[], Awaitable[None]]]


@dataclass
class ServiceSpec:
    name: str
    settings: ServiceSettings
    migrations: Path
    consumes: Sequence[Topic] = ()
    # Event handlers (or an applier of whole polls), or a function of the app building them once
    # setup has run.
    handlers: Mapping[str, Handler] | Callable[[FastAPI], Mapping[str, Handler] | Applier] = field(
        default_factory=dict
    )
    routers: Sequence[APIRouter] = ()
    # Called once the pool and outbox exist (app.state.pool, app.state.outbox): builds the
    # service's own state and returns its background loops (timers, scheduled checks).
    setup: Callable[[FastAPI], Awaitable[Sequence[Background]]] | None = None
    # Routes (path regex) that take more than a request's usual body: documents, statements.
    large_bodies: Mapping[str, int] = field(default_factory=dict)


def drain_loop(name: str, step: Callable[[], Awaitable[int]], idle_seconds: float) -> Background:
    """A background loop that repeats `step` while it finds work (it returns how much it did)
    and sleeps `idle_seconds` when it finds none — e.g. firing deadlines that have passed."""

    async def run() -> None:
        while True:
            done = await step()
            if done:
                log.info("background work done", task=name, count=done)
            else:
                await asyncio.sleep(idle_seconds)

    return name, run


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


def create_app(spec: ServiceSpec) -> FastAPI:
    settings = spec.settings
    stack = settings.stack

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name, settings.log_level)
        await migrate_service(settings.database_url, spec.name, spec.migrations)
        relay = OutboxRelay(
            name=spec.name,
            dsn=settings.database_url,
            bootstrap_servers=stack.kafka_bootstrap_servers,
            settings=RelaySettings(
                batch_size=settings.relay_batch_size,
                sent_retention=timedelta(hours=settings.outbox_retention_hours),
                dedup_retention=timedelta(hours=settings.dedup_retention_hours),
            ),
        )
        pool = await create_pool(settings.database_url, on_outbox_written=relay.wake)
        await ensure_topics(stack.kafka_bootstrap_servers, service_topics(stack.topic_prefix, Topic))
        outbox = Outbox(stack.topic_prefix)
        probe = BrokerProbe(stack.kafka_bootstrap_servers)
        app.state.pool = pool
        app.state.outbox = outbox
        app.state.relay = relay
        app.state.broker_probe = probe
        background: list[Background] = [("relay", relay.run)]
        if spec.setup is not None:
            background += await spec.setup(app)
        applier = spec.handlers if isinstance(spec.handlers, Mapping) else spec.handlers(app)
        # Each lane is a member of the service's consumer group with its own share of the
        # partitions and its own transactions: while one lane's statements run in the database,
        # another decides its poll.
        consumers = [
            BatchConsumer(
                name=spec.name,
                topics=[with_prefix(stack.topic_prefix, t.value) for t in spec.consumes],
                handlers=applier,
                pool=pool,
                bootstrap_servers=stack.kafka_bootstrap_servers,
                outbox=outbox,
                group_id=f"{stack.topic_prefix}{spec.name}",
                settings=ConsumerSettings(max_batch=settings.consumer_max_batch),
                lane=lane,
            )
            for lane in range(settings.consumer_lanes)
        ]
        app.state.consumers = consumers
        if spec.consumes:
            background += [(f"consumer-{n}", c.run) for n, c in enumerate(consumers)]
        # What the process holds once started lives as long as it does: keep it out of the cyclic
        # collector's way, and collect young objects less often (a poll makes thousands of them).
        gc.freeze()
        gc.set_threshold(10_000, 50, 100)
        tasks = [asyncio.create_task(supervise(name, run), name=name) for name, run in background]
        log.info("service started", port=settings.http_port, consumes=[t.value for t in spec.consumes])
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

    app = FastAPI(
        title=f"UniSettle {spec.name}",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.token_codec = stack.token_codec()
    install_error_handlers(app)
    # Pure ASGI middleware, innermost first (the last added runs first): every answer is traced,
    # the URL and the body are checked before the rate limit and the route.
    limiter = RateLimiter(stack.write_rate_per_second, stack.write_burst)
    app.add_middleware(LimitWrites, limiter=limiter, codec=app.state.token_codec)
    app.add_middleware(BodyLimit, default=stack.max_request_bytes, larger=spec.large_bodies)
    app.add_middleware(StorableUrl)
    app.add_middleware(TraceRequests)

    app.include_router(_operational_router(spec.name))
    app.include_router(audit_router())
    for router in spec.routers:
        app.include_router(router)
    return app


def _operational_router(service: str) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health")
    async def health() -> dict[str, str]:
        """Alive: the process answers."""
        return {"status": "ok", "service": service}

    @router.get("/ready")
    async def ready(request: Request) -> JSONResponse:
        """Ready: the database answers `select 1` and the broker answers a metadata request."""
        checks: dict[str, str] = {}
        try:
            async with request.app.state.pool.acquire(timeout=2) as conn:
                await conn.fetchval("select 1")
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            await asyncio.wait_for(request.app.state.broker_probe.check(), 3)
            checks["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["broker"] = f"unreachable: {type(exc).__name__}"
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ready", "service": service, "checks": checks})
        body = error_body("not_ready", "a dependency is unreachable", checks)
        return JSONResponse(body, status_code=503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class BrokerProbe:
    """Answers whether the broker serves metadata now; connects lazily, reconnects after failure."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self._producer: AIOKafkaProducer | None = None

    async def check(self) -> None:
        if self._producer is None:
            producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=3000)
            try:
                await producer.start()
            except Exception:
                await producer.stop()
                raise
            self._producer = producer
        try:
            await self._producer.client.fetch_all_metadata()
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()


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
