"""FastAPI dependencies for auth: `CurrentPrincipal`, and `require_roles(...)` for a route. They
are coroutines: FastAPI runs a plain function dependency in a worker thread, a hop per request.

Every dependency that admits some roles says so with `admits`, so the roles of each route can be
read from the app (`route_roles`) and tests can check every route without a list kept by hand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from plumbing.errors import Forbidden, Unauthenticated
from plumbing.web.auth import Principal, Role, TokenCodec

_bearer = HTTPBearer(auto_error=False)
_ROLES = "unisettle_admits"
F = TypeVar("F", bound=Callable[..., Any])


def admits(*roles: Role) -> Callable[[F], F]:
    """Declare the roles a dependency lets through (it must still check them itself)."""

    def mark(dependency: F) -> F:
        setattr(dependency, _ROLES, frozenset(roles))
        return dependency

    return mark


def route_roles(dependant: Dependant) -> frozenset[Role] | None:
    """The roles a route admits: what every role rule among its dependencies lets through, or
    None when it has no role rule at all."""
    found: frozenset[Role] | None = None
    pending = [dependant]
    while pending:
        current = pending.pop()
        roles = getattr(current.call, _ROLES, None)
        if roles is not None:
            found = roles if found is None else found & roles
        pending.extend(current.dependencies)
    return found


def _codec(request: Request) -> TokenCodec:
    codec: TokenCodec = request.app.state.token_codec
    return codec


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if len(request.headers.getlist("authorization")) > 1:
        # which of them a proxy or a framework would read differs: none is believed
        raise Unauthenticated("one Authorization header, not several")
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("a bearer token is required")
    return _codec(request).verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only the given roles: `Annotated[Principal, Depends(require_roles(...))]`."""
    allowed = frozenset(roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                f"role {principal.role.value!r} may not do this",
                details={"allowed_roles": sorted(r.value for r in allowed)},
            )
        return principal

    return admits(*roles)(check)


def require_tenant(principal: Principal, tenant_id: str) -> None:
    """Platform operations see every university; everyone else only their own."""
    if principal.role is not Role.PLATFORM_OPS and principal.tenant_id != tenant_id:
        raise Forbidden("this belongs to another university", code="other_tenant")
