"""Suppliers in a known state, for the unit tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from contracts.events.common import Actor, BudgetCategory
from contracts.events.suppliers import Contact
from services.suppliers.domain.bank_account import BankAccount
from services.suppliers.domain.documents import DocumentKind, check_document
from services.suppliers.domain.listing import ListingDetails
from services.suppliers.domain.supplier import Supplier

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
OPS = Actor(user_id="ops-1", role="platform_ops")
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
LEGAL_NAME = "Shanghai Kefeng Chemical Technology Co., Ltd."


def registered() -> Supplier:
    return Supplier.register(
        "SUP-002",
        LEGAL_NAME,
        "91310115AL7LL93D6F",
        Contact(name="Li Wei", email="li.wei@kefeng.example", phone="+86 21 5555 0100"),
        [BudgetCategory.REAGENTS, BudgetCategory.CONSUMABLES],
    )


def with_business_licence(s: Supplier) -> Supplier:
    s.attach(
        check_document(
            DocumentKind.BUSINESS_LICENCE,
            "application/pdf",
            PDF,
            valid_until=None,
            licence_number="BL-1",
            today=TODAY,
        ),
        TODAY,
    )
    return s


def with_hazardous_licence(s: Supplier, until: date = date(2027, 6, 30)) -> Supplier:
    s.attach(
        check_document(
            DocumentKind.HAZARDOUS_LICENCE,
            "application/pdf",
            PDF + b"hz",
            valid_until=until,
            licence_number="沪危化经字-0001",
            today=TODAY,
        ),
        TODAY,
    )
    return s


def account(deposit: int = 37, holder: str = LEGAL_NAME) -> BankAccount:
    return BankAccount.open(
        account_id="BA-1",
        bank_name="Bank of Shanghai",
        account_number="6222020200112233445",
        holder_name=holder,
        legal_name=LEGAL_NAME,
        deposit_minor=deposit,
        sent_at=NOW,
    )


def active(hazardous: bool = True) -> Supplier:
    s = with_business_licence(registered())
    if hazardous:
        with_hazardous_licence(s)
    s.submit_for_review()
    s.approve(OPS)
    s.change_bank_account(account())
    s.answer_deposit(37, NOW)
    s.events.clear()
    return s


def acetone(price: int = 2800) -> ListingDetails:
    return ListingDetails(
        name="Acetone",
        unit="500 mL",
        price_minor=price,
        category=BudgetCategory.REAGENTS,
        hazard_class="flammable",
        cas_number="67-64-1",
    )


def tips() -> ListingDetails:
    return ListingDetails(
        name="Pipette tips 200 uL",
        unit="box of 96",
        price_minor=2800,
        category=BudgetCategory.CONSUMABLES,
        hazard_class=None,
        cas_number=None,
    )
