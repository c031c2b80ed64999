"""FastAPI dependencies for auth: `CurrentPrincipal`, and `require_roles(...)` for a route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from plumbing.auth import Principal, Role, TokenCodec
from plumbing.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False)


def _codec(request: Request) -> TokenCodec:
    codec: TokenCodec = request.app.state.token_codec
    return codec


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("a bearer token is required")
    return _codec(request).verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits only the given roles: `Annotated[Principal, Depends(require_roles(...))]`."""
    allowed = frozenset(roles)

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                f"role {principal.role.value!r} may not do this",
                details={"allowed_roles": sorted(r.value for r in allowed)},
            )
        return principal

    return check


def require_tenant(principal: Principal, tenant_id: str) -> None:
    """Platform operations see every university; everyone else only their own."""
    if principal.role is not Role.PLATFORM_OPS and principal.tenant_id != tenant_id:
        raise Forbidden("this belongs to another university", code="other_tenant")
