"""Bearer-token auth: JWTs (HS256, PyJWT) whose claims carry the role and the scope.

Claims: `sub`, `role`, `tenant` (the university), and where they apply `supplier_id`,
`grant_ids` and `org_unit` (a finance officer or unit approver of one school, department or lab:
they see that unit and everything below it). Services check role and scope through the
dependencies in `plumbing.web.auth_deps`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

from contracts.events.common import Actor
from plumbing.errors import Unauthenticated

# The tenant of what belongs to no one university: suppliers (they serve every university),
# payouts, platform operations.
PLATFORM_TENANT = "platform"


class Role(StrEnum):
    RESEARCHER = "researcher"
    LAB_MEMBER = "lab_member"
    # Receives goods for a university or one of its units (a lab's or a school's stores): may
    # record receipts of the orders in its scope, as the requester and the grant's lab may.
    RECEIVER = "receiver"
    SAFETY_OFFICER = "safety_officer"
    UNIVERSITY_FINANCE = "university_finance"
    UNIT_APPROVER = "unit_approver"  # a dean or department head: approves for one unit
    SUPPLIER = "supplier"
    PLATFORM_OPS = "platform_ops"
    # The platform's staff who reconcile the escrow bank account: statements, the suspense queue
    # and its write-offs. Who pays (platform_ops runs payouts) is not who writes off.
    RECONCILIATION = "reconciliation_officer"
    INTEGRATION = "integration"


# The roles whose tokens may be scoped to an org unit.
SCOPED_ROLES = frozenset({Role.UNIVERSITY_FINANCE, Role.UNIT_APPROVER, Role.RECEIVER})


@dataclass(frozen=True)
class Principal:
    """Who is calling, as proven by a verified token."""

    subject: str
    role: Role
    tenant_id: str
    supplier_id: str | None = None
    grant_ids: tuple[str, ...] = field(default_factory=tuple)
    org_unit_id: str | None = None  # the unit the principal acts for (None: the whole university)

    @property
    def actor(self) -> Actor:
        """Who acted, as events and the audit trail name them."""
        return Actor(user_id=self.subject, role=self.role.value)


class TokenCodec:
    """Issues and verifies tokens. A verified token is remembered until it expires (at most
    `remember` tokens, the least recently used forgotten first), so a request — or a client's
    next one — does not verify the same signature again; a token that fails is never remembered."""

    def __init__(
        self,
        secret: str,
        *,
        issuer: str = "unisettle",
        audience: str = "unisettle",
        remember: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret must be at least 32 characters")
        self._secret = secret
        self.issuer = issuer
        self.audience = audience
        self._remember = remember
        self._clock = clock
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def issue(
        self, principal: Principal, ttl: timedelta = timedelta(hours=1), now: datetime | None = None
    ) -> str:
        issued = now or datetime.now(UTC)
        claims: dict[str, object] = {
            "sub": principal.subject,
            "role": principal.role.value,
            "tenant": principal.tenant_id,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(issued.timestamp()),
            "exp": int((issued + ttl).timestamp()),
        }
        if principal.supplier_id:
            claims["supplier_id"] = principal.supplier_id
        if principal.grant_ids:
            claims["grant_ids"] = list(principal.grant_ids)
        if principal.org_unit_id:
            claims["org_unit"] = principal.org_unit_id
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; Unauthenticated with a precise code otherwise."""
        known = self._verified.get(token)
        if known is not None:
            principal, expires = known
            if self._clock() < expires:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, expires = self._verify(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self._remember:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=self.audience,
                issuer=self.issuer,
                # expiry is checked below against the codec's clock (tests move it; production's
                # is the system's)
                options={"require": ["sub", "exp", "iat", "aud", "iss"], "verify_exp": False},
            )
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated("the token is for another audience", code="invalid_token") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("the token is not valid", code="invalid_token") from exc
        expires = claims["exp"]
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise Unauthenticated("the token's expiry is not a time", code="invalid_token")
        if expires <= self._clock():
            raise Unauthenticated("the token has expired", code="token_expired")
        try:
            role = Role(str(claims.get("role")))
        except ValueError as exc:
            raise Unauthenticated("the token has no known role", code="invalid_token") from exc
        tenant = claims.get("tenant")
        if not isinstance(tenant, str) or not tenant:
            raise Unauthenticated("the token names no university", code="invalid_token")
        supplier_id = claims.get("supplier_id")
        if role is Role.SUPPLIER and not supplier_id:
            raise Unauthenticated("a supplier token must name its supplier", code="invalid_token")
        grant_ids = claims.get("grant_ids") or []
        org_unit = claims.get("org_unit")
        if org_unit is not None and (
            not isinstance(org_unit, str) or not org_unit or role not in SCOPED_ROLES
        ):
            raise Unauthenticated(
                "only a finance officer's or unit approver's token names an org unit", code="invalid_token"
            )
        if role is Role.UNIT_APPROVER and not org_unit:
            raise Unauthenticated("a unit approver's token must name its unit", code="invalid_token")
        principal = Principal(
            subject=str(claims["sub"]),
            role=role,
            tenant_id=tenant,
            supplier_id=str(supplier_id) if supplier_id else None,
            grant_ids=tuple(str(g) for g in grant_ids),
            org_unit_id=org_unit,
        )
        return principal, float(claims["exp"])
