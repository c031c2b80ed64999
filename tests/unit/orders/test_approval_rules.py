"""Approval rules that follow the organisation tree: which steps an order waits for, in which
order, inherited and overridden down the tree; who may give each — themself or as a delegate —
and never the requester."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from contracts.events.common import Actor
from contracts.events.orders import OrderApproved
from contracts.events.organisation import ApprovalRule, Approver, ItemKind, Period, UnitKind
from plumbing.org.tree import OrgTree, Unit
from services.orders.domain.approvals import Acting
from services.orders.domain.checkout import CartLine, split_cart
from services.orders.domain.delegation import Delegation, InvalidDelegation
from services.orders.domain.errors import ApprovalOutOfOrder, NotAnApprover, SelfApproval
from services.orders.domain.order import Order, OrderStatus
from tests.unit.orders.builders import BUYER, DEADLINES, GRANT, NOW, PI, SAFETY, TODAY, catalog, order

START = date(2026, 1, 1)
PI_RULE = ApprovalRule(key="pi", approver=Approver.PRINCIPAL_INVESTIGATOR, above_minor=500_000)
DEAN = ApprovalRule(key="dean", approver=Approver.UNIT_APPROVER, above_minor=5_000_000)
HAZARD = ApprovalRule(key="hazardous", approver=Approver.SAFETY_OFFICER, item_kind=ItemKind.HAZARDOUS)


def unit(unit_id: str, kind: UnitKind, parent: str | None, *rules: ApprovalRule) -> Unit:
    return Unit(
        unit_id, unit_id, unit_id, kind, START, None, (Period(parent_id=parent, valid_from=START),), rules
    )


def tree(*lab_rules: ApprovalRule) -> OrgTree:
    school = unit("CHEM", UnitKind.SCHOOL, None, PI_RULE, DEAN, HAZARD)
    lab = unit("CHEM-CAT", UnitKind.LAB, "CHEM", *lab_rules)
    grants = {GRANT.grant_id: (Period(parent_id="CHEM-CAT", valid_from=START),)}
    return OrgTree({"CHEM": school, "CHEM-CAT": lab}, grants)


def split(
    quantity: int, org: OrgTree, buyer: Actor = BUYER, sku: str = "CS-0002", price: int = 2800
) -> Order:
    suppliers, listings = catalog()
    share = split_cart(
        [CartLine("SUP-002" if sku == "RG-0002" else "SUP-004", sku, quantity, price)],
        GRANT,
        buyer,
        "tsinghua",
        suppliers,
        listings,
        TODAY,
        org,
    )[0]
    return order(share.approvals, share.lines, buyer)


def status_of(o: Order) -> OrderStatus:
    return o.status


DEAN_CHEM = Acting(Actor(user_id="dean-chem", role="unit_approver"), "CHEM")


def test_over_the_school_limit_the_dean_approves_after_the_pi() -> None:
    o = split(2_000, tree())  # 5,600,000 fen: above the PI's 500,000 and the dean's 5,000,000
    assert [s.key for s in o.approval_steps] == ["over_threshold", "CHEM/dean"]  # the PI once
    assert o.approval_steps[1].rule == "CHEM/dean: unit_approver, above ¥50,000.00"
    with pytest.raises(ApprovalOutOfOrder):
        o.approve([DEAN_CHEM], NOW, DEADLINES)
    assert o.approve(PI, NOW, DEADLINES) == ["over_threshold"]
    assert o.status is OrderStatus.PENDING_APPROVAL
    with pytest.raises(NotAnApprover):  # a dean of another school
        o.approve([Acting(Actor(user_id="dean-life", role="unit_approver"), "LIFE")], NOW, DEADLINES)
    assert o.approve([DEAN_CHEM], NOW, DEADLINES) == ["CHEM/dean"]
    assert status_of(o) is OrderStatus.AWAITING_FUNDS
    o.funds_reserved(NOW, DEADLINES)
    assert status_of(o) is OrderStatus.PAID
    assert [e.step for e in o.events if isinstance(e, OrderApproved)] == [
        "over_threshold",
        "CHEM/dean",
    ]


def test_under_the_limits_nothing_waits_and_bands_bound_a_rule() -> None:
    assert split(100, tree()).approval_steps == []  # 280,000 fen
    banded = ApprovalRule(
        key="dean", approver=Approver.UNIT_APPROVER, above_minor=100_000, up_to_minor=200_000
    )
    assert [s.key for s in split(50, tree(banded)).approval_steps] == ["CHEM-CAT/dean"]  # 140,000 fen
    assert split(100, tree(banded)).approval_steps == []  # 280,000: above the band the lab set


def test_a_lab_overrides_or_switches_off_what_its_school_asks() -> None:
    lab_dean = ApprovalRule(key="dean", approver=Approver.UNIT_APPROVER, above_minor=1_000_000)
    o = split(400, tree(lab_dean))  # 1,120,000 fen: the lab's own dean rule, not the school's
    assert [(s.key, s.scope_units) for s in o.approval_steps] == [
        ("over_threshold", []),
        ("CHEM-CAT/dean", ["CHEM-CAT"]),
    ]
    off = ApprovalRule(key="dean", approver=Approver.UNIT_APPROVER, enabled=False)
    assert [s.key for s in split(2_000, tree(off)).approval_steps] == ["over_threshold"]


def test_hazardous_items_ask_the_safety_officer_last_once() -> None:
    o = split(1, tree(), sku="RG-0002", price=3100)  # SUP-002's hazardous reagent
    assert [(s.key, s.approver) for s in o.approval_steps] == [("CHEM/hazardous", Approver.SAFETY_OFFICER)]
    assert o.approve(SAFETY, NOW, DEADLINES) == ["CHEM/hazardous"]


def test_the_pi_buying_asks_finance_of_a_unit_that_holds_the_grant() -> None:
    o = split(2_000, tree(), buyer=PI)
    assert [(s.key, s.approver) for s in o.approval_steps] == [
        ("over_threshold", Approver.UNIVERSITY_FINANCE),
        ("CHEM/dean", Approver.UNIT_APPROVER),
    ]
    with pytest.raises(SelfApproval):
        o.approve(PI, NOW, DEADLINES)
    with pytest.raises(NotAnApprover):  # finance of another school
        o.approve([Acting(Actor(user_id="fo-life", role="university_finance"), "LIFE")], NOW, DEADLINES)
    assert o.approve([Acting(Actor(user_id="fo-chem", role="university_finance"), "CHEM")], NOW, DEADLINES)


def delegation(delegator: Actor, unit: str | None, to: str, days: int = 7) -> Delegation:
    return Delegation.make(
        delegation_id="D-1",
        tenant_id="tsinghua",
        delegator=delegator,
        delegator_unit=unit,
        delegate_id=to,
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=days),
        now=NOW,
    )


def test_a_delegate_approves_for_the_dean_while_the_delegation_lasts() -> None:
    o = split(2_000, tree())
    o.approve(PI, NOW, DEADLINES)
    vice = Actor(user_id="vice-dean", role="researcher")
    d = delegation(DEAN_CHEM.actor, "CHEM", "vice-dean")
    assert d.in_force(NOW) and not d.in_force(NOW + timedelta(days=7))
    with pytest.raises(NotAnApprover):  # as themself, the vice-dean gives nothing
        o.approve([Acting(vice)], NOW, DEADLINES)
    assert o.approve([Acting(vice), d.acting(vice)], NOW, DEADLINES) == ["CHEM/dean"]
    approved = o.events[-1]
    assert approved.approver == vice and approved.on_behalf_of == DEAN_CHEM.actor  # type: ignore[attr-defined]
    assert o.timeline[-1].reason == "CHEM/dean: unit_approver, above ¥50,000.00 for dean-chem"


def test_no_one_approves_their_own_order_through_a_delegation() -> None:
    o = split(300, tree())  # over the PI's threshold only
    # The PI delegated to alice, who then bought: she cannot approve her own order as the PI.
    d = delegation(PI, None, BUYER.user_id)
    with pytest.raises(SelfApproval):
        o.approve([Acting(BUYER), d.acting(BUYER)], NOW, DEADLINES)
    # And no one approves for the requester: bob stands in for alice, who is no approver anyway.
    assert o.status is OrderStatus.PENDING_APPROVAL


@pytest.mark.parametrize(
    ("delegator", "to", "days"),
    [
        (PI, PI.user_id, 3),  # to oneself
        (Actor(user_id="lm", role="lab_member"), "bob", 3),  # no approvals to hand on
        (PI, "bob", 400),  # longer than a year
        (PI, "bob", -2),  # already over
    ],
)
def test_bad_delegations_are_refused(delegator: Actor, to: str, days: int) -> None:
    with pytest.raises(InvalidDelegation):
        delegation(delegator, None, to, days)
