"""Why money moved (a transfer's code) and what an account is (its kind), each with its meaning.

The ledger stores both as text; these enums are the only spellings the code writes, and the
ledger tables in docs/architecture.md are generated from `MEANINGS` and `KIND_MEANINGS`
(`python -m services.settlement.ledger.checks.ledger_tables`, checked by `make lint`)."""

from __future__ import annotations

from enum import StrEnum


class TransferCode(StrEnum):
    BUDGET = "budget"
    ESCROW = "escrow"
    ESCROW_RELEASE = "escrow_release"
    ESCROW_VOID = "escrow_void"
    ESCROW_CARRIED = "escrow_carried"
    PLATFORM_FEE = "platform_fee"
    RECEIVABLE_RECOVER = "receivable_recover"
    RECEIVABLE_REPLENISH = "receivable_replenish"
    RECEIVABLE_REPAID = "receivable_repaid"
    REFUND_FROM_ESCROW = "refund_from_escrow"
    REFUND_SUPPLIER_BALANCE = "refund_supplier_balance"
    REFUND_ADVANCE = "refund_advance"
    GUARANTEE_ADVANCE = "guarantee_advance"
    GUARANTEE_CAPITAL = "guarantee_capital"
    PAYOUT = "payout"
    PAYOUT_SETTLED = "payout_settled"
    PAYOUT_FAILED = "payout_failed"
    STATEMENT_SUSPENSE = "statement_suspense"
    SUSPENSE_MATCHED = "suspense_matched"
    SUSPENSE_RETURN = "suspense_return"
    SUSPENSE_RETURNED = "suspense_returned"
    SUSPENSE_RETURN_FAILED = "suspense_return_failed"
    SUSPENSE_WRITTEN_OFF = "suspense_written_off"
    BANK_CHARGE = "bank_charge"
    BANK_INTEREST = "bank_interest"
    FINANCING_CAPITAL = "financing_capital"
    FINANCING_ADVANCE = "financing_advance"
    FINANCING_DISCOUNT = "financing_discount"
    EARLY_PAYMENT = "early_payment"
    EARLY_PAYMENT_SETTLED = "early_payment_settled"
    EARLY_PAYMENT_FAILED = "early_payment_failed"
    FINANCING_ADVANCE_UNDONE = "financing_advance_undone"
    FINANCING_DISCOUNT_UNDONE = "financing_discount_undone"
    FINANCING_REPAID = "financing_repaid"
    FINANCING_REPAID_UNDONE = "financing_repaid_undone"
    FINANCING_REPLENISHED = "financing_replenished"
    FINANCING_REPLENISHED_UNDONE = "financing_replenished_undone"
    FINANCING_RECEIVABLE = "financing_receivable"
    FINANCING_RECOVERED = "financing_recovered"


MEANINGS: dict[TransferCode, str] = {
    TransferCode.BUDGET: "a grant's budget, from its university's funding",
    TransferCode.ESCROW: "an order's money held in escrow: grant → supplier payable, pending",
    TransferCode.ESCROW_RELEASE: "the escrow of a receipt's lines posted (all that is held on the last)",
    TransferCode.ESCROW_CARRIED: "what a partial receipt leaves, voided to be held again as a new generation",
    TransferCode.ESCROW_VOID: "the escrow given back to the grant: the order was cancelled or closed",
    TransferCode.PLATFORM_FEE: "the platform's fee on a release: supplier payable → fee income",
    TransferCode.RECEIVABLE_RECOVER: "what a supplier owes the guarantee fund, taken from its money",
    TransferCode.RECEIVABLE_REPLENISH: "the guarantee fund made whole by a recovery",
    TransferCode.RECEIVABLE_REPAID: "a supplier's transfer paying back the guarantee fund's advance",
    TransferCode.REFUND_FROM_ESCROW: "a refund paid from the held escrow (void, re-reserve the rest)",
    TransferCode.REFUND_SUPPLIER_BALANCE: "a refund paid from the supplier's payable",
    TransferCode.REFUND_ADVANCE: "a refund the guarantee fund advanced to the grant",
    TransferCode.GUARANTEE_ADVANCE: "the supplier's debt for an advanced refund: its receivable",
    TransferCode.GUARANTEE_CAPITAL: "capital put into the guarantee fund",
    TransferCode.PAYOUT: "a payout leaving for the bank: payable → bank, pending",
    TransferCode.PAYOUT_SETTLED: "the bank paid the payout",
    TransferCode.PAYOUT_FAILED: "the bank refused the payout: back to the payable",
    TransferCode.STATEMENT_SUSPENSE: "a statement line the ledger does not explain, parked (长款)",
    TransferCode.SUSPENSE_MATCHED: "a parked line explained: out of suspense",
    TransferCode.SUSPENSE_RETURN: "a parked line paid back to its payer, pending the bank",
    TransferCode.SUSPENSE_RETURNED: "the bank paid the return",
    TransferCode.SUSPENSE_RETURN_FAILED: "the bank refused the return: back in suspense",
    TransferCode.SUSPENSE_WRITTEN_OFF: "a parked line two officers wrote off to reconciliation differences",
    TransferCode.BANK_CHARGE: "a fee the bank charged on the escrow account",
    TransferCode.BANK_INTEREST: "interest the bank paid on the escrow account",
    TransferCode.FINANCING_CAPITAL: "capital put into the financing fund",
    TransferCode.FINANCING_ADVANCE: "an early payment's advance: financing fund → supplier",
    TransferCode.FINANCING_DISCOUNT: "the discount an early payment earns the fund",
    TransferCode.EARLY_PAYMENT: "an early payment leaving for the bank, pending",
    TransferCode.EARLY_PAYMENT_SETTLED: "the bank paid the early payment",
    TransferCode.EARLY_PAYMENT_FAILED: "the bank refused the early payment",
    TransferCode.FINANCING_ADVANCE_UNDONE: "a refused early payment's advance given back to the fund",
    TransferCode.FINANCING_DISCOUNT_UNDONE: "the discount given back when the advance or order fails",
    TransferCode.FINANCING_REPAID: "an order's release repaying the early payment at face",
    TransferCode.FINANCING_REPAID_UNDONE: "a repayment undone",
    TransferCode.FINANCING_REPLENISHED: "the financing fund made whole by a repayment",
    TransferCode.FINANCING_REPLENISHED_UNDONE: "a replenishment undone",
    TransferCode.FINANCING_RECEIVABLE: "what a broken early payment leaves the supplier owing the fund",
    TransferCode.FINANCING_RECOVERED: "that debt taken from the supplier's next money",
}


