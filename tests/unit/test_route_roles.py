"""Every route of every service says which roles it admits, read from the app itself: a new
endpoint without a role rule fails here (and the end-to-end suite then tries every other role
against it)."""

from __future__ import annotations

from plumbing.web.auth import Role
from plumbing.web.auth_deps import route_roles
from tests.apps import PUBLIC, operations, service_apps


def test_every_route_declares_the_roles_it_admits() -> None:
    checked, undeclared = 0, []
    for name, app in service_apps().items():
        for op in operations(app):
            if op.path not in PUBLIC:
                checked += 1
                if not route_roles(op.dependant):
                    undeclared.append(f"{name} {op.method} {op.path}")
    assert undeclared == []
    assert checked >= 55  # the routes were found (55 operations when this was written)


def test_role_rules_are_read_through_nested_dependencies() -> None:
    roles = {
        (op.method, op.path): route_roles(op.dependant) for op in operations(service_apps()["suppliers"])
    }
    assert roles[("PUT", "/v1/suppliers/{supplier_id}/bank-account")] == frozenset({Role.SUPPLIER})
    assert roles[("POST", "/v1/suppliers/{supplier_id}/approve")] == frozenset({Role.PLATFORM_OPS})
    readers = frozenset({Role.PLATFORM_OPS, Role.INTEGRATION, Role.SUPPLIER})
    assert roles[("GET", "/v1/suppliers/{supplier_id}")] == readers
    assert roles[("GET", "/health")] is None
