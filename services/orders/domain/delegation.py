"""Delegation: an approver away (a dean at a conference, a PI in the field) lets another person
give the approvals they would give, for a period. The delegate acts in the delegator's role and
scope, as recorded when the delegation was made, and only while it lasts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.events.common import Actor
from plumbing.errors import RuleViolation
from services.orders.domain.approvals import Acting

LONGEST = timedelta(days=366)
# Who may hand on their approvals: the roles an approval step may ask for.
DELEGATING_ROLES = frozenset({"researcher", "unit_approver", "safety_officer", "university_finance"})


class InvalidDelegation(RuleViolation):
    code = "invalid_delegation"


@dataclass(frozen=True)
class Delegation:
    delegation_id: str
    tenant_id: str
    delegator: Actor
    delegator_unit: str | None
    delegate_id: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None = None

    def in_force(self, now: datetime) -> bool:
        return self.revoked_at is None and self.valid_from <= now < self.valid_until

    def acting(self, delegate: Actor) -> Acting:
        """The delegate, standing in for the delegator."""
        return Acting(delegate, None, self.delegator, self.delegator_unit)

    @classmethod
    def make(
        cls,
        *,
        delegation_id: str,
        tenant_id: str,
        delegator: Actor,
        delegator_unit: str | None,
        delegate_id: str,
        valid_from: datetime,
        valid_until: datetime,
        now: datetime,
    ) -> Delegation:
        if delegator.role not in DELEGATING_ROLES:
            raise InvalidDelegation(f"a {delegator.role} gives no approvals to hand on")
        if delegate_id == delegator.user_id:
            raise InvalidDelegation("a delegation is to another person")
        if valid_until <= valid_from or valid_until <= now:
            raise InvalidDelegation(
                "a delegation ends after it starts, and in the future",
                details={"valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat()},
            )
        if valid_until - valid_from > LONGEST:
            raise InvalidDelegation("a delegation lasts at most a year")
        return cls(delegation_id, tenant_id, delegator, delegator_unit, delegate_id, valid_from, valid_until)