class AccountKind(StrEnum):
    FUNDING = "funding"
    GRANT = "grant"
    SUPPLIER_PAYABLE = "supplier_payable"
    SUPPLIER_RECEIVABLE = "supplier_receivable"
    SUPPLIER_FINANCED = "supplier_financed"
    SUPPLIER_FINANCING_RECEIVABLE = "supplier_financing_receivable"
    FEE_INCOME = "fee_income"
    CAPITAL = "capital"
    GUARANTEE_FUND = "guarantee_fund"
    GUARANTEE_ADVANCED = "guarantee_advanced"
    BANK = "bank"
    SUSPENSE = "suspense"
    RECONCILIATION_DIFFERENCES = "reconciliation_differences"
    BANK_CHARGES = "bank_charges"
    BANK_INTEREST = "bank_interest"
    FINANCING_FUND = "financing_fund"
    FINANCING_ADVANCED = "financing_advanced"
    FINANCING_INCOME = "financing_income"


# Each kind: the id its accounts have, and what they hold.
KIND_MEANINGS: dict[AccountKind, tuple[str, str]] = {
    AccountKind.FUNDING: ("funding:<university>", "where the university's grant budgets come from"),
    AccountKind.GRANT: (
        "grant:<university>:<grant>:<category>",
        "a grant's budget in one category (limited)",
    ),
    AccountKind.SUPPLIER_PAYABLE: ("supplier:<id>:payable", "what the platform owes the supplier (limited)"),
    AccountKind.SUPPLIER_RECEIVABLE: (
        "supplier:<id>:receivable",
        "what the supplier owes the guarantee fund",
    ),
    AccountKind.SUPPLIER_FINANCED: ("supplier:<id>:financed", "early payments the supplier has had, at face"),
    AccountKind.SUPPLIER_FINANCING_RECEIVABLE: (
        "supplier:<id>:financing_receivable",
        "what broken early payments left the supplier owing the financing fund",
    ),
    AccountKind.FEE_INCOME: ("platform:fee_income", "platform fees"),
    AccountKind.CAPITAL: ("platform:capital", "the capital put into the guarantee and financing funds"),
    AccountKind.GUARANTEE_FUND: ("platform:guarantee_fund", "what the guarantee fund can advance (limited)"),
    AccountKind.GUARANTEE_ADVANCED: (
        "platform:guarantee_advanced",
        "what the guarantee fund has out on advances",
    ),
    AccountKind.BANK: ("platform:bank", "mirror of the escrow bank account: payouts leave through it"),
    AccountKind.SUSPENSE: ("platform:suspense", "statement lines the ledger does not explain (长款)"),
    AccountKind.RECONCILIATION_DIFFERENCES: (
        "platform:reconciliation_differences",
        "长款 nobody could explain, written off by two officers",
    ),
    AccountKind.BANK_CHARGES: ("platform:bank_charges", "the bank's fees on the escrow account"),
    AccountKind.BANK_INTEREST: ("platform:bank_interest", "the interest the bank paid on it"),
    AccountKind.FINANCING_FUND: ("platform:financing_fund", "what the financing fund can advance (limited)"),
    AccountKind.FINANCING_ADVANCED: ("platform:financing_advanced", "what it has out on early payments"),
    AccountKind.FINANCING_INCOME: ("platform:financing_income", "the discounts early payments earned"),
}
