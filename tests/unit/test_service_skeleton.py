"""Every service has the one skeleton of docs/architecture.md: the same files for the same ideas,
a context extending the base one, its event tables keyed by contract classes from other services,
and a `main.py` that composes through `build_service` only."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from contracts.access import STREAMS
from contracts.registry import REGISTRY
from contracts.topics import CONSUMERS, OWNERS, Topic
from plumbing.context import BaseContext
from plumbing.messaging.appliers import Events
from plumbing.timers import Timer

ROOT = Path(__file__).resolve().parents[2]
# stream workers (faust) have a shape of their own: settings, the worker's topology, its facts
SERVICES = sorted(
    p.name for p in (ROOT / "services").iterdir() if (p / "main.py").exists() and p.name not in STREAMS
)
LAYERS = ["domain", "commands", "adapters", "api"]
SKELETON = [
    "migrations",
    "events.py",
    "timers.py",
    "context.py",
    "config.py",
    "main.py",
]


def test_the_five_services_and_the_console_are_found() -> None:
    assert SERVICES == ["console", "invoices", "orders", "refunds", "settlement", "suppliers"]


@pytest.mark.parametrize("worker", sorted(STREAMS))
def test_every_stream_worker_has_its_settings_topology_and_entry_point(worker: str) -> None:
    home = ROOT / "services" / worker
    assert [part for part in ("config.py", "worker.py", "main.py") if not (home / part).exists()] == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_layout(service: str) -> None:
    """A service of one feature has the layer folders at its root; a service of several (ADR 0010)
    has a package per feature holding that feature's layers, and no layer folder at its root."""
    home = ROOT / "services" / service
    missing = [part for part in SKELETON if not (home / part).exists()]
    assert missing == []
    assert not (home / "handlers.py").exists()
    features = [
        d.name for d in home.iterdir() if d.is_dir() and any((d / layer).is_dir() for layer in LAYERS)
    ]
    at_root = [layer for layer in LAYERS if (home / layer).exists()]
    assert (features, at_root) in (([], LAYERS), (features, [])), (features, at_root)
    for feature in features:
        assert [f for f in (home / feature).iterdir() if f.suffix == ".py" and f.name != "__init__.py"] == []


def test_settlement_is_grouped_by_feature() -> None:
    home = ROOT / "services" / "settlement"
    assert sorted(d.name for d in home.iterdir() if (d / "__init__.py").exists()) == [
        "books",
        "checks",
        "early_payment",
        "grants",
        "invoice_cover",
        "ledger",
        "money_path",
        "payouts",
        "reconciliation",
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_context_events_and_timers_are_the_shared_kinds(service: str) -> None:
    context = importlib.import_module(f"services.{service}.context")
    events = importlib.import_module(f"services.{service}.events")
    timers = importlib.import_module(f"services.{service}.timers")
    assert issubclass(context.Context, BaseContext)
    assert isinstance(events.EVENTS, Events)
    assert all(isinstance(t, Timer) for t in timers.timers(1))


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_handles_registered_events_of_other_services(service: str) -> None:
    handled = importlib.import_module(f"services.{service}.events").EVENTS.handled
    registered = set(REGISTRY)
    assert [e.event_type for e in handled if e not in registered] == []
    assert [e.event_type for e in handled if e.topic.value == f"{service}.events"] == []


@pytest.mark.parametrize("service", SERVICES)
def test_main_only_composes_through_build_service(service: str) -> None:
    tree = ast.parse((ROOT / "services" / service / "main.py").read_text())
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert "build_service" in called
    assert not called & {"FastAPI", "BatchConsumer", "OutboxRelay", "create_pool"}


def test_the_topic_registry_names_the_consumers_the_services_declare() -> None:
    declared: dict[Topic, set[str]] = {topic: set() for topic in Topic}
    for service in SERVICES:
        for topic in importlib.import_module(f"services.{service}.events").EVENTS.topics:
            declared[topic].add(service)
    assert declared == {topic: set(CONSUMERS[topic]) for topic in Topic}
    assert set(OWNERS) == set(Topic)
