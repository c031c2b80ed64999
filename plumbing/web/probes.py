"""The endpoints every service answers for its operators and orchestrator: /health (alive),
/ready (database and broker answer) and /metrics (Prometheus)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from plumbing.errors import error_body
from plumbing.messaging.kafka_access import KafkaAccess


def operational_router(service: str) -> APIRouter:
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

    def __init__(self, kafka: KafkaAccess) -> None:
        self.kafka = kafka
        self._producer: AIOKafkaProducer | None = None

    async def check(self) -> None:
        if self._producer is None:
            producer = AIOKafkaProducer(**self.kafka.aiokafka(), request_timeout_ms=3000)
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
