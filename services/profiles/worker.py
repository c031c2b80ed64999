"""The supplier-profile worker on faust: agents route each event's fact to its supplier, tables
keep the facts by supplier and day, and a page computes the profile when it is asked for.

Topology (every name carries the deployment's prefix):

    orders.events, refunds.events, settlement.events       (keyed by grant / aggregate)
        │  route: the event's fact; an order's supplier and day from `orders` (an order's
        │  events share its grant's partition, so its index entry is always local)
        ▼
    profiles.facts                                          (keyed by supplier)
        │  accumulate: the fact applied to its order's or payout's facts in `days`
        ▼
    days["SUP-004|2026-12-02"] = {"orders": {order id: facts}, "payouts": {payout id: facts}}
    suppliers["SUP-004"] = the days it has facts for (older than the retention are dropped)

Exactly-once in effect: a fact sets what its event says (figures.apply), so an event applied
twice — redelivered after a crash, or replayed — leaves the same facts. faust flushes the
changelog and the facts it sent before committing a source offset, so a SIGKILL loses nothing:
the tables are read back from their changelogs and uncommitted events applied again. An event
the router cannot read or apply is dead-lettered (plumbing.messaging.streams), like every consumer's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import faust
from aiokafka.errors import KafkaError
from faust.exceptions import SameNode
from faust.web.exceptions import ServiceUnavailable

from contracts.topics import Topic, dead_letter_topic, with_prefix
from plumbing.messaging.delivery import Delivery, PoisonEvent
from plumbing.messaging.streams import guarded_agent, stream_app
from plumbing.ops.logs import get_logger
from services.profiles import figures
from services.profiles.config import ProfilesSettings
from services.profiles.facts import OrderFact, PayoutFact, contradiction, fact_of, known_order

log = get_logger(__name__)
FACTS = "facts"
SOURCES = (Topic.ORDERS_EVENTS, Topic.REFUNDS_EVENTS, Topic.SETTLEMENT_EVENTS)


def subscribed_topics(settings: ProfilesSettings) -> list[str]:
    """The worker's own topics (the facts its agents read, and where their poison goes), declared
    with its changelogs before it starts (plumbing.messaging.streams.declare_topics)."""
    facts = with_prefix(settings.stack.topic_prefix, f"{settings.app_name}.{FACTS}")
    return [facts, dead_letter_topic(facts)]


def build(settings: ProfilesSettings) -> faust.App:  # noqa: C901, PLR0915 - see below
    """The worker's app. Size: one function, long on purpose: faust binds agents, tables and pages to the
    app they are declared on, so they are declared here, each a small closure over the app's
    tables; split apart, each piece would need the app and every table passed to it."""
    prefix = settings.stack.topic_prefix
    app = stream_app(
        settings.app_name,
        settings.stack,
        kafka=settings.kafka(),
        datadir=str(settings.datadir),
        web_enabled=True,
        web_bind=settings.http_host,
        web_port=settings.http_port,
        web_host=settings.http_host,
        key_serializer="json",
        value_serializer="json",
        topic_disable_leader=True,  # nothing runs on a leader only
    )
    index = app.Table("orders", default=None, help="order id → its supplier, day and early facts")
    days = app.Table("days", default=None, help="supplier|day → the facts of its orders and payouts")
    suppliers = app.Table("suppliers", default=None, help="supplier → the days it has facts for")
    facts_name, facts_dlq_name = subscribed_topics(settings)
    facts_topic = app.topic(facts_name, internal=True)
    facts_dlq = app.topic(facts_dlq_name, internal=True)

    async def forward(supplier: str, day: str, kind: str, item_id: str, fact: dict[str, Any]) -> None:
        value = {"supplier": supplier, "day": day, "of": kind, "id": item_id, "fact": fact}
        await facts_topic.send(key=supplier, value=value)

    async def route(delivery: Delivery) -> None:
        found = fact_of(delivery)
        if isinstance(found, PayoutFact):
            fact = found.fact
            await forward(found.supplier_id, fact["at"][:10], "payout", fact["payout_id"], fact)
        elif isinstance(found, OrderFact):
            await route_order(found)

    async def route_order(found: OrderFact) -> None:
        known: dict[str, Any] = index.get(found.order_id) or {}
        if "day" in known:
            refused = contradiction(known, found)
            if refused is not None:
                raise PoisonEvent(*refused)
        if found.fact["kind"] == "placed":
            assert found.supplier_id is not None
            if "day" in known:  # a replay: sent again, as a crash may have lost the first send
                await forward(found.supplier_id, known["day"], "order", found.order_id, found.fact)
                return
            entry = known_order(found)
            early = [_pending(found.order_id, item) for item in known.get("pending", ())]
            kept = [p for p in early if not _refused_later(entry, p)]
            index[found.order_id] = entry
            for fact in (found.fact, *(p.fact for p in kept)):
                await forward(found.supplier_id, entry["day"], "order", found.order_id, fact)
        elif "day" in known:
            if found.fact["kind"] == "refund_requested":
                refunds = {**known.get("refunds", {}), found.fact["refund_id"]: found.fact["amount_minor"]}
                index[found.order_id] = {**known, "refunds": refunds}
            await forward(known["supplier"], known["day"], "order", found.order_id, found.fact)
        else:  # read before its order's placement (topics are read side by side): kept until then
            pending = list(known.get("pending", ()))
            if [found.fact, found.university] not in pending:
                index[found.order_id] = {"pending": [*pending, [found.fact, found.university]]}

    def _pending(order_id: str, item: Any) -> OrderFact:
        """A fact kept until its order's placement: [fact, university] (a bare fact before the
        university was kept with it)."""
        fact, university = (item, None) if isinstance(item, dict) else item
        return OrderFact(order_id, None, fact, university)

    def _refused_later(entry: dict[str, Any], pending: OrderFact) -> bool:
        """A fact read before its order's placement, checked once the placement is known: one that
        contradicts it is dropped (its record is long committed, so it is logged, not dead-lettered)."""
        refused = contradiction(entry, pending)
        if refused is not None:
            log.warning(
                "a fact read before its order contradicts it", order_id=pending.order_id, reason=refused[1]
            )
            return True
        if pending.fact["kind"] == "refund_requested":
            entry["refunds"][pending.fact["refund_id"]] = pending.fact["amount_minor"]
        return False

    for topic in SOURCES:
        guarded_agent(app, with_prefix(prefix, topic.value), route, name=f"profiles-{topic.name.lower()}")

    @app.agent(facts_topic, name="profiles-accumulate", concurrency=1)
    async def accumulate(stream: Any) -> None:
        async for value in stream:
            try:
                keep(value)
            except Exception as exc:  # noqa: BLE001 - never escapes the agent (plumbing.messaging.streams)
                log.warning("profile fact dead-lettered", error=repr(exc))
                await (await facts_dlq.send(value={"fact": value, "reason": repr(exc)}))

    def keep(value: dict[str, Any]) -> None:
        supplier, day = value["supplier"], value["day"]
        date.fromisoformat(day)
        key = f"{supplier}|{day}"
        bucket = dict(days.get(key) or {"orders": {}, "payouts": {}})
        if value["of"] == "order":
            orders = dict(bucket["orders"])
            orders[value["id"]] = figures.apply(orders.get(value["id"], {}), value["fact"])
            bucket["orders"] = orders
        else:
            payouts = dict(bucket["payouts"])
            payouts[value["id"]] = figures.apply_payout(payouts.get(value["id"], {}), value["fact"])
            bucket["payouts"] = payouts
        days[key] = bucket
        oldest = (datetime.now(UTC).date() - timedelta(days=settings.retention_days)).isoformat()
        known = sorted({*(suppliers.get(supplier) or []), day})
        for old in (d for d in known if d < oldest):
            days.pop(f"{supplier}|{old}", None)
        suppliers[supplier] = [d for d in known if d >= oldest]

    @app.page("/profiles/{supplier}/")
    async def profile(web: Any, request: Any, supplier: str) -> Any:
        """The supplier's profile, from the worker that holds its partition (faust's router)."""
        if not ready():
            return web.json({"error": {"code": "profile_recovering", "message": "recovering"}}, status=503)
        try:
            await routable()
            return await app.router.route_req(suppliers.name, supplier, web, request)
        except SameNode:
            return computed(web, request, supplier)
        except (KafkaError, ServiceUnavailable) as exc:
            body = {"error": {"code": "profile_unroutable", "message": f"no worker known yet: {exc!r}"}}
            return web.json(body, status=503)

    async def routable() -> None:
        """The router hashes a key with the producer's view of the table's changelog partitions,
        which a producer only keeps for the topics it has written to (or, before its first write,
        fetched everything): until this worker writes a supplier it may not know that topic, and
        asking for its partitions fetches them."""
        producer = app.producer._ensure_producer()  # type: ignore[attr-defined]
        await producer.partitions_for(suppliers.changelog_topic.get_topic_name())

    def computed(web: Any, request: Any, supplier: str) -> Any:
        orders: list[figures.Facts] = []
        payouts: list[figures.Facts] = []
        for day in suppliers.get(supplier) or []:
            bucket = days.get(f"{supplier}|{day}") or {}
            orders.extend(bucket.get("orders", {}).values())
            payouts.extend(bucket.get("payouts", {}).values())
        try:
            now = moment(request.query.get("at"))
        except ValueError:
            body = {"error": {"code": "invalid_at", "message": "`at` is an ISO 8601 time with its offset"}}
            return web.json(body, status=400)
        body = figures.profile(supplier, orders, payouts, now=now, university=request.query.get("university"))
        return web.json(body)

    @app.page("/ready")
    async def readiness(web: Any, request: Any) -> Any:
        return web.json({"ready": ready()}, status=200 if ready() else 503)

    def ready() -> bool:
        recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
        return bool(recovered and not app.rebalancing)

    return app


def moment(text: str | None) -> datetime | None:
    """The `at` a profile is asked for (now when not given); a time without its offset is refused."""
    if not text:
        return None
    found = datetime.fromisoformat(text)
    if found.tzinfo is None:
        raise ValueError(f"{text!r} has no offset")
    return found
