"""Settlement: grants, the double-entry ledger, escrow, payouts and funding execution."""
