"""Who may import whom: the shared plumbing and the contracts depend on no service, settlement's
money rules (its domain) touch no database, broker or web framework, and no service's domain —
nor the errors every domain shares — imports the web framework."""

from __future__ import annotations

import ast
from pathlib import Path

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


def test_no_domain_touches_a_database_broker_or_web_framework() -> None:
    for service in ("orders", "refunds", "settlement", "suppliers", "console"):
        forbidden = (
            "asyncpg",
            "aiokafka",
            "faust",
            "fastapi",
            "starlette",
            "httpx",
            f"services.{service}.adapters",
        )
        assert offending(f"services/{service}/domain", forbidden) == [], service


def test_the_unit_tier_needs_no_broker_database_or_running_service() -> None:
    """Unit tests read records as the Kafka client builds them (aiokafka's record classes, no
    connection), but import nothing that reaches a database, a broker or a running service."""
    forbidden = ("tests.integration", "tests.e2e", "asyncpg", "testcontainers", "confluent_kafka")
    assert offending("tests/unit", forbidden) == []


WEB = ("fastapi", "starlette")


def test_no_domain_imports_the_web_framework() -> None:
    assert offending("plumbing/errors.py", WEB) == []
    for service in ("orders", "refunds", "settlement", "suppliers"):
        assert offending(f"services/{service}/domain", WEB) == []
