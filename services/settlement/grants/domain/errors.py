"""What grants and the organisation tree refuse, each with a stable code."""

from __future__ import annotations

from plumbing.errors import Conflict, NotFound, RuleViolation


class GrantNotFound(NotFound):
    code = "grant_not_found"


class GrantExists(Conflict):
    code = "grant_exists"


class BudgetBelowCommitted(Conflict):
    code = "budget_below_committed"


class GrantClosedError(Conflict):
    code = "grant_closed"


class InvalidGrant(RuleViolation):
    code = "invalid_grant"


class OrgUnitNotFound(NotFound):
    code = "org_unit_not_found"


class OrgUnitExists(Conflict):
    code = "org_unit_exists"


class NotAMonthStart(RuleViolation):
    """Membership changes take effect on a month's first day: a month's figures belong to one unit."""

    code = "not_a_month_start"


class ClosedMonth(RuleViolation):
    """A change may not take effect in a month already past: reports of past months stay as they were."""

    code = "effective_in_past_month"


class InvalidParent(RuleViolation):
    code = "invalid_parent"


class OrgUnitClosedError(Conflict):
    code = "org_unit_closed"


class OrgUnitNotEmpty(Conflict):
    code = "org_unit_not_empty"


class InvalidRules(RuleViolation):
    code = "invalid_approval_rules"
