"""Who may import whom: the shared plumbing and the contracts depend on no service, settlement's
money rules (its domain) touch no database, broker or web framework, and no service's domain —
nor the errors every domain shares — imports the web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def offending(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in ([ROOT / package] if package.endswith(".py") else sorted((ROOT / package).rglob("*.py")))
        for name in sorted(imports(path))
        if name.split(".")[0] in forbidden or any(name.startswith(f"{f}.") or name == f for f in forbidden)
    ]


def test_plumbing_and_contracts_depend_on_no_service() -> None:
    assert offending("plumbing", ("services", "cli")) == []
    assert offending("contracts", ("services", "cli", "plumbing")) == []


DOMAINS = sorted(str(d.relative_to(ROOT)) for d in (ROOT / "services").glob("**/domain"))


def test_every_feature_s_domain_is_found() -> None:
    assert "services/settlement/money_path/domain" in DOMAINS
    assert "services/orders/domain" in DOMAINS


@pytest.mark.parametrize("domain", DOMAINS)
def test_no_domain_touches_a_database_broker_web_framework_or_an_outer_layer(domain: str) -> None:
    """A domain (a feature's pure rules) imports no driver, framework or client, and nothing of a
    service's adapters, commands or API — its own feature's or another's."""
    forbidden = ("asyncpg", "aiokafka", "faust", "fastapi", "starlette", "httpx")
    assert offending(domain, forbidden) == []
    outer = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / domain).rglob("*.py"))
        for name in sorted(imports(path))
        if name.startswith("services.") and {"adapters", "commands", "api"} & set(name.split("."))
    ]
    assert outer == []


def test_the_unit_tier_needs_no_broker_database_or_running_service() -> None:
    """Unit tests read records as the Kafka client builds them (aiokafka's record classes, no
    connection), but import nothing that reaches a database, a broker or a running service."""
    forbidden = ("tests.integration", "tests.e2e", "asyncpg", "testcontainers", "confluent_kafka")
    assert offending("tests/unit", forbidden) == []


WEB = ("fastapi", "starlette")


def test_the_shared_errors_import_no_web_framework() -> None:
    assert offending("plumbing/errors.py", WEB) == []
