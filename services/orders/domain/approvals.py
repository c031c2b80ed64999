"""Which approvals an order waits for, in which order, and who may give each.

Steps come from the grant (its own threshold and lab members' purchases: the PI), then from the
approval rules of the units above the grant, nearest first (a lab's PI rule before a school's
dean), then the university's own rule for hazardous items (a safety officer). A step that would
ask the same approver as an earlier one is left out. When the PI is the buyer, what would ask the
PI asks the university's finance office instead. Steps are given in order.

Whoever gives a step acts as themself or, through a delegation in force, as the approver who
delegated to them; no one gives a step on an order they requested, nor on behalf of its requester.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.events.common import Actor
from contracts.events.orders import ApprovalReason, ApprovalStep, OrderLine
from contracts.events.organisation import ApprovalRule, Approver, ItemKind
from contracts.money import yuan
from plumbing.org.tree import Unit


@dataclass(frozen=True)
class Acting:
    """Someone giving an approval: themself (`actor`, in their role and scope), or — through a
    delegation — standing in for `on_behalf_of` in that person's role and scope."""

    actor: Actor
    org_unit_id: str | None = None
    on_behalf_of: Actor | None = None
    on_behalf_unit: str | None = None

    @property
    def as_who(self) -> Actor:
        return self.on_behalf_of or self.actor

    @property
    def scope(self) -> str | None:
        return self.on_behalf_unit if self.on_behalf_of else self.org_unit_id


def may_give(who: Acting, step: ApprovalStep, pi_id: str) -> bool:
    role, user = who.as_who.role, who.as_who.user_id
    if step.approver is Approver.PRINCIPAL_INVESTIGATOR:
        return role == "researcher" and user == pi_id
    if step.approver is Approver.UNIVERSITY_FINANCE:
        return role == "university_finance" and (who.scope is None or who.scope in step.scope_units)
    if step.approver is Approver.UNIT_APPROVER:
        return role == "unit_approver" and who.scope in step.scope_units
    return role == "safety_officer"


def _grant_step(reason: ApprovalReason, buyer_is_pi: bool, path: Sequence[str], rule: str) -> ApprovalStep:
    return _step(reason.value, reason, Approver.PRINCIPAL_INVESTIGATOR, buyer_is_pi, path, None, rule)


def _step(
    key: str,
    reason: ApprovalReason,
    approver: Approver,
    buyer_is_pi: bool,
    path: Sequence[str],
    unit_id: str | None,
    rule: str,
) -> ApprovalStep:
    if approver is Approver.PRINCIPAL_INVESTIGATOR and buyer_is_pi:
        approver, rule = Approver.UNIVERSITY_FINANCE, f"{rule} (the PI is the buyer)"
    scope: list[str] = []
    if approver is Approver.UNIVERSITY_FINANCE:
        scope = list(path)
    elif approver is Approver.UNIT_APPROVER and unit_id is not None:
        scope = [unit_id]
    return ApprovalStep(
        key=key, reason=reason, approver=approver, scope_units=scope, unit_id=unit_id, rule=rule
    )


def builtin_step(reason: ApprovalReason, buyer_is_pi: bool, path: Sequence[str] = ()) -> ApprovalStep:
    """The step the grant or the university asks for `reason`."""
    if reason is ApprovalReason.HAZARDOUS_ITEM:
        return _step(reason.value, reason, Approver.SAFETY_OFFICER, False, path, None, "hazardous items")
    words = (
        "a lab member's purchase" if reason is ApprovalReason.LAB_MEMBER_PURCHASE else "the grant's threshold"
    )
    return _grant_step(reason, buyer_is_pi, path, words)


def _applies(rule: ApprovalRule, total: int, lines: Sequence[OrderLine]) -> bool:
    if total <= rule.above_minor or (rule.up_to_minor is not None and total > rule.up_to_minor):
        return False
    if rule.item_kind is ItemKind.ANY:
        return True
    if rule.item_kind is ItemKind.HAZARDOUS:
        return any(line.hazardous for line in lines)
    return any(line.category.value == rule.item_kind.value for line in lines)


def describe(unit: Unit, rule: ApprovalRule) -> str:
    band = f"above {yuan(rule.above_minor)}" if rule.above_minor else "any amount"
    if rule.up_to_minor is not None:
        band += f" up to {yuan(rule.up_to_minor)}"
    kind = "" if rule.item_kind is ItemKind.ANY else f", {rule.item_kind.value} items"
    return f"{unit.code}/{rule.key}: {rule.approver.value}, {band}{kind}"


def steps(
    *,
    total: int,
    lines: Sequence[OrderLine],
    buyer: Actor,
    pi_id: str,
    grant_threshold_minor: int,
    rules: Sequence[tuple[Unit, ApprovalRule]] = (),
    path: Sequence[str] = (),
) -> list[ApprovalStep]:
    """The approvals an order waits for, in the order they are given."""
    buyer_is_pi = buyer.user_id == pi_id
    found: list[ApprovalStep] = []
    if grant_threshold_minor > 0 and total >= grant_threshold_minor:
        found.append(builtin_step(ApprovalReason.OVER_THRESHOLD, buyer_is_pi, path))
    if buyer.role == "lab_member":
        found.append(builtin_step(ApprovalReason.LAB_MEMBER_PURCHASE, buyer_is_pi, path))
    for unit, rule in rules:
        if _applies(rule, total, lines):
            found.append(
                _step(
                    f"{unit.code}/{rule.key}",
                    ApprovalReason.UNIT_RULE,
                    rule.approver,
                    buyer_is_pi,
                    path,
                    unit.unit_id,
                    describe(unit, rule),
                )
            )
    if any(line.hazardous for line in lines):
        found.append(builtin_step(ApprovalReason.HAZARDOUS_ITEM, buyer_is_pi, path))
    kept: list[ApprovalStep] = []
    for step in found:
        same = [k for k in kept if (k.approver, k.scope_units) == (step.approver, step.scope_units)]
        if not same or step.reason is ApprovalReason.LAB_MEMBER_PURCHASE:
            kept.append(step)
    return kept
